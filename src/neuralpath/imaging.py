"""Images -> the input form of the digits data: 8x8 (or side x side) pixels valued 0..16.

The scikit-learn digits were made (UCI "optdigits") from 32x32 binary bitmaps by counting
the set pixels in each non-overlapping 4x4 block, giving 0..16. An arbitrary image is
brought to that form the same way: grey levels, ink made dark-on-light or light-on-dark
as needed so the digit is the bright part, cropped to the digit's bounding box, scaled to
fill the 32x32 bitmap's height (aspect ratio kept, centred: every digits image spans all
8 rows), thresholded into a bitmap, and the 4x4 blocks counted. ``neuralpath predict`` and the web page both call
``image_to_input``, so a drawing and a file are treated alike.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

BITMAP = 32  # side of the bitmap the digits were counted from
MAX_PIXELS = 50_000_000  # refuse decompression bombs


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


def grey_to_input(ink, side=8):
    """A 2-D array of ink strength (0 background .. 1 ink) -> side*side values 0..16."""
    ink = np.asarray(ink, dtype=np.float64)
    if ink.ndim != 2 or min(ink.shape) < 1:
        raise ValueError(f"image must be a 2-D picture, got shape {ink.shape}")
    if not np.all(np.isfinite(ink)):
        raise ValueError("image values must be finite")
    block = BITMAP // side if BITMAP % side == 0 and side <= BITMAP else None
    span = float(ink.max() - ink.min())
    mask = ink > (ink.min() + 0.35 * span) if span > 1e-6 else np.zeros_like(ink, bool)
    if not mask.any():
        return np.zeros(side * side)
    rows, cols = np.nonzero(mask)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    crop = (crop - ink.min()) / span
    if block is None:  # a model with other-sized inputs (MNIST 28x28): fit and scale 0..1
        return _fit_box(crop, side, int(round(side * 20 / 28))).ravel() * 16.0
    bitmap = _fit_box(crop, BITMAP, BITMAP) > 0.5  # the digits fill the bitmap's height
    counts = bitmap.reshape(side, block, side, block).sum(axis=(1, 3))  # (side, side)
    return (counts * (16.0 / (block * block))).ravel()


def _fit_box(crop, canvas, inner):
    """Scale ``crop`` so its longer side is ``inner`` pixels, centred on a canvas square."""
    h, w = crop.shape
    scale = inner / max(h, w)  # the longer side becomes ``inner`` pixels
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS)
    out = np.zeros((canvas, canvas))
    top, left = (canvas - nh) // 2, (canvas - nw) // 2
    out[top:top + nh, left:left + nw] = np.asarray(img, dtype=np.float64) / 255.0
    return out


def image_to_input(data: bytes, side=8):
    """Encoded image bytes (PNG, JPEG, ...) -> side*side values 0..16 (float64)."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__}: {exc})") from None
    return grey_to_input(_as_grey(img), side)


def image_file_to_input(path, side=8):
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
