"""The draw-a-digit app through FastAPI's TestClient: the page, the JSON API, every bad input,
training at start, other input sizes, and `neuralpath serve` through cli.main."""
import asyncio
import base64
import io
import json
import math
import socket
import threading
import time
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

from neuralpath import Network, TrainedModel, data, load, save
from neuralpath.cli import main
from neuralpath.imaging import image_to_input
from neuralpath.web import api
from neuralpath.web import app as web
from neuralpath.web.app import MAX_BODY, create_app

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def model():
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("best", seed=0, epochs=2, layer_sizes=[64, 32, 10])
    return model


@pytest.fixture(scope="module")
def client(model):
    with TestClient(create_app(model=model)) as client:
        yield client


def ring_png(size=140, width=14, transparent=False):
    """A PNG of a ring: black on white, or black on a transparent canvas."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0) if transparent else (255, 255, 255, 255))
    ImageDraw.Draw(img).ellipse([0.28 * size, 0.15 * size, 0.72 * size, 0.85 * size],
                                outline=(0, 0, 0, 255), width=width)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def data_url(raw, kind="png"):
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode()


def assert_json_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    # a body the request models refuse also has FastAPI's detail list (loc, msg, type)
    assert set(body) - {"detail"} == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body["error"]


# ---- the page --------------------------------------------------------------------------

def test_the_page_and_its_files_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="pad"' in page.text and 'id="clear"' in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from a CDN
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    for name, kind in [("app.js", "javascript"), ("style.css", "text/css"),
                       ("favicon.svg", "image/svg+xml")]:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert f"/static/{name}" in page.text
    assert "fetch(\"/api/predict\"" in client.get("/static/app.js").text


def test_model_description(client, model):
    info = client.get("/api/model").json()
    assert info["status"] == "ready" and info["error"] is None and info["progress"] is None
    m = info["model"]
    assert m["preset"] == "best" and m["layer_sizes"] == [64, 32, 10]
    assert m["activation"] == "relu" and m["output_activation"] == "softmax"
    assert m["test_accuracy"] == pytest.approx(model.metadata["test_accuracy"])
    assert m["classes"] == list(range(10)) and m["side"] == 8 and m["pixel_max"] == 16
    assert m["source"] is None  # given in Python, not read from a file


# ---- predictions -----------------------------------------------------------------------

def test_predict_pixels_is_the_model_s_answer(client, model):
    X, y = data.digits()
    for row in X[:5]:
        answer = client.post("/api/predict", json={"pixels": row.tolist()}).json()
        assert answer["digit"] == model.predict(row)[0]
        assert answer["probabilities"] == pytest.approx(model.predict_proba(row)[0].tolist())
        assert sum(answer["probabilities"]) == pytest.approx(1.0)
        assert answer["classes"] == list(range(10))
        assert len(answer["hidden"]) == 1
        assert answer["hidden"][0] == pytest.approx(model.hidden(row)[0][0].tolist())
        assert answer["pixels"] == row.tolist() and answer["side"] == 8


def test_integer_pixels_and_the_range_ends_are_accepted(client):
    for pixels in ([0] * 64, [16] * 64, [0.0, 16.0] * 32):
        assert client.post("/api/predict", json={"pixels": pixels}).status_code == 200


def test_predict_image_uses_the_same_conversion_as_neuralpath_predict(client, model, tmp_path):
    raw = ring_png()
    answer = client.post("/api/predict", json={"image": data_url(raw)}).json()
    x = image_to_input(raw)
    assert answer["pixels"] == x.tolist()
    assert answer["probabilities"] == pytest.approx(model.predict_proba(x)[0].tolist())
    # the command line reads the same file to the same numbers
    (tmp_path / "ring.png").write_bytes(raw)
    save(model, tmp_path / "m.npz")
    out, err = io.StringIO(), io.StringIO()
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "ring.png"), "--json"],
                out=out, err=err) == 0, err.getvalue()
    result = json.loads(out.getvalue())[0]
    assert result["digit"] == answer["digit"]
    assert [result["probabilities"][str(c)] for c in range(10)] == \
        pytest.approx(answer["probabilities"], abs=1e-6)


def test_a_canvas_with_a_transparent_background_reads_the_same(client):
    on_white = client.post("/api/predict", json={"image": data_url(ring_png())}).json()
    on_glass = client.post("/api/predict",
                           json={"image": data_url(ring_png(transparent=True))}).json()
    assert on_glass["pixels"] == on_white["pixels"] and max(on_white["pixels"]) == 16


# ---- bad input: 4xx with a JSON message, never a 500 ------------------------------------

def big_png_header_only():
    buf = io.BytesIO()
    Image.new("1", (2500, 2500), 1).save(buf, "PNG")  # a few kB that decode to 6 Mpixels
    return buf.getvalue()


BAD_JSON = [
    # (body, status, fragment of the message)
    ({"pixels": [0] * 63}, 422, "64 numbers"),
    ({"pixels": [0] * 65}, 422, "got 65"),
    ({"pixels": []}, 422, "got 0"),
    ({"pixels": [-1] + [0] * 63}, 422, "0..16"),
    ({"pixels": [16.5] + [0] * 63}, 422, "0..16"),
    ({"pixels": ["3"] + [0] * 63}, 422, "pixels[0]"),
    ({"pixels": [None] + [0] * 63}, 422, "pixels[0]"),
    ({"pixels": [True] + [0] * 63}, 422, "pixels[0]"),
    ({"pixels": [[1]] + [0] * 63}, 422, "pixels[0]"),
    ({"pixels": [0] * 63 + [10 ** 400]}, 422, "pixels[63]"),
    ({"pixels": "0" * 64}, 422, "pixels: Input should be a valid list"),
    ({"pixels": {"0": 1}}, 422, "pixels: Input should be a valid list"),
    ({}, 422, "exactly one"),
    ({"pixels": [0] * 64, "image": "data:image/png;base64,"}, 422, "exactly one"),
    ({"pixel": [0] * 64}, 422, "pixel: Extra inputs are not permitted"),
    ([0] * 64, 422, "body: Input should be a valid dictionary"),
    ("hello", 422, "body: Input should be a valid dictionary"),
    ({"image": 42}, 422, "image: Input should be a valid string"),
    ({"image": "hello"}, 422, "data URL"),
    ({"image": "http://example.com/digit.png"}, 422, "data URL"),
    ({"image": "data:text/plain;base64,aGVsbG8="}, 422, "data URL"),
    ({"image": "data:image/png,rawtext"}, 422, "data URL"),
    ({"image": "data:image/png;base64,%%%notbase64"}, 422, "not valid base64"),
    ({"image": "data:image/png;base64," + base64.b64encode(b"plain text").decode()}, 415,
     "PNG, JPEG or WebP"),
    ({"image": data_url(ring_png())[:200]}, 422, "image"),  # cut short
    ({"image": data_url(big_png_header_only())}, 422, "pixels are accepted"),
]


@pytest.mark.parametrize("body, status, fragment", BAD_JSON)
def test_bad_requests_get_a_4xx_json_message(client, body, status, fragment):
    message = assert_json_error(client.post("/api/predict", json=body), status)
    assert fragment in message


@pytest.mark.parametrize("raw, status, fragment", [
    (b'{"pixels": [NaN' + b", 0" * 63 + b"]}", 422, "pixels[0]: Input should"),
    (b'{"pixels": [Infinity' + b", 0" * 63 + b"]}", 422, "pixels[0]: Input should"),
    (b'{"pixels": [-Infinity' + b", 0" * 63 + b"]}", 422, "pixels[0]: Input should"),
    (b'{"pixels": [1e999' + b", 0" * 63 + b"]}", 422, "pixels[0]: Input should"),  # infinity
    (b"null", 422, "body: "),
    (b"{pixels: [1, 2]}", 400, "not valid JSON"),
    (b"", 422, "body: Field required"),
    (b"\xff\xfe\x00garbage", 400, ""),
    (b"[" * 100_000, 400, ""),  # deeper than the parser goes
    (b'{"pixels": [' + b"9" * 5000 + b"]}", 400, ""),  # too long an integer
])
def test_not_json_or_not_numbers(client, raw, status, fragment):
    response = client.post("/api/predict", content=raw,
                           headers={"Content-Type": "application/json"})
    assert fragment in assert_json_error(response, status)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_not_declared_json_is_refused(client, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post("/api/predict", content=json.dumps({"pixels": [0] * 64}),
                           headers=headers)
    assert "Content-Type: application/json" in assert_json_error(response, 415)


def test_a_body_over_1_mb_is_refused_by_its_content_length(client):
    body = json.dumps({"image": "data:image/png;base64," + "A" * MAX_BODY}).encode()
    message = assert_json_error(client.post(
        "/api/predict", content=body, headers={"Content-Type": "application/json"}), 413)
    assert f"at most {MAX_BODY} bytes, got {len(body)}" in message  # refused unread


def test_a_streamed_body_over_1_mb_is_refused(client):
    def chunks():  # no Content-Length: chunked transfer
        yield b'{"image": "data:image/png;base64,'
        for _ in range(20):
            yield b"A" * 65536
        yield b'"}'

    response = client.post("/api/predict", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert_json_error(response, 413)


def test_an_endless_body_is_read_only_up_to_the_limit():
    """The body is counted as it arrives (web.api.RequestGuard): an endless stream is cut off
    just past 1 MB with a 413 that closes the connection, and the app never sees it."""
    pulled, sent, reached = [], [], []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"A" * 65536, "more_body": True}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        reached.append(scope)

    guard = api.RequestGuard(app, limits={"/api/predict": MAX_BODY})
    scope = {"type": "http", "method": "POST", "path": "/api/predict",
             "headers": [(b"content-type", b"application/json")]}
    thread = threading.Thread(target=lambda: asyncio.run(guard(scope, receive, send)))
    thread.start()  # a thread of its own: Playwright may hold this thread's event loop
    thread.join(10)
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
    assert len(pulled) == MAX_BODY // 65536 + 1 and not reached


def test_a_lying_content_length_is_refused(client):
    response = client.post("/api/predict", content=b"{}",
                           headers={"Content-Type": "application/json",
                                    "Content-Length": "-5"})
    assert 400 <= response.status_code < 500


def test_a_body_just_under_1_mb_is_read(client):
    body = json.dumps({"pixels": [0] * 64, "pad": ""}).encode()
    body = body.replace(b'""', b'"' + b" " * (MAX_BODY - len(body)) + b'"')
    assert len(body) == MAX_BODY
    response = client.post("/api/predict", content=body,
                           headers={"Content-Type": "application/json"})
    assert "pad: Extra inputs" in assert_json_error(response, 422)  # read and parsed, not 413


def test_unknown_paths_and_methods_answer_json(client):
    assert assert_json_error(client.get("/nothing/here"), 404) == "Not Found"
    assert_json_error(client.get("/api/predict"), 405)
    assert_json_error(client.put("/api/model"), 405)
    assert_json_error(client.get("/static/../app.py"), 404)


def test_an_unexpected_failure_is_a_json_500_without_traceback(model, monkeypatch):
    app = create_app(model=model)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(web, "predict", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/predict", json={"pixels": [0] * 64})
    message = assert_json_error(response, 500)
    assert "RuntimeError" in message and "secret" not in message


# ---- other models ------------------------------------------------------------------------

def untrained(sizes, dataset):
    net = Network(sizes, "sigmoid", "sigmoid", "quadratic", "xavier", random_state=0)
    scale = 255.0 if dataset == "mnist" else 16.0
    return TrainedModel(net, np.zeros(sizes[0]), np.full(sizes[0], scale), np.arange(10),
                        {"dataset": dataset, "preset": "tutorial"})


def test_a_28x28_model_gets_28x28_inputs():
    with TestClient(create_app(model=untrained([784, 20, 10], "mnist"))) as client:
        info = client.get("/api/model").json()["model"]
        assert info["side"] == 28 and info["pixel_max"] == 255 and info["test_accuracy"] is None
        answer = client.post("/api/predict", json={"image": data_url(ring_png())}).json()
        assert answer["side"] == 28 and len(answer["pixels"]) == 784
        assert answer["pixels"] == image_to_input(ring_png(), side=28).tolist()
        assert len(answer["hidden"][0]) == 20 and len(answer["probabilities"]) == 10
        ok = client.post("/api/predict", json={"pixels": [255] * 784})
        assert ok.status_code == 200
        assert "784" in assert_json_error(
            client.post("/api/predict", json={"pixels": [0] * 64}), 422)
        assert "0..255" in assert_json_error(
            client.post("/api/predict", json={"pixels": [256] * 784}), 422)


def test_a_model_whose_inputs_are_not_a_square_takes_pixels_only():
    with TestClient(create_app(model=untrained([10, 4, 3, 10], "other"))) as client:
        assert client.get("/api/model").json()["model"]["side"] is None
        answer = client.post("/api/predict", json={"pixels": [1] * 10}).json()
        assert answer["side"] is None and len(answer["hidden"]) == 2
        assert "not a square" in assert_json_error(
            client.post("/api/predict", json={"image": data_url(ring_png())}), 422)


def test_create_app_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(TypeError, match="TrainedModel"):
        create_app(model="model.npz")
    with pytest.raises(FileNotFoundError):
        create_app(model_path=tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a neuralpath model"):
        create_app(model_path=tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="preset must be one of"):
        create_app(runs_dir=tmp_path, preset="fastest")


# ---- no model given: runs/latest, else train at start -------------------------------------

def wait_for(client, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.get("/api/model").json()
        if info["status"] == status:
            return info
        time.sleep(0.05)
    raise AssertionError(f"status never became {status!r}: {info}")


def test_trains_the_best_preset_at_start_and_saves_it(tmp_path, held_training):
    """A gate holds training at 10% so the test sees the page's 'training' state."""
    reached, gate = held_training(100, 10)
    app = create_app(runs_dir=tmp_path, train_overrides={"epochs": 1, "layer_sizes": [64, 16, 10]})
    with TestClient(app) as client:
        assert reached.wait(10)
        info = client.get("/api/model").json()
        assert info["status"] == "training" and info["model"] is None
        assert info["progress"]["preset"] == "best"
        assert info["progress"]["fraction"] == pytest.approx(0.1)
        assert info["progress"]["iteration"] == 10 and info["progress"]["total"] == 100
        response = client.post("/api/predict", json={"pixels": [0] * 64})
        assert "still training (10% done)" in assert_json_error(response, 503)
        assert response.headers["retry-after"] == "2"
        gate.set()
        info = wait_for(client, "ready")
        assert info["model"]["layer_sizes"] == [64, 16, 10] and info["progress"] is None
        assert client.post("/api/predict", json={"pixels": [0] * 64}).status_code == 200
    saved = tmp_path / "latest" / "model.npz"
    assert saved.exists() and next(tmp_path.glob("2*/model.npz")).exists()
    assert info["model"]["source"] == "model.npz"  # the file's name: its folders stay private
    assert load(saved).network.layer_sizes == [64, 16, 10]
    # the next start loads it instead of training again
    with TestClient(create_app(runs_dir=tmp_path)) as client:
        info = client.get("/api/model").json()
        assert info["status"] == "ready" and info["model"]["source"] == "model.npz"
        assert str(tmp_path) not in json.dumps(info)


