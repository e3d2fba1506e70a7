"""Images -> the inputs a model was trained on: the digits' 8x8 counts, or MNIST-like grey.

The scikit-learn digits were made (UCI "optdigits") from 32x32 binary bitmaps by counting
the set pixels in each non-overlapping 4x4 block, giving 0..16. An arbitrary image is
brought to that form the same way: grey levels, ink made dark-on-light or light-on-dark
as needed so the digit is the bright part, cropped to the digit's bounding box, scaled so
its longer side fills the 32x32 bitmap (aspect ratio kept, centred), its strokes evened to
the width the data's strokes have, thresholded into a bitmap, and the 4x4 blocks counted.
Other sides (28 for MNIST) get MNIST's form: the digit in a 20x20 box (scaled with the
side), centred by its centre of mass, grey levels 0..255.

``neuralpath predict`` and the web page both call ``image_to_input`` (or
``image_file_to_input``, ``read_image``), so a drawing and a file are treated alike;
``read_image`` also gives the no-digit rule's answer (``no_digit``).
"""
from __future__ import annotations

import io
import math
import os
import re
import stat
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from .no_digit import InkMeasures, measure_ink, no_digit_reason, stroke_width

BITMAP = 32  # side of the bitmap the digits were counted from
DIGITS_SIDE = 8  # the digits are 8x8 counts of 4x4 blocks of that bitmap
DIGITS_MAX = 16.0  # a block of 16 pixels, all set
GREY_MAX = 255.0  # MNIST-like images are grey levels 0..255
FINE = 4  # strokes are measured and evened on a bitmap this many times finer
DIGITS_STROKE = 6.0  # stroke width on the 32x32 bitmap (chosen so drawn 0..9 look like the data)
MNIST_STROKE = 0.12  # stroke width as a share of MNIST's 20-pixel box (about 2.4 pixels)
MAX_PIXELS = 50_000_000  # refuse decompression bombs
MAX_FILE_BYTES = 50 << 20  # image files larger than this are refused, unread
REDUCED = 512  # pictures over twice this side are box-averaged down to about it first


def _full_scale(top: float, mode: str) -> float:
    """The value that means full white for a picture of ``mode``.

    8-bit modes: 255. ``I;16*``: 65535. ``I`` (32-bit integers, what some decoders give a
    16-bit file) and ``F`` (floats) say nothing of their range: ``F`` up to 1 is taken as
    0..1, up to 255 (or ``I`` up to 255) as 8-bit, up to 65535 as 16-bit, else its largest
    value.
    """
    if mode.startswith("I;16"):
        return 65535.0
    if mode == "F" and top <= 1.0:
        return 1.0
    for full in (255.0, 65535.0):
        if top <= full:
            return full
    return top


def _levels(img: Image.Image, full: float | None = None) -> np.ndarray:
    """Grey levels 0 (black) .. 1 (white) of a single-band picture of high bit depth;
    ``full`` is the value of white (else found from the picture, ``_full_scale``)."""
    values = np.asarray(img, dtype=np.float64)  # (H, W)
    if not np.all(np.isfinite(values)):
        raise ValueError("the picture's values must be finite numbers, got NaN or infinity")
    if full is None:
        full = _full_scale(float(values.max()) if values.size else 0.0, img.mode)
    return np.clip(values / full, 0.0, 1.0)


def _high_depth(img: Image.Image) -> bool:
    """Whether ``img`` has one band of more than 8 bits (16-bit, 32-bit integer or float)."""
    return img.mode.startswith("I") or img.mode == "F"


def _as_grey(img: Image.Image, full: float | None = None) -> np.ndarray:
    """Greyscale ink strength 0..1 (ink bright); transparent pixels count as background.

    16-bit (``I;16``), 32-bit integer (``I``) and float (``F``) pictures are scaled, not
    clipped, to 0..1 (see ``_full_scale``), so a 16-bit picture gives what its 8-bit
    version gives. CMYK and every other mode go through Pillow's conversion to grey.
    """
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0  # (H, W, 4)
        grey, alpha = rgba[..., :3].mean(axis=2), rgba[..., 3]
        if alpha.min() < 0.99:  # strokes painted on a transparent canvas
            return alpha * _ink(grey, alpha)
    elif _high_depth(img):
        grey = _levels(img, full)
    else:
        grey = np.asarray(img.convert("L"), dtype=np.float64) / 255.0  # (H, W)
    return _ink(grey, None)


