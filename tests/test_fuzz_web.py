"""Hypothesis-driven fuzzing of POST /api/predict bodies: whatever comes, the answer is never a
5xx, is JSON, and an error is one line ``{"error": ...}`` without a traceback or an address.

Seeded (derandomized), so every run tries the same inputs. Each input is tagged with its
class and how it ended; ``pytest tests/test_fuzz_web.py --hypothesis-show-statistics``
prints the tally.
"""
import base64
import io
import json
import re
import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from neuralpath.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

FUZZ = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def client():
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("best", seed=0, epochs=2, layer_sizes=[64, 32, 10])
    with TestClient(create_app(model=model), raise_server_exceptions=False) as client:
        yield client


def check(response, kind):
    """The rules every answer keeps; tags the input with its class and status."""
    event(f"{kind}: {response.status_code}")
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400:
        assert set(body) - {"detail"} == {"error"}
        assert isinstance(body["error"], str) and body["error"]
        message = body["error"]
        assert "\n" not in message and "\r" not in message, message
        assert "Traceback" not in message and not re.search(r"0x[0-9a-fA-F]{6,}", message)
        assert len(message) <= 500
    else:
        assert response.status_code == 200
        assert len(body["probabilities"]) == 10 and len(body["pixels"]) == 64


def post(client, raw, content_type="application/json"):
    return client.post("/api/predict", content=raw, headers={"Content-Type": content_type})


def picture(kind, size=40):
    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).ellipse([10, 5, 30, 35], outline="black", width=4)
    buf = io.BytesIO()
    img.save(buf, kind)
    return buf.getvalue()


PICTURES = [picture(k) for k in ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "ICO", "PPM")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=30)


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_any_bytes(client, raw):
    check(post(client, raw), "bytes")


@FUZZ
@given(value=json_values)
def test_any_json(client, value):
    check(post(client, json.dumps(value)), "json")


pixel = (st.integers(-10, 300) | st.floats(allow_nan=True, allow_infinity=True)
         | st.integers(min_value=10 ** 300) | st.sampled_from([True, None, "3", [1], {}]))


@FUZZ
@given(pixels=st.lists(pixel, min_size=0, max_size=70)
       | st.lists(st.integers(0, 16), min_size=60, max_size=68))
def test_pixel_lists(client, pixels):
    check(post(client, json.dumps({"pixels": pixels})), "pixels")


@st.composite
def mutated_pictures(draw):
    """A real picture (PNG, JPEG, WebP or one of the refused formats), cut, flipped in a
    few bytes or both, as a data URL with any of several labels."""
    raw = bytearray(draw(st.sampled_from(PICTURES)))
    if draw(st.booleans()):
        raw = raw[:draw(st.integers(0, len(raw)))]
    for _ in range(draw(st.integers(0, 4))):
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    label = draw(st.sampled_from(["png", "jpeg", "webp", "gif", "svg+xml", "x-eps", ""]))
    return f"data:image/{label};base64," + base64.b64encode(bytes(raw)).decode()


@FUZZ
@given(image=mutated_pictures())
def test_mutated_pictures(client, image):
    check(post(client, json.dumps({"image": image})), "picture")


@FUZZ
@given(image=st.text(max_size=200)
       | st.builds(lambda head, data: head + data,
                   st.sampled_from(["data:image/png;base64,", "data:image/png,",
                                    "data:text/html;base64,", "data:image/;base64,", ""]),
                   st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789+/=%- \n", max_size=200)))
def test_image_strings(client, image):
    check(post(client, json.dumps({"image": image})), "image string")


@FUZZ
@given(content_type=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                            max_size=40)
       | st.builds("application/json{}".format, st.text(
           alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)),
       raw=st.sampled_from([b'{"pixels": [0]}', b"{}", b"", b'{"pixels": ' + b"[0, " * 63 +
                            b"0]}"]))
def test_content_types(client, content_type, raw):
    check(post(client, raw, content_type), "content type")
