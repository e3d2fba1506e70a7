"""Printed digits for training: the digits of eight DejaVu faces, shipped with the package.

``glyphs/dejavu_digits.npz`` holds 0..9 of the DejaVu faces among the tuning fonts of the
printed corpus (tests/corpus.py), rendered by ``scripts/extract_glyphs.py`` (see
``glyphs/README.md`` for the licence). A model trained with them is the same on every
machine, whatever fonts it has; the held-out fonts are never among them.

``glyph_fields()`` turns each into what ``augment`` draws varied copies from: its signed
distance field (pixels inside the ink positive, outside negative, the edge at 0), so that a
copy's strokes are made thinner or fatter by the level it is cut at, as ``imaging`` evens the
strokes of a picture with the distance transform; the mean stroke width ``imaging`` would
measure on it; and the corners of its ink's convex hull, whose moved box is the box of the
copy's ink.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np

PAD = 24  # paper added round each glyph, so strokes can grow and a turned digit stays inside
HULL_POINTS = 96  # the corners of the ink's convex hull, repeated up to this many


class GlyphFields(NamedTuple):
    """The shipped glyphs as ``augment`` uses them.

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


def load_glyphs() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The shipped glyphs: grey (n, H, W) uint8 (ink bright), their digits and faces."""
    with resources.files("neuralpath").joinpath("glyphs/dejavu_digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as z:
            grey, faces = z["glyphs"], [str(v) for v in z["faces"]]
    n_faces, n_digits = grey.shape[:2]
    labels = np.tile(np.arange(n_digits, dtype=np.int64), n_faces)
    return (grey.reshape(n_faces * n_digits, *grey.shape[2:]), labels,
            [face for face in faces for _ in range(n_digits)])


@lru_cache(maxsize=1)
def glyph_fields() -> GlyphFields:
    """The ``GlyphFields`` of the shipped glyphs (made once per process, about 0.1 s)."""
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