def _ink(grey, alpha):
    """Make ink bright: the picture is dark-on-light when its darkest level is further from the
    border's (the paper's) than its lightest."""
    if alpha is not None:
        # pixels with no paint are background whatever their colour
        painted = alpha > 0.5
        if not painted.any():
            return np.zeros_like(grey)
        level = np.median(grey[painted])
        # a stroke lighter than mid-grey on transparency is light ink
        return grey if level >= 0.5 else 1.0 - grey
    # the paper is the border's level; the ink is the extreme further from it (dark ink on
    # grey paper is still dark ink), on a blank picture the paper's side of mid-grey says
    paper = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    darker, lighter = paper - float(grey.min()), float(grey.max()) - paper
    dark_ink = darker > lighter if darker != lighter else paper > 0.5
    return 1.0 - grey if dark_ink else grey


def flatten_light(ink: np.ndarray) -> np.ndarray:
    """Ink strength (bright ink) with the paper's uneven light taken away.

    A photo's paper is lighter on one side than on the other; where the paper is dark grey,
    its darker corner can come near the ink's level and be taken for ink. The paper's level is
    taken as the plane through the medians of the four borders (a digit that touches a border
    leaves its median to the paper), subtracted, and what falls below it set to 0. A picture
    on evenly lit paper only has the paper's level taken away.
    """
    h, w = ink.shape
    if min(h, w) < 3:
        return ink
    top, bottom = np.median(ink[0]), np.median(ink[-1])
    left, right = np.median(ink[:, 0]), np.median(ink[:, -1])
    y = np.linspace(-0.5, 0.5, h)[:, None]
    x = np.linspace(-0.5, 0.5, w)[None, :]
    paper = (top + bottom + left + right) / 4 + (bottom - top) * y + (right - left) * x
    return np.clip(ink - paper, 0.0, None)


def input_max(side: int) -> float:
    """The largest input value for ``side``: 16 for the 8x8 digits, 255 for MNIST-like images."""
    return DIGITS_MAX if side == DIGITS_SIDE else GREY_MAX


def grey_to_input(ink: Any, side: int = 8) -> np.ndarray:
    """A 2-D array of ink strength (0 background .. 1 ink) -> side*side input values.

    ``side == 8`` gives the digits' form (4x4 block counts of a 32x32 bitmap, 0..16); any
    other side gives MNIST's form (the digit fitted in a 20/28 box, centred by its centre of
    mass, grey levels 0..255).
    """
    ink = np.asarray(ink, dtype=np.float64)
    if ink.ndim != 2 or min(ink.shape) < 1:
        raise ValueError(f"image must be a 2-D picture, got shape {ink.shape}")
    if not np.all(np.isfinite(ink)):
        raise ValueError("image values must be finite")
    if not isinstance(side, (int, np.integer)) or side < 1:
        raise ValueError(f"side must be a positive integer, got {side!r}")
    span = float(ink.max() - ink.min())
    mask = ink > (ink.min() + 0.35 * span) if span > 1e-6 else np.zeros_like(ink, bool)
    if not mask.any():
        return np.zeros(side * side)
    rows, cols = np.nonzero(mask)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    crop = (crop - ink.min()) / span
    if side == DIGITS_SIDE:
        return _digits_form(crop)
    return _mnist_form(crop, side)


def _digits_form(crop):
    """UCI optdigits: a 32x32 bitmap with the digit's longer side filling it, 4x4 counts."""
    strokes = _even_strokes(crop, BITMAP * FINE, DIGITS_STROKE * FINE)
    bitmap = _fit_box(strokes, BITMAP, BITMAP) > 0.5  # (32, 32)
    block = BITMAP // DIGITS_SIDE
    counts = bitmap.reshape(DIGITS_SIDE, block, DIGITS_SIDE, block).sum(axis=(1, 3))  # (8, 8)
    return counts.ravel().astype(np.float64)


