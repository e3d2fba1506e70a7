"""What the draw view answers: a picture or a list of pixels made the network's input, and the
network's answer to it.

The page sends its canvas as a PNG data URL; ``data_url_to_input`` turns it into the network's
input with ``imaging.read_image`` (the very conversion ``neuralpath predict`` applies to an
image file), ``pixels_to_input`` checks a list of numbers, and ``predict`` answers with that
input, the predicted digit, the probabilities and every hidden layer's activations.

Pictures are identified by their bytes, never by the data URL's label: only Pillow's PNG,
JPEG and WebP decoders are ever reached, and a picture's size is checked from its header
(``check_image``) before it is decoded.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import math
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..data import dataset_for_inputs
from ..imaging import input_max, read_image
from ..model import TrainedModel
from .api import ApiError, one_line

MAX_IMAGE_PIXELS = 4_000_000  # a 2000 x 2000 picture; larger ones are refused, not decoded
MAX_IMAGE_SIDE = 4000  # pixels on either side: a phone photo fits, a 1 x 4,000,000 strip does not
MAX_ASPECT = 8  # the longer side at most this many times the shorter (a digit is about square)
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")  # Pillow's names; no other decoder is ever reached


def input_side(model: TrainedModel) -> int | None:
    """The side of the square image a model takes (8 for the digits, 28 for MNIST), or None."""
    side = math.isqrt(model.n_features)
    return side if side * side == model.n_features else None


def dataset_name(model: TrainedModel) -> str | None:
    """The name of the data set ``model`` was trained on (None if it has no config)."""
    return model.config.dataset if model.config is not None else None


def pixel_max(model: TrainedModel) -> float:
    """The largest raw input value: the model's data set's, else imaging's for its side."""
    found = dataset_for_inputs(model.n_features, dataset_name(model))
    if found is not None:
        return found.pixel_max
    side = input_side(model)
    return input_max(side) if side is not None else 1.0


Answer = Callable[[TrainedModel, "PredictRequest"], Awaitable[dict[str, Any]]]
"""An answerer: a model and a request to the answer (``web.app.answerer`` makes the one the
draw view and the training page's pad share)."""


class PredictRequest(BaseModel):
    """A ``POST /api/predict`` body: exactly one of ``pixels`` or ``image``."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    pixels: list[float] | None = Field(
        None, description="the model's inputs: 64 numbers in 0..16 for a digits model "
                          "(784 in 0..255 for an MNIST one)")
    image: str | None = Field(
        None, description="a picture as a data URL, data:image/png;base64,... (PNG, JPEG or "
                          "WebP, told by its bytes)")

    @model_validator(mode="after")
    def _one_of(self) -> PredictRequest:
        given = [k for k in ("pixels", "image") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError('give exactly one of "pixels" (a list of numbers) or "image" '
                             f"(a data URL), got {len(given)}")
        return self

    def kind(self) -> tuple[str, Any]:
        """("pixels" or "image", its value)."""
        return ("pixels", self.pixels) if self.pixels is not None else ("image", self.image)


def pixels_to_input(value: Any, n_features: int, maximum: float = 16.0) -> np.ndarray:
    """A JSON list of ``n_features`` numbers in 0..maximum -> float64 array, else ``ApiError``."""
    if not isinstance(value, list):
        raise ApiError(422, f"pixels must be a list of {n_features} numbers, "
                            f"got a JSON {type(value).__name__}")
    if len(value) != n_features:
        raise ApiError(422, f"pixels must hold {n_features} numbers (the model's inputs), "
                            f"got {len(value)}")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ApiError(422, f"pixels must be numbers, item {i} is {json.dumps(v)[:40]}")
    try:
        x = np.array(value, dtype=np.float64)  # (n_features,)
    except OverflowError:  # an integer beyond float range
        raise ApiError(422, f"pixels must be numbers in 0..{maximum:g}, "
                            "got a huge integer") from None
    if not np.all(np.isfinite(x)):
        raise ApiError(422, f"pixels must be finite numbers in 0..{maximum:g}")
    if x.min() < 0 or x.max() > maximum:
        raise ApiError(422, f"pixels must be in 0..{maximum:g}, got values from "
                            f"{x.min():g} to {x.max():g}")
    return x


def data_url_to_input(value: Any, side: int | None) -> tuple[np.ndarray, str | None]:
    """A ``data:image/...;base64,...`` string -> the side*side input and why the picture holds
    no digit (None if it may hold one), else ``ApiError``."""
    if not isinstance(value, str):
        raise ApiError(422, "image must be a data URL string like data:image/png;base64,..., "
                            f"got a JSON {type(value).__name__}")
    if side is None:
        raise ApiError(422, "this model's inputs are not a square image; send \"pixels\"")
    head, comma, data = value.partition(",")
    if not comma or not head.startswith("data:image/") or not head.endswith(";base64"):
        raise ApiError(422, "image must be a data URL like data:image/png;base64,..., "
                            f"got one starting {value[:30]!r}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "image's base64 data is not valid base64") from None
    if not raw:
        raise ApiError(422, "image's base64 data is empty")
    check_image(raw)
    try:
        reading = read_image(raw, side, max_pixels=MAX_IMAGE_PIXELS)
    except ValueError as exc:
        raise ApiError(422, one_line(f"image: {exc}")) from None
    return reading.input, reading.reason


def picture_pixels(value: Any) -> int:
    """The pixels an ``image`` data URL's header declares, 0 if it will be refused anyway."""
    try:
        data = value.partition(",")[2] if isinstance(value, str) else ""
        _, width, height = check_image(base64.b64decode(data, validate=True))
    except (ApiError, binascii.Error, ValueError):
        return 0
    return width * height


