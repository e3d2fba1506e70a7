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
  slanted, stretched, drawn with a pen 5..7 pixels wide and an unsteady hand.

One path does all of it for a whole batch in NumPy: the inverse of each row's affine map
(with the fit of its ink box to 32x32) sends the 32x32 output pixels into its source picture,
one bilinear gather reads them, a threshold makes the bitmap and its 4x4 blocks are counted.
Nothing of size rows x copies is ever made: the sources are the images as stored and a few
MB of glyphs and skeletons.

Row ``r`` is copy ``r // m`` of item ``r % m`` (``m`` items: the images, then the glyphs,
then the skeletons, each repeated); every number that varies it is a function of
(seed, r) only (``uniforms``: SplitMix64), so a row is the same whenever it is taken, in any
batch, in a resumed run as in the first: the run's shuffling alone orders them.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

SIDE = 32  # the bitmap the digits are counted from
BLOCK = SIDE // 8
COPIES = 5  # copies of every item: for an image, itself and 4 varied ones
GLYPH_REPEATS = 3  # each shipped glyph is this many items (so about 13% of the rows)
STYLE_REPEATS = 8  # each skeleton style is this many items (about 14%, as 40 drawings were)

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

# ---- numbers that are a function of (seed, row, k) only ---------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer (Steele, Lea and Flood 2014): a bijection of uint64 that sends
    neighbouring numbers far apart."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def uniforms(seed: int, rows: np.ndarray, n: int) -> np.ndarray:
    """(len(rows), n) numbers uniform in [0, 1): number k of row r depends on (seed, r, k) only.

    Parameters
    ----------
    seed : int
        The run's seed (taken modulo 2**64).
    rows : array of int (b,)
        Row numbers.
    n : int
        Numbers per row.
    """
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as SplitMix64 means it to
        key = _mix(np.array([seed % 2 ** 64], np.uint64) * _GOLDEN + _GOLDEN)
        base = _mix(key + np.asarray(rows).astype(np.uint64)[:, None] * _GOLDEN)  # (b, 1)
        z = _mix(base + np.arange(1, n + 1, dtype=np.uint64)[None, :] * _GOLDEN)  # (b, n)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


# ---- one batch: maps, boxes, the gather, the counts -------------------------------------
_WOBBLE = 3  # the hand's wobble: a displacement drawn at 3x3 points, bilinear between them


@lru_cache(maxsize=4)
def _grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of a side x side grid of output pixels about its middle (side**2, 2), and
    the wobble's weights (side**2, 9): how each follows the 3x3 points."""
    out = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"),
                   axis=-1).reshape(-1, 2) + 0.5 - side / 2
    t = (out + side / 2) / side * (_WOBBLE - 1)  # in control-grid units
    w = np.maximum(0.0, 1.0 - np.abs(t[:, :, None] - np.arange(_WOBBLE)))  # (n, 2, 3)
    weights = (w[:, 0, :, None] * w[:, 1, None, :]).reshape(-1, _WOBBLE ** 2)
    return out.astype(np.float32), weights.astype(np.float32)


DRAWS = 4 + 2 * _WOBBLE ** 2  # numbers per row: turn, slant, stretch, thickness, wobble


def affine(u: np.ndarray, rotation: float, shear: float, stretch: float) -> np.ndarray:
    """(b, 2, 2) maps of (row, column) about a picture's centre: widen @ slant @ turn, from
    three uniform numbers per row (u[:, :3])."""
    angle = np.radians((2 * u[:, 0] - 1) * rotation)
    cos, sin = np.cos(angle), np.sin(angle)
    A = np.empty((len(u), 2, 2), np.float32)
    slant, widen = (2 * u[:, 1] - 1) * shear, 1 + (2 * u[:, 2] - 1) * stretch
    # [[1, 0], [0, widen]] @ [[1, 0], [slant, 1]] @ [[cos, -sin], [sin, cos]]
    A[:, 0, 0], A[:, 0, 1] = cos, -sin
    A[:, 1, 0] = widen * (slant * cos + sin)
    A[:, 1, 1] = widen * (cos - slant * sin)
    return A