def _mnist_form(crop, side):
    """MNIST: the digit's longer side fills a 20/28 box, then its centre of mass is put at
    the centre of the side x side field; grey levels 0..255."""
    inner = max(1, int(round(side * 20 / 28)))
    strokes = _even_strokes(crop, inner * FINE, MNIST_STROKE * inner * FINE)
    grey = _fit_box(strokes, inner, inner)  # (inner, inner), 0..1 anti-aliased
    out = np.zeros((side, side))
    total = grey.sum()
    if total <= 0:
        return out.ravel()
    r, c = np.indices(grey.shape)
    com = np.array([(r * grey).sum(), (c * grey).sum()]) / total
    top, left = np.clip(np.round((side - 1) / 2 - com).astype(int), 0, side - inner)
    out[top:top + inner, left:left + inner] = grey
    return out.ravel() * GREY_MAX


def _even_strokes(crop, box, stroke):
    """The digit as a bitmap of ``box`` pixels on its longer side, its strokes made about
    ``stroke`` pixels wide.

    Pens, brushes and scanners draw lines of any width, and after scaling a small digit has
    fat strokes and a large one thin strokes; the network only ever saw the width of its
    training images. The mean width is estimated as 2 * area / boundary (a stroke of
    width w and length L has area wL and about 2L boundary pixels); the bitmap is then grown
    (thin strokes) or shrunk (fat strokes) by the difference, using the distance transform.
    """
    margin = int(math.ceil(stroke))  # room to grow the strokes on every side
    fitted = _fit_box(crop, box + 2 * margin, box)
    bitmap = fitted > 0.5 * fitted.max()  # (box + 2 margin, box + 2 margin)
    if not bitmap.any():
        return fitted
    width = stroke_width(bitmap)
    goal = float(even_goal(width, box, stroke))
    if width < goal:
        bitmap = ndimage.distance_transform_edt(~bitmap) <= (goal - width) / 2
    elif width > goal:
        thinner = ndimage.distance_transform_edt(bitmap) > (width - goal) / 2
        if thinner.any():
            bitmap = thinner
    rows, cols = np.nonzero(bitmap)
    return bitmap[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float64)


def even_goal(width: Any, box: float = BITMAP * FINE, stroke: float = DIGITS_STROKE * FINE
              ) -> np.ndarray:
    """The stroke width ``_even_strokes`` gives a digit whose longer side is ``box`` pixels and
    whose strokes are ``width`` wide (a number or an array): the width it grows or thins them
    to, or ``width`` where they are left as they are (from the goal to 1.25 times it)."""
    width = np.asarray(width, dtype=np.float64)
    # growing strokes by d also grows the digit by d, and it is then scaled back to ``box``:
    # aim at the width g for which g * box / (box + g - width) == stroke
    goal = stroke * (box - width) / (box - stroke)
    return np.where((width >= goal) & (width <= 1.25 * goal), width, goal)


def _fit_box(crop, canvas, inner):
    """Scale ``crop`` so its longer side is ``inner`` pixels, centred on a canvas square."""
    h, w = crop.shape
    scale = inner / max(h, w)  # the longer side becomes ``inner`` pixels
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray(np.round(crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS)
    out = np.zeros((canvas, canvas))
    top, left = (canvas - nh) // 2, (canvas - nw) // 2
    out[top:top + nh, left:left + nw] = np.asarray(img, dtype=np.float64) / 255.0
    return out


@dataclass(frozen=True)
class Reading:
    """A picture read for a model: its input, and why it holds no digit (None if it may).

    Attributes
    ----------
    input : array (side * side,)
        The model input (``grey_to_input``); all zeros when there is no ink.
    reason : str or None
        ``no_digit_reason``'s answer.
    measures : InkMeasures
    """

    input: np.ndarray
    reason: str | None
    measures: InkMeasures


def _unreadable(exc: BaseException) -> ValueError:
    """The error for bytes Pillow cannot read: its reason, without Pillow's name of the
    in-memory file (``<_io.BytesIO object at 0x...>``)."""
    if isinstance(exc, UnidentifiedImageError):
        return ValueError("not a readable image (not a picture format Pillow knows: PNG, JPEG, "
                          "GIF, BMP, TIFF, WebP, ...)")
    reason = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "", str(exc))
    return ValueError(f"not a readable image ({type(exc).__name__}: {reason})")