def test_stopping_the_server_stops_training(tmp_path, monkeypatch):
    import neuralpath.pipeline as pipeline
    started = threading.Event()

    def endless(preset, seed, callbacks, **overrides):
        (state,) = callbacks
        state.on_train_begin(10 ** 9)
        for i in range(10 ** 9):
            state.on_iteration(i, 1.0)  # raises once the server stops
            started.set()
            time.sleep(0.001)

    monkeypatch.setattr(pipeline, "train_preset", endless)
    app = create_app(runs_dir=tmp_path)
    with TestClient(app) as client:
        assert started.wait(10)
        assert client.get("/api/model").json()["status"] == "training"
    state = app.state.model_state
    assert not state.thread.is_alive()
    assert state.describe()["status"] == "stopped"
    assert not (tmp_path / "latest").exists()


def test_a_failed_training_is_reported(tmp_path, monkeypatch):
    import neuralpath.pipeline as pipeline

    def failing(preset, seed, callbacks, **overrides):
        raise ArithmeticError("the cost became nan")

    monkeypatch.setattr(pipeline, "train_preset", failing)
    with TestClient(create_app(runs_dir=tmp_path)) as client:
        info = wait_for(client, "failed")
        assert "the cost became nan" in info["error"]
        assert "training the best preset failed" in assert_json_error(
            client.post("/api/predict", json={"pixels": [0] * 64}), 503)


