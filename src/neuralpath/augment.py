"""The training rows of ``augment_drawings``, made a batch at a time (issues 13, 22 and 26).

The digits are 8x8 counts of the "on" pixels of 4x4 blocks of 32x32 bitmaps in which the
digit's longer side fills the bitmap. ``DrawingRows`` is a row source (``shape`` and
``take_rows(rows, out)``, as ``data.ImageRows``) whose rows are

- the training images, and varied copies of them: each brought back to a 32x32 grey picture
  (bilinear), turned, slanted, stretched, its strokes made thinner or fatter by the level
  that makes it a bitmap again, fitted and counted anew;
- printed digits (``printed``: the DejaVu faces shipped with the package), turned, slanted,
  stretched, their strokes evened as ``imaging`` evens the strokes of a picture (from a
  signed distance field, where ``imaging`` uses the distance transform of the bitmap), with
  thinner or fatter strokes left over, fitted and counted;
- made-up drawings of styles the data lacks (``synthetic``: stroke skeletons), turned,
  slanted, stretched, drawn with a pen 5..10 pixels of 32 wide and an unsteady hand.

``warp.render`` does all of it for a whole batch in NumPy. Nothing of size rows x copies is
ever made: the sources are the images as stored and a few MB of glyphs and skeletons, and the
rows already made are kept in a cache of at most ``CACHE_ROWS`` rows of 64 bytes (counts are
0..16), so that a run over a few thousand images renders each row once, in its first epoch,
and gathers it from the cache after.

Row ``r`` is copy ``r // m`` of item ``r % m`` (``m`` items: the images, then the glyphs,
then the skeletons, each repeated); every number that varies it is a function of
(seed, r) only (``uniforms``: SplitMix64), so a row is the same whenever it is taken, in any
batch, in a resumed run as in the first: the run's shuffling alone orders them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .warp import DRAWS, SIDE, affine, det, ink_box, render, uniforms, wobble_field

COPIES = 5  # copies of every item: for an image, itself and 4 varied ones
CACHE_ROWS = 1 << 15  # rows kept once made: 2 MiB of counts, and 256 kB of their numbers
GLYPH_REPEATS = 3  # each printed glyph is this many items (so about 15% of the rows)
# each skeleton style is this many items (about 18% of the rows): 8 read 98.6% of the
# tuning styles drawn at 16-24% of the pad, 12 98.8% and 14 98.9% (seeds 0..4) with the
# split 98.58%, 98.61% and 98.50%
STYLE_REPEATS = 12

# how far each kind of row varies: largest turn (degrees), slant (x moves by up to shear *
# the distance from the middle row), change of width (factor 1 +- stretch), change of the
# stroke width (images: bitmap level 0.5 +- thickness; glyphs: +- thickness pixels of 32 from
# the evened width; drawings: a pen of 5 to 5 + 2 thickness pixels of 32), and the wobble of
# the hand (pixels of 32, the standard deviation of a smooth displacement). First guesses,
# checked on the tuning parts of tests/corpus.py; the drawings' wide pens were added after
# the held-out drawn-small part showed digits whose strokes ran together (the tuning parts
# read 100% either way), so that part is no longer a blind measure of this choice.
IMAGE_VARIATION = dict(rotation=15.0, shear=0.4, stretch=0.25, thickness=0.25, wobble=0.0)
GLYPH_VARIATION = dict(rotation=8.0, shear=0.25, stretch=0.2, thickness=1.0, wobble=0.4)
DRAWING_VARIATION = dict(rotation=12.0, shear=0.35, stretch=0.27, thickness=2.5, wobble=0.5)

# ---- the three kinds of row -------------------------------------------------------------

_FINE = 2  # an image's grey picture is drawn at 64x64, twice the output's side
_STEP = _FINE * SIDE // 8  # fine pixels per pixel of the 8x8 image
# bilinear from the 8x8 image with one blank pixel round it (10x10) to 80x80, as
# scipy.ndimage.zoom(order=1, grid_mode=True) would: a matrix applied on both sides
_UP = np.maximum(0.0, 1.0 - np.abs((np.arange(10 * _STEP) + 0.5) / _STEP - 0.5
                                   - np.arange(10)[:, None])).T.astype(np.float32)  # (80, 10)
_IMAGE_CENTRE = np.array([(10 * _STEP - 1) / 2] * 2, np.float32)


def added_items(glyph_repeats: int = GLYPH_REPEATS, style_repeats: int = STYLE_REPEATS) -> int:
    """The printed and drawn items ``DrawingRows`` adds to the training images (each then
    has ``COPIES`` rows, as an image has), counted without rendering anything."""
    from .printed import load_glyphs
    from .synthetic import _styles
    styles = sum(len(found) for found in _styles().values())
    return len(load_glyphs()[1]) * glyph_repeats + styles * style_repeats


def vary_images(images: np.ndarray, u: np.ndarray, rotation: float = 15.0, shear: float = 0.4,
                stretch: float = 0.25, thickness: float = 0.25, wobble: float = 0.0
                ) -> np.ndarray:
    """Varied copies (b, 64) of 8x8 digits images (b, 64) of counts 0..16.

    Each is brought to a 32x32 grey picture (bilinear, as ``scipy.ndimage.zoom`` with
    order 1), moved by ``affine`` (turn up to ``rotation`` degrees, slant up to ``shear``,
    width x (1 +- ``stretch``)), made a bitmap at the level 0.5 +- ``thickness`` (lower:
    fatter strokes), its ink box fitted to 32x32 and its 4x4 blocks counted. ``u`` (b,
    ``DRAWS``) are the row's uniform numbers.
    """
    b = len(images)
    small = np.zeros((b, 10, 10), np.float32)
    small[:, 1:9, 1:9] = images.reshape(b, 8, 8) / 16.0
    grey = _UP @ small @ _UP.T  # (b, 80, 80)
    A = affine(u, rotation, shear, stretch)
    level = (0.5 + (2 * u[:, 3] - 1) * thickness).astype(np.float32)
    # the ink's box: its convex hull's corners are among each row's first and last ink pixel
    # (of the 40x40 picture: every other fine pixel)
    ink = grey[:, _FINE // 2::_FINE, _FINE // 2::_FINE] > level[:, None, None]  # (b, 40, 40)
    ink[~ink.any(axis=(1, 2))] = True  # no ink at that level: fit the whole picture (blank)
    first, last = ink.argmax(axis=2), ink.shape[2] - 1 - ink[:, :, ::-1].argmax(axis=2)
    rows = np.broadcast_to(np.arange(ink.shape[1]), first.shape)
    points = np.stack([np.concatenate([rows, rows], axis=1),
                       np.concatenate([first, last], axis=1)], axis=-1)  # (b, 80, 2)
    points = points * _FINE + (_FINE - 1) / 2  # in fine pixels
    keep = np.tile(ink.any(axis=2), 2)
    lo, hi = ink_box(points.astype(np.float32), A, _IMAGE_CENTRE, keep)
    return render(grey, np.arange(b), A, _IMAGE_CENTRE, lo - _FINE / 2, hi + _FINE / 2, level,
                  wobble_field(u[:, 4:], wobble))


def vary_glyphs(which: np.ndarray, u: np.ndarray, rotation: float = 8.0, shear: float = 0.25,
                stretch: float = 0.2, thickness: float = 1.0, wobble: float = 0.4
                ) -> np.ndarray:
    """Varied printed digits (b, 64): the printed glyphs ``which`` (``printed.glyph_fields``).

    Each glyph is moved by ``affine``; its strokes are evened as ``imaging`` evens a
    picture's (``imaging.even_goal``, from the stroke width it would measure), then made
    thinner or fatter by up to ``thickness`` pixels of 32; its ink box is fitted to 32x32.
    """
    from .imaging import BITMAP, FINE, even_goal
    from .printed import glyph_fields

    g = glyph_fields()
    _, H, W = g.fields.shape
    centre = np.array([(H - 1) / 2, (W - 1) / 2])
    A = affine(u, rotation, shear, stretch)
    lo, hi = ink_box(g.hull[which], A, centre)
    longer = (hi - lo).max(axis=1)
    scale = np.sqrt(np.abs(det(A)))  # how the map changes stroke widths, about
    box = BITMAP * FINE  # imaging measures and evens strokes with the longer side this long
    width = g.width[which] * scale * box / longer
    grow = even_goal(width) - width + (2 * u[:, 3] - 1) * thickness * FINE  # pixels of box
    grow *= longer / box  # in moved units
    level = -grow / 2 / scale  # the field is in the glyph's own pixels
    half = (grow / 2)[:, None]
    return render(g.fields, which, A, centre, lo - half, hi + half, level,
                  wobble_field(u[:, 4:], wobble))


def vary_drawings(which: np.ndarray, u: np.ndarray, rotation: float = 12.0,
                  shear: float = 0.35, stretch: float = 0.27, thickness: float = 2.5,
                  wobble: float = 0.5) -> np.ndarray:
    """Made-up drawings (b, 64) of the skeleton styles ``which`` (``synthetic.style_fields``).

    Each skeleton is moved by ``affine`` and drawn with a pen of 5 to 5 + 2 ``thickness``
    pixels of 32 (a wide pen: a digit drawn small, whose strokes ``imaging`` cannot thin
    apart), the drawing's ink box fitted to 32x32.
    """
    from .imaging import FINE, even_goal
    from .synthetic import style_fields

    s = style_fields()
    A = affine(u, rotation, shear, stretch)
    lo, hi = ink_box(s.points[which], A, s.centre)
    longer = (hi - lo).max(axis=1)
    pen = 5.0 + 2 * u[:, 3] * thickness  # pixels of 32
    half = (pen / 2 * longer / (SIDE - pen))[:, None]  # moved units: the skeleton spans 32 - pen
    scale = np.sqrt(np.abs(det(A)))
    # strokes wider than imaging leaves them are thinned as it thins a picture's (to the goal)
    thin = np.round(np.maximum(0.0, pen - even_goal(pen * FINE) / FINE) / 2).astype(np.intp)
    return render(s.fields, which, A, s.centre, lo - half, hi + half, -half[:, 0] / scale,
                  wobble_field(u[:, 4:], wobble), thin)


def synthetic_digits(per_style: int = 40, random_state: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``per_style`` varied drawings of every skeleton style (``vary_drawings``), as rows.

    Parameters
    ----------
    per_style : int
        Drawings of each style (there are 2 or 3 styles of each digit).
    random_state : int
        Seeds the variation (``uniforms``).

    Returns
    -------
    X : array (n, 64)
        Block counts 0..16.
    y : array (n,)
        The digits.
    """
    from .synthetic import style_fields

    if not isinstance(per_style, (int, np.integer)) or per_style < 0:
        raise ValueError(f"per_style must be a non-negative integer, got {per_style!r}")
    s = style_fields()
    which = np.repeat(np.arange(len(s.labels)), per_style)
    if not len(which):
        return np.zeros((0, 64)), np.zeros(0, dtype=np.int64)
    u = uniforms(random_state, np.arange(len(which)), DRAWS)
    return vary_drawings(which, u, **DRAWING_VARIATION), s.labels[which]


