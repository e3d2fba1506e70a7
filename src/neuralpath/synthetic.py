"""Drawn digits made up from stroke skeletons, counted the way the digits data was counted.

The digits data (UCI optdigits) was written by 43 people on forms; some ways of writing
digits are missing from it or rare: a 1 with a flag and a base (every serif font's 1), a 7
without a crossbar drawn as one stroke, a 6 with a long curved stem, an 8 of two round
loops. ``style_fields`` gives each style's distance field (the distance of every point to
the skeleton), from which ``augment.vary_drawings`` draws varied drawings of it a batch at a
time (size of the pen, slant, turn, width, an unsteady hand): 32x32 bitmaps with the
digit's longer side filling the bitmap, counted in 4x4 blocks (0..16), exactly the form of
the data. ``best`` adds them to its training rows (``augment.DrawingRows``).

These skeletons are the *tuning* styles of the drawn corpus of tests/data/drawn_digits.json
(its held-out styles are not here and must never be added: the tests' floors are measured
on them).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

FIELD = 112  # the distance fields' side, in pixels
UNIT = 64  # pixels per unit of the skeletons' frame (a digit is about 1 high)
MIDDLE = (0.5, 0.3)  # (y, x) of the frame at the fields' centre

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> Stroke:
    """Points of an elliptic arc from angle a0 to a1 (degrees; 0 right, 90 down)."""
    n = max(6, int(abs(a1 - a0) / 12))
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


def _styles() -> dict[int, list[list[Stroke]]]:
    """The skeletons: for each digit, styles; a style is strokes in a frame of about
    0..0.6 wide and 0..1 high (y down)."""
    a = _arc
    return {
        0: [[a(0.3, 0.5, 0.3, 0.5, -90, 270)], [a(0.35, 0.5, 0.35, 0.5, -100, 265)]],
        1: [[[(0.3, 0), (0.3, 1)]],
            [[(0.1, 0.22), (0.32, 0), (0.3, 1)]],
            [[(0.1, 0.22), (0.32, 0), (0.3, 1)], [(0.06, 1), (0.54, 1)]]],
        2: [[a(0.3, 0.27, 0.28, 0.27, 200, 390) + [(0.0, 1.0), (0.62, 1.0)]],
            [a(0.3, 0.27, 0.28, 0.27, 200, 390)
             + [(0.08, 0.97), (0.02, 0.9), (0.1, 0.84), (0.16, 0.92), (0.12, 1.0), (0.62, 0.98)]]],
        3: [[a(0.28, 0.25, 0.28, 0.25, 200, 450) + a(0.28, 0.74, 0.3, 0.26, -90, 160)],
            [[(0.02, 0.02), (0.58, 0.02), (0.25, 0.42)] + a(0.28, 0.7, 0.3, 0.29, -80, 160)]],
        4: [[[(0.45, 0), (0.0, 0.68), (0.62, 0.68)], [(0.45, 0), (0.45, 1)]],
            [[(0.12, 0), (0.04, 0.62), (0.6, 0.62)], [(0.45, 0.2), (0.45, 1)]],
            # open at the top, its two strokes starting close together: drawn small with a
            # wide pen they run together
            [[(0.3, 0), (0.02, 0.6), (0.6, 0.6)], [(0.42, 0.02), (0.42, 1)]]],
        5: [[[(0.55, 0), (0.08, 0), (0.04, 0.42)] + a(0.28, 0.68, 0.3, 0.3, -150, 150)],
            [[(0.06, 0.02), (0.04, 0.44)] + a(0.28, 0.68, 0.3, 0.3, -150, 150),
             [(0.06, 0.02), (0.58, 0.02)]]],
        6: [[[(0.5, 0.02), (0.25, 0.12), (0.08, 0.35), (0.02, 0.65)]
             + a(0.3, 0.72, 0.28, 0.27, 180, 530)],
            [[(0.22, 0), (0.03, 0.7)] + a(0.3, 0.73, 0.27, 0.26, 175, 530)]],
        7: [[[(0, 0), (0.6, 0), (0.2, 1)]],
            [[(0, 0), (0.6, 0), (0.2, 1)], [(0.15, 0.5), (0.55, 0.5)]],
            [[(0.0, 0.15), (0.02, 0.02), (0.6, 0.02), (0.22, 1)]]],
        8: [[a(0.3, 0.25, 0.24, 0.24, 0, 360), a(0.3, 0.73, 0.3, 0.27, -90, 270)],
            # a small loop on a large one: drawn small, the top loop's hole fills
            [a(0.3, 0.19, 0.17, 0.18, 90, 450), a(0.3, 0.68, 0.3, 0.31, -90, 270)],
            [[(0.3 + 0.28 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t))
              for t in np.linspace(0, 2 * math.pi, 49)]]],
        9: [[a(0.3, 0.27, 0.28, 0.27, 0, 360), [(0.58, 0.27), (0.58, 1.0)]],
            [a(0.3, 0.27, 0.28, 0.27, 0, 360),
             [(0.58, 0.27), (0.56, 0.6), (0.45, 0.85), (0.2, 1.0)]]],
    }


class StyleFields(NamedTuple):
    """The skeleton styles as ``augment.vary_drawings`` uses them.

    Attributes
    ----------
    fields : array (n, FIELD, FIELD) float32
        Minus the distance of each pixel to the style's skeleton, in pixels (ink is where it
        is above minus half the pen).
    labels : array (n,) int64
        The digit of each style.
    points : array (n, P, 2)
        (row, column) of the skeleton's points (the last repeated to fill): its box.
    centre : array (2,)
        The fields' centre, (row, column).
    """

    fields: np.ndarray
    labels: np.ndarray
    points: np.ndarray
    centre: np.ndarray


def _distance(grid: np.ndarray, strokes: list[np.ndarray]) -> np.ndarray:
    """The distance of each point of ``grid`` (N, 2) to the polylines ``strokes``."""
    best = np.full(len(grid), np.inf)
    for pts in strokes:
        if len(pts) == 1:
            best = np.minimum(best, np.linalg.norm(grid - pts[0], axis=1))
            continue
        a, d = pts[:-1], np.diff(pts, axis=0)  # (S, 2) segment starts and directions
        length2 = np.maximum((d * d).sum(axis=1), 1e-12)
        t = np.clip(((grid[:, None, :] - a) * d).sum(axis=2) / length2, 0.0, 1.0)  # (N, S)
        near = a + t[..., None] * d  # (N, S, 2)
        best = np.minimum(best, np.linalg.norm(grid[:, None, :] - near, axis=2).min(axis=1))
    return best


@lru_cache(maxsize=1)
def style_fields() -> StyleFields:
    """The ``StyleFields`` of every style of ``_styles`` (made once per process)."""
    centre = np.array([(FIELD - 1) / 2] * 2)
    grid = np.stack(np.meshgrid(np.arange(FIELD), np.arange(FIELD), indexing="ij"),
                    axis=-1).reshape(-1, 2).astype(np.float64)
    fields, labels, points = [], [], []
    for digit, styles in _styles().items():
        for strokes in styles:
            # (x, y) of the frame -> (row, column) pixels of the field
            pix = [(np.asarray(s, np.float64)[:, ::-1] - MIDDLE) * UNIT + centre
                   for s in strokes]
            fields.append(-_distance(grid, pix).reshape(FIELD, FIELD).astype(np.float32))
            labels.append(digit)
            points.append(np.concatenate(pix))
    most = max(len(p) for p in points)
    padded = np.array([np.concatenate([p, np.repeat(p[-1:], most - len(p), 0)]) for p in points])
    return StyleFields(np.array(fields), np.array(labels, np.int64), padded, centre)
