"""Drawn digits made up from stroke skeletons, counted the way the digits data was counted.

The digits data (UCI optdigits) was written by 43 people on forms; some ways of writing
digits are missing from it or rare: a 1 with a flag and a base (every serif font's 1), a 7
without a crossbar drawn as one stroke, a 6 with a long curved stem, an 8 of two round
loops. ``synthetic_digits`` renders skeletons of such styles, varied as drawings vary (size
of the pen, slant, turn, width, an unsteady hand), into 32x32 bitmaps with the digit's
longer side filling the bitmap, and counts the "on" pixels of 4x4 blocks (0..16), exactly
the form of the data. ``best`` adds them to its training part.

These skeletons are the *tuning* styles of the drawn corpus of tests/data/drawn_digits.json
(its held-out styles are not here and must never be added: the tests' floors are measured
on them).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

SIDE = 32  # the bitmap the digits were counted from
FINE = 4  # skeletons are drawn this many times finer, then box-averaged to SIDE
PEN = (5.0, 7.0)  # pen width on the 32x32 bitmap (imaging evens strokes to 6)

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
            [[(0.12, 0), (0.04, 0.62), (0.6, 0.62)], [(0.45, 0.2), (0.45, 1)]]],
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
            [[(0.3 + 0.28 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t))
              for t in np.linspace(0, 2 * math.pi, 49)]]],
        9: [[a(0.3, 0.27, 0.28, 0.27, 0, 360), [(0.58, 0.27), (0.58, 1.0)]],
            [a(0.3, 0.27, 0.28, 0.27, 0, 360),
             [(0.58, 0.27), (0.56, 0.6), (0.45, 0.85), (0.2, 1.0)]]],
    }


def render(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """One varied drawing of a skeleton as the digits' 64 block counts 0..16.

    Parameters
    ----------
    strokes : list of point lists
        The skeleton.
    rng : numpy.random.Generator
        Draws the variation: slant (shear up to 0.35), turn (up to 12 degrees), width
        (x0.75..1.3), a wobble of 1% of the height per point and the pen (``PEN``).

    Returns
    -------
    array (64,)
    """
    pts = [np.asarray(s, dtype=np.float64) for s in strokes]
    shear, angle = rng.uniform(-0.35, 0.35), math.radians(rng.uniform(-12, 12))
    aspect = rng.uniform(0.75, 1.3)
    cos, sin = math.cos(angle), math.sin(angle)
    moved = []
    for p in pts:
        q = p - 0.5 + rng.normal(0.0, 0.01, p.shape)  # (n, 2) about the middle
        q[:, 0] = q[:, 0] * aspect - shear * q[:, 1]
        moved.append(q @ np.array([[cos, sin], [-sin, cos]]))
    every = np.concatenate(moved)
    lo, hi = every.min(axis=0), every.max(axis=0)
    pen = rng.uniform(*PEN) * FINE
    box = SIDE * FINE - pen  # the skeleton's longer side, so the inked digit fills SIDE
    scale = box / max(float((hi - lo).max()), 1e-6)
    centre = (lo + hi) / 2
    img = Image.new("L", (SIDE * FINE, SIDE * FINE), 0)
    ink = ImageDraw.Draw(img)
    r = pen / 2
    for q in moved:
        xy = [tuple(v) for v in (q - centre) * scale + SIDE * FINE / 2]
        ink.line(xy, fill=255, width=int(round(pen)), joint="curve")
        for x, y in xy:
            ink.ellipse([x - r, y - r, x + r, y + r], fill=255)
    bitmap = np.asarray(img.reduce(FINE), dtype=np.float64) > 127  # (32, 32)
    block = SIDE // 8
    return bitmap.reshape(8, block, 8, block).sum(axis=(1, 3)).ravel().astype(np.float64)


def n_synthetic(per_style: int = 40) -> int:
    """How many rows ``synthetic_digits(per_style)`` makes (without drawing them)."""
    return per_style * sum(len(styles) for styles in _styles().values())


def synthetic_digits(per_style: int = 40, random_state: int | np.random.Generator = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``per_style`` varied drawings of every skeleton style, as digits rows.

    Parameters
    ----------
    per_style : int
        Drawings of each style (there are 2 or 3 styles of each digit).
    random_state : int or numpy.random.Generator
        Seeds the variation.

    Returns
    -------
    X : array (n, 64)
        Block counts 0..16.
    y : array (n,)
        The digits.
    """
    if not isinstance(per_style, (int, np.integer)) or per_style < 0:
        raise ValueError(f"per_style must be a non-negative integer, got {per_style!r}")
    rng = np.random.default_rng(random_state)
    rows, labels = [], []
    for digit, styles in _styles().items():
        for strokes in styles:
            for _ in range(per_style):
                rows.append(render(strokes, rng))
                labels.append(digit)
    if not rows:
        return np.zeros((0, 64)), np.zeros(0, dtype=np.int64)
    return np.array(rows), np.array(labels, dtype=np.int64)