def _decode(data: bytes, max_pixels: int) -> np.ndarray:
    """Encoded image bytes -> ink strength 0..1 (bright ink), big pictures box-averaged."""
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _unreadable(exc) from None
    width, height = img.size
    if width * height > max_pixels:
        raise ValueError(f"the picture is {width} x {height} pixels; at most {max_pixels} "
                         "pixels are accepted")
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _unreadable(exc) from None
    full = None
    if max(img.size) > 2 * REDUCED:  # box-average big pictures first: thin strokes stay grey
        if _high_depth(img):  # keep every level: 16-bit and float pictures are not clipped
            extrema = img.getextrema()
            full = _full_scale(float(extrema[1]), img.mode)  # type: ignore[arg-type, index]
            img = img.convert("F")
        else:
            img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info
                              else "L")
        img = img.reduce(max(img.size) // REDUCED)
    return flatten_light(_as_grey(img, full))


def read_image(data: bytes, side: int = 8, max_pixels: int = MAX_PIXELS) -> Reading:
    """Encoded image bytes (PNG, JPEG, ...) -> the model input and the no-digit verdict.

    Parameters
    ----------
    data : bytes
        The encoded picture.
    side : int
        8 for the digits' 8x8 counts, else MNIST's form of that side.
    max_pixels : int
        Pictures of more pixels are refused from their header, before they are decoded.

    Returns
    -------
    Reading
    """
    ink = _decode(data, max_pixels)
    return Reading(grey_to_input(ink, side), no_digit_reason(ink), measure_ink(ink))


def image_to_input(data: bytes, side: int = 8, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Encoded image bytes (PNG, JPEG, ...) -> side*side values 0..16 (float64).

    Pictures of more than ``max_pixels`` pixels are refused from their header, before
    they are decoded (a small file can declare a huge picture).
    """
    return grey_to_input(_decode(data, max_pixels), side)


def read_image_file(path: str | os.PathLike, side: int = 8) -> Reading:
    """An image file -> its ``Reading``; a file that is not an image is refused, named.

    At most ``MAX_FILE_BYTES`` are read: a larger regular file is refused from its size, a
    device or pipe (``/dev/zero``) once that much has come; a file whose first bytes are no
    picture format Pillow knows is refused before the rest is read.
    """
    try:
        with open(path, "rb") as f:
            data = _read_image_bytes(f, path)
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not an image file") from None
    try:
        return read_image(data, side)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _read_image_bytes(f: Any, path: str | os.PathLike) -> bytes:
    """The bytes of an open image file, at most ``MAX_FILE_BYTES``, checked to begin as a
    picture (Pillow reads only a format's header to say so)."""
    too_big = (f"{path}: larger than {MAX_FILE_BYTES // (1 << 20)} MB; image files of at "
               f"most {MAX_FILE_BYTES // (1 << 20)} MB are read")
    info = os.fstat(f.fileno())
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
        raise ValueError(too_big)
    head = f.read(_HEAD_BYTES)
    try:
        Image.open(io.BytesIO(head)).close()
    except UnidentifiedImageError as exc:
        raise ValueError(f"{path}: {_unreadable(exc)}") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError):
        pass  # recognised, but its header goes on past the first bytes: read the rest
    data = head + f.read(MAX_FILE_BYTES + 1 - len(head))
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(too_big)
    return data


_HEAD_BYTES = 1 << 20  # enough for Pillow to read any format's header (JPEG markers included)


def image_file_to_input(path: str | os.PathLike, side: int = 8) -> np.ndarray:
    """An image file -> side*side values 0..16; a file that is not an image is refused."""
    return read_image_file(path, side).input
