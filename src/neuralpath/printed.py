"""Printed digits for training: the digits of eight DejaVu faces, rendered when first used.

The faces are those of the printed corpus's tuning fonts (tests/corpus.py) that matplotlib, a
dependency, ships in its own data folder (``mpl-data/fonts/ttf``, under DejaVu's licence: the
Bitstream Vera licence, changes in the public domain): Sans, Sans Bold, Serif, Serif Bold, Sans
Mono and Sans Mono Bold, rendered by Pillow's FreeType exactly as Debian's fonts-dejavu-core
renders them (the same bytes), and Sans and Serif Condensed, which matplotlib does not ship,
made from Sans and Serif narrowed to ``CONDENSED`` of their width (DejaVu's condensed faces
are narrowed ones). So every machine that has neuralpath trains ``best`` on the same printed
shapes, whatever fonts it has installed; the held-out fonts are never among them.

``glyph_fields()`` turns each into what ``augment`` draws varied copies from: its signed
distance field (pixels inside the ink positive, outside negative, the edge at 0), so that a
copy's strokes are made thinner or fatter by the level it is cut at, as ``imaging`` evens the
strokes of a picture with the distance transform; the mean stroke width ``imaging`` would
measure on it; and the corners of its ink's convex hull, whose moved box is the box of the
copy's ink.
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import NamedTuple

import numpy as np

FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSansMono",
         "DejaVuSansMono-Bold", "DejaVuSansCondensed", "DejaVuSerifCondensed")
CONDENSED = 0.92  # the narrowing whose rows come nearest Debian's condensed faces' rows
HEIGHT = 96  # a digit's height in pixels (the 8x8 input is counted from 32x32)
CANVAS = 112  # the square each digit is centred on
PAD = 24  # paper added round each glyph, so strokes can grow and a turned digit stays inside
HULL_POINTS = 96  # the corners of the ink's convex hull, repeated up to this many


class GlyphFields(NamedTuple):
    """The printed glyphs as ``augment`` uses them.

    Attributes
    ----------
    fields : array (n, H, W) float32
        Signed distance to the ink's edge in pixels, positive inside.
    labels : array (n,) int64
        The digit of each.
    faces : list of str
        The face of each.
    width : array (n,)
        Mean stroke width in pixels (``no_digit.stroke_width``).
    hull : array (n, HULL_POINTS, 2)
        (row, column) of the corners of the ink's convex hull (the first repeated to fill).
    """

    fields: np.ndarray
    labels: np.ndarray
    faces: list[str]
    width: np.ndarray
    hull: np.ndarray


def font_folder() -> str:
    """matplotlib's folder of TrueType fonts (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the printed digits are rendered from matplotlib's DejaVu fonts: "
                          "pip install matplotlib")
    return os.path.join(list(spec.submodule_search_locations)[0], "mpl-data", "fonts", "ttf")


def render(face: str, digit: int) -> np.ndarray:
    """One digit of ``face`` (one of ``FACES``), anti-aliased, ink bright, its ink box centred
    on a (CANVAS, CANVAS) uint8 square, the face's digits ``HEIGHT`` pixels high."""
    from PIL import Image, ImageDraw, ImageFont

    narrow = face.endswith("Condensed")
    path = os.path.join(font_folder(), face.replace("Condensed", "") + ".ttf")
    probe = ImageFont.truetype(path, 200)
    top, bottom = probe.getbbox("0123456789", anchor="ls")[1::2]
    font = ImageFont.truetype(path, round(200 * HEIGHT / (bottom - top)))
    big = Image.new("L", (4 * CANVAS, 4 * CANVAS), 0)
    ImageDraw.Draw(big).text((2 * CANVAS, 2 * CANVAS), str(digit), fill=255, font=font,
                             anchor="mm")
    crop = big.crop(big.getbbox())
    if narrow:
        crop = crop.resize((round(crop.width * CONDENSED), crop.height), Image.Resampling.BOX)
    ink = np.asarray(crop)
    h, w = ink.shape
    out = np.zeros((CANVAS, CANVAS), np.uint8)
    r, c = (CANVAS - h) // 2, (CANVAS - w) // 2
    out[r:r + h, c:c + w] = ink
    return out


@lru_cache(maxsize=1)
def load_glyphs() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The printed digits: grey (n, CANVAS, CANVAS) uint8 (ink bright), their digits and
    faces, ``FACES`` in order, 0..9 each (rendered once per process)."""
    grey = np.array([render(face, d) for face in FACES for d in range(10)])
    labels = np.tile(np.arange(10, dtype=np.int64), len(FACES))
    return grey, labels, [face for face in FACES for _ in range(10)]


@lru_cache(maxsize=1)
def glyph_fields() -> GlyphFields:
    """The ``GlyphFields`` of the printed glyphs (made once per process, about 0.1 s)."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull

    from .no_digit import stroke_width

    grey, labels, faces = load_glyphs()
    fields, widths, hulls = [], [], []
    for g in grey:
        ink = np.pad(g >= 128, PAD)
        # distances between pixel centres; the edge lies half a pixel from either side
        inside = ndimage.distance_transform_edt(ink) - 0.5
        outside = ndimage.distance_transform_edt(~ink) - 0.5
        fields.append(np.where(ink, inside, -outside).astype(np.float32))
        widths.append(stroke_width(ink))
        rows, cols = np.nonzero(ink & ~ndimage.binary_erosion(ink))
        corners = (np.stack([rows, cols], axis=1)[:, None, :]
                   + np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])).reshape(-1, 2)
        hull = corners[ConvexHull(corners).vertices]
        if len(hull) > HULL_POINTS:
            raise ValueError(f"a glyph's hull has {len(hull)} corners, over {HULL_POINTS}")
        hulls.append(np.concatenate([hull, np.repeat(hull[:1], HULL_POINTS - len(hull), 0)]))
    return GlyphFields(np.array(fields), labels, faces, np.array(widths), np.array(hulls))