# ---- neuralpath serve ---------------------------------------------------------------------

def test_serve_help_lists_its_options(capsys):
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--model" in out and "--host" in out and "--port" in out and "127.0.0.1" in out


@pytest.mark.parametrize("argv, fragment", [
    (["serve", "--port", "70000"], "port number 0..65535"),
    (["serve", "--port", "http"], "port number"),
    (["serve", "--model", "missing-model.npz"], "model file not found"),
])
def test_serve_bad_arguments_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_serve_refuses_a_port_in_use(model, tmp_path, capsys):
    save(model, tmp_path / "m.npz")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", "--model", str(tmp_path / "m.npz"), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1 port {port}" in err and "Traceback" not in err


def test_serve_binds_loopback_and_says_where(model, tmp_path, capsys, monkeypatch):
    """uvicorn's run is replaced by a probe that asks the real app for the page."""
    import uvicorn
    save(model, tmp_path / "m.npz")
    seen = {}

    def probe(server, sockets):
        seen["address"] = sockets[0].getsockname()
        port = seen["address"][1]
        with TestClient(server.config.app, base_url=f"http://127.0.0.1:{port}") as client:
            seen["model"] = client.get("/api/model").json()
            seen["foreign"] = client.get("/api/model", headers={"Host": "evil.example"})

    monkeypatch.setattr(uvicorn.Server, "run", probe)
    assert main(["serve", "--model", str(tmp_path / "m.npz"), "--port", "0"]) == 0
    err = capsys.readouterr().err
    host, port = seen["address"]
    assert host == "127.0.0.1" and port > 0
    assert f"open http://127.0.0.1:{port}/ in a browser" in err
    assert "layer sizes [64, 32, 10]" in err
    assert "warning" not in err
    assert str(tmp_path / "m.npz") in err  # the terminal names the file, the page does not
    assert seen["model"]["model"]["source"] == "m.npz"
    assert seen["foreign"].status_code == 400  # Starlette's TrustedHostMiddleware


