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
``image_file_to_input``), so a drawing and a file are treated alike.
"""
from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

BITMAP = 32  # side of the bitmap the digits were counted from
DIGITS_SIDE = 8  # the digits are 8x8 counts of 4x4 blocks of that bitmap
DIGITS_MAX = 16.0  # a block of 16 pixels, all set
GREY_MAX = 255.0  # MNIST-like images are grey levels 0..255
FINE = 4  # strokes are measured and evened on a bitmap this many times finer
DIGITS_STROKE = 6.0  # stroke width on the 32x32 bitmap (chosen so drawn 0..9 look like the data)
MNIST_STROKE = 0.12  # stroke width as a share of MNIST's 20-pixel box (about 2.4 pixels)
MAX_PIXELS = 50_000_000  # refuse decompression bombs
REDUCED = 512  # pictures over twice this side are box-averaged down to about it first


def _as_grey(img: Image.Image):
    """Greyscale ink strength 0..1 (ink bright); transparent pixels count as background."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0  # (H, W, 4)
        grey, alpha = rgba[..., :3].mean(axis=2), rgba[..., 3]
        if alpha.min() < 0.99:  # strokes painted on a transparent canvas
            return alpha * _ink(grey, alpha)
    else:
        grey = np.asarray(img.convert("L"), dtype=np.float64) / 255.0  # (H, W)
    return _ink(grey, None)


def _ink(grey, alpha):
    """Make ink bright: if the border of the image is light, the picture is dark-on-light."""
    if alpha is not None:
        # pixels with no paint are background whatever their colour
        painted = alpha > 0.5
        if not painted.any():
            return np.zeros_like(grey)
        level = np.median(grey[painted])
        # a stroke lighter than mid-grey on transparency is light ink
        return grey if level >= 0.5 else 1.0 - grey
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if np.median(border) > 0.5 else grey


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
    boundary = bitmap & ~ndimage.binary_erosion(bitmap)
    width = 2.0 * bitmap.sum() / max(1, boundary.sum())
    # growing strokes by d also grows the digit by d, and it is then scaled back to ``box``:
    # aim at the width g for which g * box / (box + g - width) == stroke
    goal = stroke * (box - width) / (box - stroke)
    if width < goal:
        bitmap = ndimage.distance_transform_edt(~bitmap) <= (goal - width) / 2
    elif width > 1.25 * goal:
        thinner = ndimage.distance_transform_edt(bitmap) > (width - goal) / 2
        if thinner.any():
            bitmap = thinner
    rows, cols = np.nonzero(bitmap)
    return bitmap[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float64)


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


def image_to_input(data: bytes, side: int = 8, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Encoded image bytes (PNG, JPEG, ...) -> side*side values 0..16 (float64).

    Pictures of more than ``max_pixels`` pixels are refused from their header, before
    they are decoded (a small file can declare a huge picture).
    """
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__}: {exc})") from None
    width, height = img.size
    if width * height > max_pixels:
        raise ValueError(f"the picture is {width} x {height} pixels; at most {max_pixels} "
                         "pixels are accepted")
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__}: {exc})") from None
    if max(img.size) > 2 * REDUCED:  # box-average big pictures first: thin strokes stay grey
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info
                          else "L")
        img = img.reduce(max(img.size) // REDUCED)
    return grey_to_input(_as_grey(img), side)


def image_file_to_input(path: str | os.PathLike, side: int = 8) -> np.ndarray:
    """An image file -> side*side values 0..16; a file that is not an image is refused."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not an image file") from None
    try:
        return image_to_input(data, side)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
