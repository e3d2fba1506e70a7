"""Whether a picture holds a digit at all: measures of its ink, and the no-digit rule.

``imaging.read_image`` gives every picture's ``InkMeasures`` (``measure_ink``) and the rule's
answer (``no_digit_reason``): None when the picture may hold a digit, else why not ("no ink",
"the ink is too faint", "only a dot", "only a short mark", or ``TOO_SMALL`` for ink shaped
like a digit drawn too small to read). ``neuralpath predict`` and the web page say it instead
of a digit. The mean stroke width of a bitmap (``stroke_width``) is measured here too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage


def stroke_width(bitmap: np.ndarray) -> float:
    """The mean stroke width of a bitmap's ink in pixels: 2 * area / boundary pixels (a stroke
    of width w and length L has area wL and about 2L boundary pixels)."""
    boundary = bitmap & ~ndimage.binary_erosion(bitmap)
    return 2.0 * float(bitmap.sum()) / max(1, int(boundary.sum()))



# A picture holds no digit when its ink is (in this order):
#   no ink       - its darkest and lightest pixels differ by less than NO_INK (2% of the
#                  scale), or fewer than MIN_INK_SHARE of its pixels are ink;
#   too faint    - the ink differs from the paper by less than FAINT (20% of black-to-white):
#                  a grey smudge, a shadow, a page seen through;
#   a dot        - the ink's longer extent is at most DOT_LENGTH stroke widths (a disc of any
#                  size is 2 widths long: the stroke width of a blot is its area/boundary x 2)
#                  and it is either small (under SMALL_EXTENT of the picture's longer side:
#                  a touch of the pen) or round and full (a blot);
#   a short mark - the ink's longer extent is under MARK_LENGTH stroke widths and under
#                  MARK_EXTENT of the picture's longer side, and it is one straight stroke
#                  (at least SOLIDITY of its convex hull is ink, and its box either at least
#                  MARK_ASPECT times longer than wide or, for a slanting stroke, under
#                  MARK_FILL inked): a dash, a tick, a stray touch.
# Ink that is as short as a dot or a mark but has a digit's shape (a digit drawn so small
# with a fat pen that its strokes run together: a 0 of 18% of the pad, a 7 of a quarter) is
# not said to be a dot or a mark: it is TOO_SMALL, and the answer asks for a larger digit.
# Ink is the pixels above 35% of the way from the lightest to the darkest level, as for the
# conversion itself. The stroke width is 2 * area / boundary (``stroke_width``).
NO_INK = 0.02
MIN_INK_SHARE = 1e-4
FAINT = 0.2
DOT_LENGTH = 2.5
MARK_LENGTH = 4.5
MARK_EXTENT = 0.25
SMALL_EXTENT = 0.15
ROUND_ASPECT = 1.2  # a blot: its box at most this much longer than wide,
ROUND_FILL = 0.9  # and at least this share of the ellipse in its box inked
SOLIDITY = 0.85
MARK_ASPECT = 1.6
MARK_FILL = 0.75
TOO_SMALL = "too small to read: draw it larger"


@dataclass(frozen=True)
class InkMeasures:
    """What the no-digit rule looks at, measured on a picture's ink.

    Attributes
    ----------
    contrast : float
        Ink strength of the strongest ink over the paper, 0..1 (1: black on white).
    amount : float
        Share of the picture's pixels that are ink, 0..1.
    extent : float
        The ink's longer bounding-box side over the picture's longer side, 0..1.
    width : float
        Mean stroke width in pixels (2 * area / boundary).
    length : float
        The ink's longer bounding-box side in stroke widths.
    aspect : float
        The ink's box, longer side over shorter side (1 when there is no ink).
    fill : float
        The ink's area over that of the ellipse its box holds (about 1 for a disc).
    solidity : float
        The ink's area over that of its convex hull (1 for one straight stroke or a disc).
    """

    contrast: float
    amount: float
    extent: float
    width: float
    length: float
    aspect: float = 1.0
    fill: float = 0.0
    solidity: float = 0.0


def measure_ink(ink: np.ndarray) -> InkMeasures:
    """The ``InkMeasures`` of a 2-D array of ink strength (0 paper .. 1 ink).

    Parameters
    ----------
    ink : array (H, W)
        Ink strength, bright ink (as ``grey_to_input`` takes it).

    Returns
    -------
    InkMeasures
    """
    ink = np.asarray(ink, dtype=np.float64)
    if ink.ndim != 2 or min(ink.shape) < 1:
        raise ValueError(f"image must be a 2-D picture, got shape {ink.shape}")
    paper = float(np.median(ink))
    span = float(ink.max() - ink.min())
    contrast = float(ink.max()) - paper
    if span <= 1e-6:
        return InkMeasures(contrast, 0.0, 0.0, 0.0, 0.0)
    mask = ink > (ink.min() + 0.35 * span)  # (H, W)
    area = int(mask.sum())
    rows, cols = np.nonzero(mask)
    sides = sorted((int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)))
    width = stroke_width(mask)
    return InkMeasures(contrast=contrast, amount=area / mask.size,
                       extent=float(sides[1]) / max(ink.shape), width=width,
                       length=float(sides[1]) / width, aspect=sides[1] / sides[0],
                       fill=area / (math.pi / 4 * sides[0] * sides[1]),
                       solidity=area / _hull_area(mask))


def _hull_area(mask: np.ndarray) -> float:
    """The area of the convex hull of a bitmap's pixels (as squares), in pixels."""
    from scipy.spatial import ConvexHull, QhullError

    boundary = mask & ~ndimage.binary_erosion(mask)
    rows, cols = np.nonzero(boundary)
    corners = (np.stack([rows, cols], axis=1)[:, None, :]
               + np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])).reshape(-1, 2)
    try:
        return float(ConvexHull(corners).volume)  # in 2-D, ``volume`` is the area
    except QhullError:  # all corners on a line: cannot happen for squares, but be safe
        return float(mask.sum())


def no_digit_reason(ink: np.ndarray) -> str | None:
    """Why a picture (ink strength, bright ink) holds no digit, or None if it may hold one.

    The rule and its thresholds are described above ``NO_INK``; its answers are "no ink",
    "the ink is too faint", "only a dot", "only a short mark" and ``TOO_SMALL``.

    Parameters
    ----------
    ink : array (H, W)
        Ink strength 0 (paper) .. 1 (ink).

    Returns
    -------
    str or None
    """
    m = measure_ink(ink)
    if m.contrast < NO_INK or m.amount < MIN_INK_SHARE:
        return "no ink"
    if m.contrast < FAINT:
        return "the ink is too faint"
    if m.length <= DOT_LENGTH:
        blot = m.aspect <= ROUND_ASPECT and m.fill >= ROUND_FILL
        return "only a dot" if m.extent < SMALL_EXTENT or blot else TOO_SMALL
    if m.length < MARK_LENGTH and m.extent < MARK_EXTENT:
        stroke = m.solidity >= SOLIDITY and (m.aspect >= MARK_ASPECT or m.fill < MARK_FILL)
        return "only a short mark" if stroke else TOO_SMALL
    return None