def check_image(raw: bytes) -> tuple[str, int, int]:
    """The format, width and height of an encoded picture, read from its header only.

    Parameters
    ----------
    raw : bytes
        The encoded picture.

    Returns
    -------
    tuple of (str, int, int)
        Pillow's format name (one of ``IMAGE_FORMATS``), width and height.

    Raises
    ------
    ApiError
        415 if the bytes are not a PNG, JPEG or WebP picture (whatever the data URL said);
        422 if a side is over ``MAX_IMAGE_SIDE``, the picture over ``MAX_IMAGE_PIXELS``, or
        its longer side over ``MAX_ASPECT`` times the shorter.
    """
    from PIL import Image, UnidentifiedImageError
    names = ["WebP" if f == "WEBP" else f for f in IMAGE_FORMATS]
    accepted = ", ".join(names[:-1]) + " or " + names[-1]
    try:
        # a header that declares a decompression bomb is refused like any other huge picture
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=list(IMAGE_FORMATS)) as img:
                kind, (width, height) = str(img.format), img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(415, f"image must be a {accepted} picture; these bytes are none "
                            "of them") from None
    if width < 1 or height < 1:
        raise ApiError(422, f"image is {width} x {height} pixels: it has no pixels")
    if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ApiError(422, f"image is {width} x {height} pixels; at most {MAX_IMAGE_SIDE} "
                            f"on a side and {MAX_IMAGE_PIXELS} pixels are accepted")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ApiError(422, f"image is {width} x {height} pixels; the longer side may be at "
                            f"most {MAX_ASPECT} times the shorter (draw the digit on a "
                            "squarer picture)")
    return kind, width, height


def predict(model: TrainedModel, kind: str, value: Any) -> dict[str, Any]:
    """The answer to a predict request (runs in a worker thread: NumPy and Pillow work)."""
    side = input_side(model)
    reason = None
    if kind == "pixels":
        x = pixels_to_input(value, model.n_features, pixel_max(model))
    else:
        x, reason = data_url_to_input(value, side)
    X = x[None, :]  # (1, n_features)
    proba = model.predict_proba(X)[0]  # (k,)
    hidden = [h[0] for h in model.hidden(X)]  # each (s_l,)
    if not (np.all(np.isfinite(proba)) and all(np.all(np.isfinite(h)) for h in hidden)):
        raise ApiError(422, "the model's output is not finite for this input")
    digit = model.classes[int(np.argmax(proba))]
    return dict(digit=None if reason else digit.item() if hasattr(digit, "item") else digit,
                reason=reason,
                classes=[c.item() if hasattr(c, "item") else c for c in model.classes],
                probabilities=proba.tolist(), hidden=[h.tolist() for h in hidden],
                pixels=x.tolist(), side=side, pixel_max=pixel_max(model))