def test_serve_warns_when_reachable_from_other_machines(model, tmp_path, capsys, monkeypatch):
    import uvicorn
    save(model, tmp_path / "m.npz")
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets: None)
    assert main(["serve", "--model", str(tmp_path / "m.npz"), "--host", "0.0.0.0",
                 "--port", "0"]) == 0
    assert "warning: 0.0.0.0 can be reached from other machines" in capsys.readouterr().err


def test_serve_without_a_model_says_it_will_train(tmp_path, capsys, monkeypatch):
    import uvicorn
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets: None)
    assert main(["serve", "--port", "0"]) == 0
    assert "training the best preset in the background" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # the lifespan never ran: nothing trained


def test_probabilities_are_finite_numbers_in_json(client):
    answer = client.post("/api/predict", json={"pixels": [16] * 64}).json()
    assert all(math.isfinite(p) and 0 <= p <= 1 for p in answer["probabilities"])


# ---- the time left while training --------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_time_left_is_measured_after_the_first_step():
    """Loading the data and the first step took 100 s, then a step takes 0.5 s: the estimate
    is about the steps left times 0.5 s, not 100 s a step (1145 s was shown at step 1); it
    is shown once 2% of the steps (20) have been measured."""
    clock = FakeClock()
    state = web.ModelState(clock)
    state.preset = "best"
    state.on_train_begin(1000)
    clock.now = 100.0
    state.on_iteration(1, 2.3)
    assert state.describe()["progress"]["seconds_left"] is None  # nothing measured yet
    for i in range(2, 21):
        clock.now += 0.5
        state.on_iteration(i, 2.0)
    assert state.describe()["progress"]["seconds_left"] is None  # 19 steps: too few yet
    clock.now += 0.5
    state.on_iteration(21, 2.0)
    progress = state.describe()["progress"]
    assert progress["seconds_left"] == pytest.approx((1000 - 21) * 0.5)
    assert progress["iteration"] == 21 and progress["seconds"] == pytest.approx(110.0)
    clock.now += 0.2  # time passes within a step
    assert state.describe()["progress"]["seconds_left"] == pytest.approx((1000 - 21) * 0.5 - 0.2)
    for i in range(22, 200):  # the machine gets 5 times busier: a step takes 2.5 s
        clock.now += 2.5
        state.on_iteration(i, 2.0)
    assert state.describe()["progress"]["seconds_left"] == pytest.approx((1000 - 199) * 2.5)
    state.fail("stopped", "the server stopped")
    assert state.describe()["progress"]["seconds_left"] is None