def _move(A: np.ndarray, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` (b, 2, 2) applied to the points (y, x), each (b, P): two (b, P) arrays."""
    a = A[:, :, :, None]  # (b, 2, 2, 1): one coefficient per row, broadcast over points
    return a[:, 0, 0] * y + a[:, 0, 1] * x, a[:, 1, 0] * y + a[:, 1, 1] * x


def _det(A: np.ndarray) -> np.ndarray:
    return A[:, 0, 0] * A[:, 1, 1] - A[:, 0, 1] * A[:, 1, 0]


def _inverse(A: np.ndarray) -> np.ndarray:
    """The inverses of 2x2 maps (b, 2, 2), written out (``np.linalg.inv`` costs more here)."""
    a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
    inverse = np.empty_like(A)
    det = a * d - b * c
    inverse[:, 0, 0], inverse[:, 0, 1] = d / det, -b / det
    inverse[:, 1, 0], inverse[:, 1, 1] = -c / det, a / det
    return inverse


def _box(points: np.ndarray, A: np.ndarray, centre: np.ndarray,
         keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The box (lo, hi), each (b, 2), of ``points`` (b or 1, P, 2) of the source moved by
    ``A`` about ``centre``; only the points where ``keep`` (b, P) is True, when given."""
    y, x = _move(A, points[..., 0] - centre[0], points[..., 1] - centre[1])  # (b, P) each
    if keep is None:
        return (np.stack([y.min(axis=1), x.min(axis=1)], axis=1),
                np.stack([y.max(axis=1), x.max(axis=1)], axis=1))
    big = np.where(keep, np.float32(0.0), np.float32(np.inf))
    return (np.stack([(y + big).min(axis=1), (x + big).min(axis=1)], axis=1),
            np.stack([(y - big).max(axis=1), (x - big).max(axis=1)], axis=1))


def _nearest(fields: np.ndarray, which: np.ndarray, y: np.ndarray, x: np.ndarray
             ) -> np.ndarray:
    """Values of fields[which[i]] (K, H, W) at the points (y[i], x[i]), each (b, P): the
    nearest pixel's (the fields are two to three times finer than the 32x32 output, so this
    is within a sixth to a quarter of an output pixel); points outside take the edge's."""
    _, H, W = fields.shape
    y += np.float32(0.5)  # in place: y and x are render's own
    x += np.float32(0.5)
    row = np.clip(y, 0, H - 1, out=y).astype(np.int32)  # int32: K * H * W is far below 2**31
    col = np.clip(x, 0, W - 1, out=x).astype(np.int32)
    row += (which.astype(np.int32) * H)[:, None]
    row *= W
    row += col
    return np.take(fields.reshape(-1), row)


def render(fields: np.ndarray, which: np.ndarray, A: np.ndarray, centre: np.ndarray,
           lo: np.ndarray, hi: np.ndarray, level: np.ndarray,
           wobble: np.ndarray | None = None, thin: np.ndarray | None = None) -> np.ndarray:
    """Block counts (b, 64) of the moved pictures, their ink box fitted to 32x32.

    Parameters
    ----------
    fields : array (K, H, W)
        Source pictures; ink where the value is above the row's ``level``.
    which : array of int (b,)
        The picture of each row.
    A : array (b, 2, 2)
        Each row's map of (row, column) about ``centre``.
    centre : array (2,)
        The point of the sources the maps turn about.
    lo, hi : arrays (b, 2)
        The box of the moved ink: its longer side is fitted to 32 pixels, centred.
    level : array (b,)
        The value above which a source point is ink.
    wobble : array (b, 9, 2), optional
        The hand's displacement at 3x3 points, in pixels of 32 (``_wobble``).
    thin : array of int (b,), optional
        Pixels to take off every edge of the bitmap (``imaging``'s thinning of fat strokes):
        the box is fitted to 32 + 2 thin pixels, eroded, and the middle 32x32 counted.
    """
    b = len(which)
    thin = np.zeros(b, np.intp) if thin is None else thin
    margin = int(thin.max()) if b else 0
    side = SIDE + 2 * margin
    out, weights = _grid(side)
    box = SIDE + 2 * thin  # pixels the box's longer side spans
    pixel = (np.maximum((hi - lo).max(axis=1), 1e-6) / box)[:, None].astype(np.float32)
    if wobble is None:
        dy, dx = out[None, :, 0], out[None, :, 1]
    else:
        moved = out + np.matmul(weights, wobble)  # (b, side**2, 2)
        dy, dx = moved[..., 0], moved[..., 1]
    mid = ((lo + hi) / 2).astype(np.float32)
    y, x = _move(_inverse(A), mid[:, :1] + dy * pixel, mid[:, 1:] + dx * pixel)
    y += np.float32(centre[0])
    x += np.float32(centre[1])
    ink = (_nearest(fields, which, y, x) > level.astype(np.float32)[:, None]).reshape(b, side,
                                                                                      side)
    for step in range(margin):  # erode by a 3x3 cross the rows that need it, a pixel a time
        rows = thin > step
        core = ink[rows]
        core[:, 1:-1, 1:-1] &= (core[:, :-2, 1:-1] & core[:, 2:, 1:-1]
                                & core[:, 1:-1, :-2] & core[:, 1:-1, 2:])
        core[:, [0, -1], :] = False
        core[:, :, [0, -1]] = False
        ink[rows] = core
    ink = np.ascontiguousarray(ink[:, margin:margin + SIDE, margin:margin + SIDE])
    # the 4x4 blocks' counts: sums of uint8 slices (a bool sum over axes is slower)
    v = ink.view(np.uint8).reshape(b, 8, BLOCK, 8, BLOCK)
    rows4 = v[:, :, 0] + v[:, :, 1] + v[:, :, 2] + v[:, :, 3]  # (b, 8, 8, 4)
    return (rows4[..., 0] + rows4[..., 1] + rows4[..., 2] + rows4[..., 3]).reshape(b, 64)


def _wobble(u: np.ndarray, size: float) -> np.ndarray | None:
    """The wobble's displacements at 3x3 points (b, 9, 2), of standard deviation ``size``."""
    if not size:
        return None
    control = (u.reshape(len(u), _WOBBLE ** 2, 2) - 0.5) * (size * np.sqrt(12.0))
    return control.astype(np.float32)


# ---- the three kinds of row -------------------------------------------------------------

_FINE = 2  # an image's grey picture is drawn at 64x64, twice the output's side
_STEP = _FINE * SIDE // 8  # fine pixels per pixel of the 8x8 image
# bilinear from the 8x8 image with one blank pixel round it (10x10) to 80x80, as
# scipy.ndimage.zoom(order=1, grid_mode=True) would: a matrix applied on both sides
_UP = np.maximum(0.0, 1.0 - np.abs((np.arange(10 * _STEP) + 0.5) / _STEP - 0.5
                                   - np.arange(10)[:, None])).T.astype(np.float32)  # (80, 10)
_IMAGE_CENTRE = np.array([(10 * _STEP - 1) / 2] * 2, np.float32)


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
    lo, hi = _box(points.astype(np.float32), A, _IMAGE_CENTRE, keep)
    return render(grey, np.arange(b), A, _IMAGE_CENTRE, lo - _FINE / 2, hi + _FINE / 2, level,
                  _wobble(u[:, 4:], wobble))


def vary_glyphs(which: np.ndarray, u: np.ndarray, rotation: float = 8.0, shear: float = 0.25,
                stretch: float = 0.2, thickness: float = 1.0, wobble: float = 0.4
                ) -> np.ndarray:
    """Varied printed digits (b, 64): the shipped glyphs ``which`` (``printed.glyph_fields``).

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
    lo, hi = _box(g.hull[which], A, centre)
    longer = (hi - lo).max(axis=1)
    scale = np.sqrt(np.abs(_det(A)))  # how the map changes stroke widths, about
    box = BITMAP * FINE  # imaging measures and evens strokes with the longer side this long
    width = g.width[which] * scale * box / longer
    grow = even_goal(width) - width + (2 * u[:, 3] - 1) * thickness * FINE  # pixels of box
    grow *= longer / box  # in moved units
    level = -grow / 2 / scale  # the field is in the glyph's own pixels
    half = (grow / 2)[:, None]
    return render(g.fields, which, A, centre, lo - half, hi + half, level,
                  _wobble(u[:, 4:], wobble))


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
    lo, hi = _box(s.points[which], A, s.centre)
    longer = (hi - lo).max(axis=1)
    pen = 5.0 + 2 * u[:, 3] * thickness  # pixels of 32
    half = (pen / 2 * longer / (SIDE - pen))[:, None]  # moved units: the skeleton spans 32 - pen
    scale = np.sqrt(np.abs(_det(A)))
    # strokes wider than imaging leaves them are thinned as it thins a picture's (to the goal)
    thin = np.round(np.maximum(0.0, pen - even_goal(pen * FINE) / FINE) / 2).astype(np.intp)
    return render(s.fields, which, A, s.centre, lo - half, hi + half, -half[:, 0] / scale,
                  _wobble(u[:, 4:], wobble), thin)


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


class DrawingRows:
    """The training rows of ``augment_drawings``, made when they are taken.

    ``m`` items: the training images, then each shipped glyph ``glyph_repeats`` times, then
    each skeleton style ``style_repeats`` times; ``copies`` copies of each, so ``copies * m``
    rows. Row ``r`` is copy ``r // m`` of item ``r % m``: copy 0 of an image is the image
    itself, every other row is varied (``vary_images``, ``vary_glyphs``, ``vary_drawings``)
    by the numbers ``uniforms(seed, r)``. Rows are scaled as ``(x - mean) / scale`` in the
    dtype of the buffer they are taken into. Only the images are held (as given) and the
    glyphs and skeletons, whatever ``copies`` is.

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
        if rows is None:
            rows = np.arange(self.shape[0])
        for start in range(0, len(rows), _CHUNK):
            part = out[start:start + _CHUNK]
            np.subtract(self.raw_rows(rows[start:start + _CHUNK]), self.mean, out=part,
                        casting="unsafe")
            np.divide(part, self.scale.astype(out.dtype), out=part)
        return out
