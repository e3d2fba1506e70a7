"""The batch renderer of ``augment``: varied copies of many source pictures at once, counted.

Each row of a batch is a source picture (an image brought to grey, a glyph's signed distance
field, a skeleton's distance field) moved by its own affine map and the wobble of a hand. One
path does the whole batch in NumPy: the inverse of each row's map (with the fit of its ink box
to 32x32) sends the 32x32 output pixels into its source, one gather reads them, a threshold
makes the bitmap, an optional erosion thins it, and its 4x4 blocks are counted (``render``).
The numbers that vary a row are a function of (seed, row) only (``uniforms``: SplitMix64).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

SIDE = 32  # the bitmap the digits are counted from
BLOCK = SIDE // 8

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


def det(A: np.ndarray) -> np.ndarray:
    """The determinants (b,) of 2x2 maps (b, 2, 2): how each changes areas."""
    return A[:, 0, 0] * A[:, 1, 1] - A[:, 0, 1] * A[:, 1, 0]


def _inverse(A: np.ndarray) -> np.ndarray:
    """The inverses of 2x2 maps (b, 2, 2), written out (``np.linalg.inv`` costs more here)."""
    a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
    inverse = np.empty_like(A)
    det = a * d - b * c
    inverse[:, 0, 0], inverse[:, 0, 1] = d / det, -b / det
    inverse[:, 1, 0], inverse[:, 1, 1] = -c / det, a / det
    return inverse


def ink_box(points: np.ndarray, A: np.ndarray, centre: np.ndarray,
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
        The hand's displacement at 3x3 points, in pixels of 32 (``wobble_field``).
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


def wobble_field(u: np.ndarray, size: float) -> np.ndarray | None:
    """The wobble's displacements at 3x3 points (b, 9, 2), of standard deviation ``size``."""
    if not size:
        return None
    control = (u.reshape(len(u), _WOBBLE ** 2, 2) - 0.5) * (size * np.sqrt(12.0))
    return control.astype(np.float32)