def test_one_line_removes_addresses_and_newlines():
    assert web.one_line("cannot identify image file <_io.BytesIO object at 0x7efdd019dd50>\n"
                        "more") == "cannot identify image file <object> more"
    assert web.one_line("x" * 1000, 50) == "x" * 47 + "..."


def test_head_answers_headers_only(client):
    for path in ("/", "/api/model"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b""


# ---- issue 24: the API documents itself; serve's words and exit code ------------------------

def test_the_api_documents_itself(client):
    """/openapi.json (FastAPI, from the request models) and /docs are served again."""
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/predict", "/api/train", "/api/model"} <= set(paths)
    models = schema["components"]["schemas"]
    assert set(models["PredictRequest"]["properties"]) == {"pixels", "image"}
    settings = models["TrainSettings"]["properties"]
    assert settings["preset"]["enum"][:1] == ["tutorial"] and "learning_rate" in settings
    assert "/" not in paths and "/train" not in paths  # pages are not API
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in client.get("/").headers["content-security-policy"]


def test_serve_without_the_web_extra_exits_2_as_export_does(monkeypatch, capsys):
    """A missing extra: exit 2 and one line in export's words ("<command> needs the <name>
    package: pip install 'neuralpath[<extra>]'"); it was exit 1 in other words."""
    import re
    import sys
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    style = r"serve needs the (\w+) package: pip install 'neuralpath\[web\]'"
    assert re.search(style, err).group(1) == "uvicorn", err
    from pathlib import Path

    from neuralpath.commands import export
    source = Path(export.__file__).read_text()  # the control: export's message has that shape
    assert re.search(r"needs the onnx package: \"\s*\"pip install 'neuralpath\[onnx\]'", source)


def test_serve_says_where_the_page_is_and_does_not_claim_to_open_it():
    """serve opens no browser: its words say so (it said it "opens a page")."""
    from neuralpath.commands import serve
    assert "opens no browser" in serve.EPILOG and "opens a page" not in serve.EPILOG