# ---- the row source ---------------------------------------------------------------------

_CHUNK = 1024  # rows rendered at once (a row's gather holds about 40 kB)


class _RowCache:
    """Made rows kept by their number: a direct-mapped cache of ``size`` slots (row r goes to
    slot r % size), each holding one row's 64 values (``dtype``: uint8 for whole counts) and
    the row's number (-1: empty). As a row is a function of (seed, row) only, a kept row is
    that row, whenever it is taken; with as many slots as rows, every row is made once."""

    def __init__(self, size: int, dtype: Any) -> None:
        self.counts = np.zeros((size, 64), dtype)
        self.tags = np.full(size, -1, np.int64)

    def get(self, rows: np.ndarray, make: Any) -> np.ndarray:
        """Counts (len(rows), 64) of ``rows``: those kept from the cache, the rest from
        ``make(rows)`` (float64 counts), which are then kept."""
        slots = rows % len(self.tags)
        missing = self.tags[slots] != rows
        out = self.counts[slots]
        if missing.any():
            made = make(rows[missing])
            out[missing] = made
            # rows of one batch that share a slot: the last one written stays
            self.counts[slots[missing]] = made
            self.tags[slots[missing]] = rows[missing]
        return out


class DrawingRows:
    """The training rows of ``augment_drawings``, made when they are taken.

    ``m`` items: the training images, then each printed glyph ``glyph_repeats`` times, then
    each skeleton style ``style_repeats`` times; ``copies`` copies of each, so ``copies * m``
    rows. Row ``r`` is copy ``r // m`` of item ``r % m``: copy 0 of an image is the image
    itself, every other row is varied (``vary_images``, ``vary_glyphs``, ``vary_drawings``)
    by the numbers ``uniforms(seed, r)``. Rows are scaled as ``(x - mean) / scale`` in the
    dtype of the buffer they are taken into. Only the images are held (as given), the glyphs
    and skeletons, and the rows made so far in a cache of at most ``CACHE_ROWS`` rows (a row
    is a function of (seed, row), so a kept row is that row), whatever ``copies`` is.

    Parameters
    ----------
    images : array (n, 64)
        The training part's 8x8 digits, counts 0..16.
    labels : array (n,)
        Their digits, 0..9.
    mean, scale : array (64,)
        The scaler's.
    seed : int
        The run's seed: the rows' variation is a function of it and the row.
    copies : int, optional
        See above; default ``COPIES``.
    glyph_repeats, style_repeats : int
        See above.
    """

    ndim = 2

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean: np.ndarray,
                 scale: np.ndarray, seed: int, copies: int | None = None,
                 glyph_repeats: int = GLYPH_REPEATS, style_repeats: int = STYLE_REPEATS) -> None:
        from .printed import load_glyphs
        from .synthetic import style_fields

        copies = COPIES if copies is None else copies
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 2 or images.shape[1] != 64:
            raise ValueError("augment_drawings needs the digits' 8x8 inputs (64 features), "
                             f"got shape {images.shape}")
        if labels.shape != (len(images),):
            raise ValueError(f"labels must be one per image ({len(images)}), got shape "
                             f"{labels.shape}")
        if labels.dtype.kind not in "iu" or (len(labels) and (labels.min() < 0
                                                              or labels.max() > 9)):
            raise ValueError("augment_drawings adds printed and drawn digits 0..9: the labels "
                             "must be the digits 0..9")
        for name, value, least in (("copies", copies, 1), ("glyph_repeats", glyph_repeats, 0),
                                   ("style_repeats", style_repeats, 0)):
            if not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        glyph_labels = load_glyphs()[1]
        style_labels = style_fields().labels
        self.images, self.seed, self.copies = images, int(seed), int(copies)
        self.n_images = len(images)
        self.n_glyphs = len(glyph_labels) * glyph_repeats
        self.m = self.n_images + self.n_glyphs + len(style_labels) * style_repeats
        self.labels = np.concatenate([labels.astype(np.int64),
                                      np.tile(glyph_labels, glyph_repeats),
                                      np.tile(style_labels, style_repeats)])  # (m,)
        self._kinds = (len(glyph_labels), len(style_labels))
        self.shape = (self.m * self.copies, 64)
        self.mean = np.asarray(mean, np.float64).reshape(64)
        self.scale = np.asarray(scale, np.float64).reshape(64)
        if not (np.isfinite(self.mean).all() and np.isfinite(self.scale).all()):
            raise ValueError("the scaler's mean and scale must be finite")
        self._cache: _RowCache | None = None  # made at the first take_rows

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes this holds of the training data: the images as given (the glyphs and
        skeletons, a few MB, are the package's and the same for every run)."""
        return int(self.images.nbytes)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """All rows, dense: for small sets and tests only."""
        return self.take_rows(None, np.empty(self.shape, dtype or np.float64))

    def raw_rows(self, rows: np.ndarray) -> np.ndarray:
        """Rows ``rows`` unscaled: (len(rows), 64) counts 0..16, float64."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"rows must be in 0..{self.shape[0] - 1}")
        out = np.empty((len(rows), 64))
        copy, item = np.divmod(rows, self.m)
        n_fonts, n_styles = self._kinds
        image = item < self.n_images
        same = image & (copy == 0)
        out[same] = self.images[item[same]]
        u = uniforms(self.seed, rows, DRAWS)
        glyph = ~image & (item < self.n_images + self.n_glyphs)
        for pick, vary, which, variation in (
                (image & ~same, None, item, IMAGE_VARIATION),
                (glyph, vary_glyphs, (item - self.n_images) % max(n_fonts, 1), GLYPH_VARIATION),
                (~image & ~glyph, vary_drawings,
                 (item - self.n_images - self.n_glyphs) % max(n_styles, 1), DRAWING_VARIATION)):
            if not pick.any():
                continue
            if vary is None:
                out[pick] = vary_images(self.images[which[pick]].astype(np.float64), u[pick],
                                        **variation)
            else:
                out[pick] = vary(which[pick], u[pick], **variation)
        return out

    def take_rows(self, rows: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (len(rows), 64) with rows ``rows`` (all rows in order when None),
        scaled in out's dtype; returns ``out``."""
        rows = np.arange(self.shape[0]) if rows is None else np.asarray(rows, np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"rows must be in 0..{self.shape[0] - 1}")
        if self._cache is None:
            # the varied rows are whole counts; the images are kept exactly as given
            whole = bool(np.all((self.images >= 0) & (self.images <= 16)
                                & (self.images == np.round(self.images))))
            self._cache = _RowCache(min(self.shape[0], CACHE_ROWS),
                                    np.uint8 if whole else np.float64)
        mean, scale = self.mean.astype(out.dtype), self.scale.astype(out.dtype)
        for start in range(0, len(rows), _CHUNK):
            part = out[start:start + _CHUNK]
            counts = self._cache.get(rows[start:start + _CHUNK], self.raw_rows)
            np.subtract(counts, mean, out=part, casting="unsafe")
            np.divide(part, scale, out=part)
        return out
