"""The page's server as a client on the network meets it: a real uvicorn in a subprocess on a
free 127.0.0.1 port, driven over loopback sockets. Every case sends a bounded number of
requests and waits a bounded time (the deadlines are shortened to a second here).

Timing is never asserted beyond "it ended within a generous bound"; how fast normal
predictions stay under a flood of bad pictures is measured by benchmarks/server_load.py.
"""
import base64
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageDraw

from neuralpath import save

SERVER = """
import json, sys
import uvicorn
from neuralpath.web.app import create_app
from neuralpath.web.server import listen, url_of, uvicorn_config
model, limits = sys.argv[1], json.loads(sys.argv[2])
app = create_app(model_path=model, body_timeout=limits.pop("body_timeout", 10.0))
sock = listen("127.0.0.1", 0)
print("listening", url_of(sock), file=sys.stderr, flush=True)
uvicorn.Server(uvicorn_config(app, "127.0.0.1", **limits)).run(sockets=[sock])
"""
LIMITS = dict(header_timeout=1.0, body_timeout=1.0, max_connections=32, keep_alive=2)


class Server:
    """A server subprocess: its process, address and the log it wrote to stderr."""

    def __init__(self, argv, log_path, env=None):
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log_file,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:(\d+)", self.log())
            if found and self._answers(int(found.group(1))):
                self.port = int(found.group(1))
                return
            assert self.proc.poll() is None, f"the server ended: {self.log()}"
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the server did not start: {self.log()}")

    def _answers(self, port):
        try:
            return request(port, "GET", "/api/model")[0] == 200
        except OSError:
            return False

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def memory_mb(self):
        """Resident and peak resident memory of the server process, from /proc, in MB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_file.close()
        return self.proc.returncode


def request(port, method, path, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def predict(port, payload, timeout=30.0):
    status, headers, body = request(port, "POST", "/api/predict", json.dumps(payload),
                                    {"Content-Type": "application/json"}, timeout)
    return status, json.loads(body)


def encoded(img, kind, **options):
    buf = io.BytesIO()
    img.save(buf, kind, **options)
    return buf.getvalue()


def data_url(raw, label="png"):
    return f"data:image/{label};base64," + base64.b64encode(raw).decode()


def ring(size=120):
    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).ellipse([0.3 * size, 0.15 * size, 0.7 * size, 0.85 * size],
                                outline="black", width=size // 10)
    return img


def assert_error(status, body, expected):
    assert status == expected, body
    assert set(body) - {"detail"} == {"error"}  # detail: FastAPI's list, for a 422
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    assert not re.search(r"0x[0-9a-f]{6,}", body["error"]), body["error"]  # no heap address
    return body["error"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("best", seed=0, epochs=2, layer_sizes=[64, 32, 10])
    path = tmp_path_factory.mktemp("model") / "secret-folder-model.npz"
    save(model, path)
    return path


@pytest.fixture(scope="module")
def server(model_file, tmp_path_factory):
    """A server with the deadlines shortened to 1 s and at most 32 connections."""
    log = tmp_path_factory.mktemp("log") / "server.log"
    srv = Server([sys.executable, "-c", SERVER, str(model_file), json.dumps(LIMITS)], log)
    yield srv
    srv.stop()


# ---- 11. tall, thin pictures ------------------------------------------------------------

def test_tall_thin_pictures_are_refused_from_the_header_and_memory_stays_bounded(server):
    """100 pictures of 1 x 4,000,000 (and 4,000,000 x 1) pixels, 8 at a time: each refused
    before decoding, and the server's peak memory stays under 300 MB; 24 of the largest
    pictures it does decode (2000 x 2000, in the same burst) are answered normally."""
    tall = data_url(encoded(Image.new("L", (1, 4_000_000), 255), "PNG"))
    wide = data_url(encoded(Image.new("L", (4_000_000, 1), 255), "PNG"))
    big = data_url(encoded(Image.new("1", (2000, 2000), 1), "PNG"))
    assert len(tall) < 40_000  # a few kilobytes that would decode to 4 M pixels
    jobs = [tall if i % 2 else wide for i in range(100)] + [big] * 24
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda image: predict(server.port, {"image": image}), jobs))
    for (status, body), image in zip(answers, jobs):
        if image is big:
            assert status == 200 and body["pixels"] == [0.0] * 64, body
        else:
            assert "at most 4000 on a side" in assert_error(status, body, 422)
    rss, peak = server.memory_mb()
    assert peak < 300, f"peak memory {peak:.0f} MB"
    print(f"server memory: {rss:.0f} MB resident, {peak:.0f} MB peak")
    assert predict(server.port, {"image": data_url(encoded(ring(), "PNG"))})[0] == 200


@pytest.mark.parametrize("size, fragment", [
    ((4001, 1000), "at most 4000 on a side"),
    ((2001, 2001), "4000000 pixels"),
    ((900, 100), "at most 8 times"),
    ((100, 900), "at most 8 times"),
])
def test_sides_pixels_and_aspect_are_bounded(server, size, fragment):
    raw = encoded(Image.new("1", size, 1), "PNG")
    assert fragment in assert_error(*predict(server.port, {"image": data_url(raw)}), 422)


def test_the_limits_themselves_are_accepted(server):
    for size in [(800, 100), (4000, 500), (1, 1), (2000, 2000)]:
        raw = encoded(Image.new("1", size, 1), "PNG")
        status, body = predict(server.port, {"image": data_url(raw)})
        assert status == 200, (size, body)


# ---- 13. PNG, JPEG and WebP only, told by their bytes -------------------------------------

def eps():
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
            b"newpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n")


@pytest.mark.parametrize("label, raw", [
    ("png", encoded(ring(), "GIF")),
    ("bmp", encoded(ring(), "BMP")),
    ("tiff", encoded(ring(), "TIFF")),
    ("png", encoded(ring(), "TIFF")),
    ("x-eps", eps()),
    ("png", eps()),
    ("png", encoded(ring(), "ICO")),
    ("png", encoded(ring(), "PPM")),
    ("png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40),  # a PNG signature and nothing valid
], ids=["gif-as-png", "bmp", "tiff", "tiff-as-png", "eps", "eps-as-png", "ico", "ppm",
        "png-signature-only"])
def test_other_formats_are_refused_by_their_bytes(server, label, raw):
    message = assert_error(*predict(server.port, {"image": data_url(raw, label)}), 415)
    assert "PNG, JPEG or WebP" in message
    assert "Ghostscript" not in message


@pytest.mark.parametrize("kind, options", [("PNG", {}), ("JPEG", {"quality": 90}),
                                           ("WEBP", {"lossless": True})])
def test_png_jpeg_and_webp_are_read(server, kind, options):
    status, body = predict(server.port, {"image": data_url(encoded(ring(), kind, **options),
                                                            "png")})  # the label is not trusted
    assert status == 200 and max(body["pixels"]) == 16


# ---- 14. no internals in answers ---------------------------------------------------------

def test_answers_hold_no_addresses_nor_the_model_s_folder(server, model_file):
    broken = data_url(encoded(ring(), "PNG")[:120])  # a PNG cut short: Pillow's own message
    message = assert_error(*predict(server.port, {"image": broken}), 422)
    assert "BytesIO" not in message and " at 0x" not in message
    status, _, body = request(server.port, "GET", "/api/model")
    info = json.loads(body)
    assert status == 200 and info["model"]["source"] == "secret-folder-model.npz"
    assert str(model_file.parent) not in body.decode()


# ---- 15. the Host header ------------------------------------------------------------------

@pytest.mark.parametrize("host, status", [
    ("evil.example", 400), ("evil.example:{port}", 400), ("127.0.0.1.evil.example", 400),
    ("localhost.", 200), ("127.0.0.1:{port}", 200), ("localhost:{port}", 200),
    ("[::1]:{port}", 200),
    ("LOCALHOST", 200), ("192.168.1.1", 400), ("", 400),
])
def test_only_the_names_of_the_bound_address_are_answered(server, host, status):
    got, headers, body = request(server.port, "GET", "/api/model",
                                 headers={"Host": host.format(port=server.port)})
    assert got == status, body
    if status == 400:
        assert body == b"Invalid host header"  # Starlette's TrustedHostMiddleware


def test_a_request_with_two_host_headers_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")
        assert s.recv(4096).split(b"\r\n")[0].split()[1] in (b"400",)


# ---- 12. deadlines and a bound on connections ----------------------------------------------

def read_all(sock, limit=5.0):
    """What the server sends until it closes the connection (or ``limit`` seconds pass)."""
    sock.settimeout(limit)
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return got, False
        except ConnectionResetError:
            return got, True
        if not chunk:
            return got, True
        got += chunk
    return got, False


def open_stalled(port, n, start):
    """``n`` connections that each send ``start`` (part of a request) and then nothing."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(start)
        socks.append(s)
    return socks


def answers_of(socks, until):
    """The status each connection got before the server closed it (b"open" if it did not
    close by ``until``, b"closed" if it closed without a word)."""
    codes = []
    for s in socks:
        got, closed = read_all(s, max(0.5, until - time.monotonic()))
        codes.append((got.split(b" ")[1] if got else b"closed") if closed else b"open")
        s.close()
    return codes


def test_half_sent_headers_are_dropped_at_their_deadline(server):
    """200 connections send half a request's headers and wait: while they are open a request
    beyond the 32-connection cap is answered 503 (uvicorn's limit_concurrency); each is
    answered 408 and closed at the 1 s header deadline, all within 10 s, and the server
    answers normally afterwards."""
    start = time.monotonic()
    socks = open_stalled(server.port, 200, b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           b"Content-Ty")
    assert request(server.port, "GET", "/api/model")[0] == 503  # the cap holds
    codes = answers_of(socks, start + 10)
    assert codes.count(b"408") == 200, codes
    assert time.monotonic() - start < 12
    assert request(server.port, "GET", "/api/model")[0] == 200


@pytest.mark.parametrize("path", ["/api/train", "/api/model", "/api/predict"])
def test_stalled_bodies_give_their_connections_back(server, path):
    """31 connections send headers and '{' to an endpoint that reads a body: while they wait
    a normal request is refused (the control: with it they fill the cap of 32); at the 1 s
    body deadline each is answered 408 and closed, and the slots are free again."""
    start = time.monotonic()
    socks = open_stalled(server.port, 31, (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{").encode())
    time.sleep(0.2)
    assert request(server.port, "GET", "/api/model")[0] == 503
    codes = answers_of(socks, start + 10)
    assert codes.count(b"408") == 31, codes
    assert request(server.port, "GET", "/api/model")[0] == 200


HOLD = dict(header_timeout=6.0, body_timeout=6.0, keep_alive=2)


@pytest.mark.parametrize("cap, answer", [(None, 200), (64, 503)], ids=["default-cap", "cap-64"])
def test_64_stalled_bodies_and_70_slow_headers_do_not_take_the_server(model_file, tmp_path,
                                                                       cap, answer):
    """64 connections hold '{' of a POST /api/train body and 70 send headers a byte at a time:
    with the default connection cap a normal request is answered 200 while all 134 are held
    (benchmarks/connection_hold.py measures how fast); the control, the old cap of 64, is 503."""
    limits = dict(HOLD, **({} if cap is None else {"max_connections": cap}))
    srv = Server([sys.executable, "-c", SERVER, str(model_file), json.dumps(limits)],
                 tmp_path / "server.log")
    try:
        bodies = open_stalled(srv.port, 64, b"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            b"Content-Type: application/json\r\n"
                                            b"Content-Length: 100\r\n\r\n{")
        slow = open_stalled(srv.port, 70, b"G")
        for s in slow:
            s.sendall(b"ET /api/model HT")  # a little more, never the whole headers
        time.sleep(0.3)
        status, _, body = request(srv.port, "GET", "/api/model", timeout=5)
        assert status == answer, body
        for s in bodies + slow:
            s.close()
    finally:
        srv.stop()


def test_the_installed_uvicorn_is_one_the_header_deadline_was_tested_with():
    """web/server.py subclasses uvicorn's (internal) h11 protocol for the header deadline: the
    web extra pins the releases it was tested with, and this fails outside them."""
    import tomllib
    import uvicorn

    from neuralpath.web import server as web_server
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    assert f"uvicorn{web_server.UVICORN_RANGE}" in extras["web"]
    assert f"uvicorn{web_server.UVICORN_RANGE}" in extras["test"]
    assert web_server.uvicorn_is_tested(), (uvicorn.__version__, web_server.UVICORN_RANGE)
    assert not web_server.uvicorn_is_tested("0.55.0")  # the control: outside the range
    assert not web_server.uvicorn_is_tested("0.53.1")


def test_a_malformed_setting_is_a_422_and_the_connection_goes_on(server):
    """{"preset": ["x"]} was a 500 (TypeError) that reset the next request on the same
    connection: now 422 naming the field (in ``field``, the message in the page's words),
    and the next request on that connection is answered."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for bad in ({"preset": ["x"]}, {"preset": {"a": 1}}, {"iterations": [1]},
                    {"layer_sizes": "64"}):
            conn.request("POST", "/api/train", json.dumps(bad),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = json.loads(response.read())
            field = next(iter(bad))
            assert response.status == 422 and answer["field"] == field, answer
            assert answer["error"] and "[" not in answer["error"], answer
            conn.request("GET", "/api/model")  # the same connection
            response = conn.getresponse()
            assert response.status == 200 and response.read()
    finally:
        conn.close()


def test_an_idle_connection_is_closed(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        got, closed = read_all(s, 5)
    assert closed and got == b""  # nothing asked: closed without an answer


def test_the_header_deadline_restarts_after_each_answer(server):
    """Keep-alive: a second request may come, but its headers get the same deadline."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.3)
        s.sendall(b"GET /api/model HTTP/1.1\r\nHost: 12")  # the second one stalls
        got, closed = read_all(s, 6)
    assert closed and got.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 408" in got


def test_a_body_that_does_not_arrive_is_answered_408_and_the_connection_closed(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                  b'{"pixels":')
        start = time.monotonic()
        got, closed = read_all(s, 8)
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and closed and time.monotonic() - start < 8
    assert "did not arrive within 1 s" in json.loads(body)["error"]


def test_a_client_that_leaves_is_one_log_line(server):
    before = server.log()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n0123456789")
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and server.log() == before:
        time.sleep(0.05)
    new = server.log()[len(before):]
    assert new.count("\n") == 1 and "left before sending the whole body" in new, new
    assert "Traceback" not in new and "ClientDisconnect" not in new
    assert request(server.port, "GET", "/api/model")[0] == 200


def test_headers_over_16_kb_are_refused(server):
    """Headers are buffered until complete: more than 16 kB of them is refused, not kept."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            for _ in range(100):  # 100 x 1 kB, without ever ending the headers
                s.sendall(b"a" * 1024)
                time.sleep(0.005)
        got, closed = read_all(s, 5)
    assert closed and (got == b"" or got.startswith(b"HTTP/1.1 400"))


# ---- 16. small things ------------------------------------------------------------------------

def test_head_of_the_page_and_the_model(server):
    for path in ("/", "/api/model", "/static/app.js"):
        status, headers, body = request(server.port, "HEAD", path)
        assert status == 200 and body == b"" and int(headers["content-length"]) > 0, path
        assert headers["content-length"] == str(len(request(server.port, "GET", path)[2]))


def serve(model_file, tmp_path, *extra):
    return Server([sys.executable, "-m", "neuralpath", "serve", "--model", str(model_file),
                   "--port", "0", *extra], tmp_path / "serve.log")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_with_its_last_line(model_file, tmp_path, sig):
    srv = serve(model_file, tmp_path)
    assert srv.stop(sig) == 0
    lines = srv.log().splitlines()
    assert lines[-1] == "neuralpath: server stopped", lines
    assert "Traceback" not in srv.log()


def test_the_access_log_option(model_file, tmp_path):
    srv = serve(model_file, tmp_path, "--access-log")
    request(srv.port, "GET", "/")
    request(srv.port, "GET", "/api/model", headers={"Host": "evil.example"})
    assert srv.stop() == 0
    log = srv.log()
    assert re.search(r'"GET / HTTP/1.1" 200', log) and re.search(r'"GET /api/model HTTP/1.1" 400',
                                                                   log), log


def test_no_access_log_by_default(model_file, tmp_path):
    srv = serve(model_file, tmp_path)
    request(srv.port, "GET", "/")
    assert srv.stop() == 0
    assert "GET /" not in srv.log()


def test_allow_host_adds_a_name(model_file, tmp_path):
    srv = serve(model_file, tmp_path, "--allow-host", "digits.lan")
    try:
        assert request(srv.port, "GET", "/api/model", headers={"Host": "digits.lan:80"})[0] == 200
        assert request(srv.port, "GET", "/api/model", headers={"Host": "other.lan"})[0] == 400
    finally:
        srv.stop()


# ---- fuzzing over loopback: the real server, uvicorn's parser included ----------------------

def test_fuzzed_bodies_over_loopback_never_get_a_5xx(server):
    """A seeded sample of test_fuzz_web's bodies, sent to the real server: never a 5xx, every
    error one JSON line."""
    from hypothesis import HealthCheck, event, given, settings
    from hypothesis import strategies as st
    from test_fuzz_web import json_values, mutated_pictures

    bodies = (st.binary(max_size=500)
              | json_values.map(lambda v: json.dumps(v).encode())
              | mutated_pictures().map(lambda image: json.dumps({"image": image}).encode()))

    @settings(max_examples=150, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(raw=bodies, chunked=st.booleans())
    def run(raw, chunked):
        headers = {"Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            if chunked:  # no Content-Length: the body in chunks
                conn.request("POST", "/api/predict", body=iter([raw[:7], raw[7:]]),
                             headers=headers, encode_chunked=True)
            else:
                conn.request("POST", "/api/predict", body=raw, headers=headers)
            response = conn.getresponse()
            status, body = response.status, response.read()
        finally:
            conn.close()
        event(f"loopback: {status}")
        tally[status] = tally.get(status, 0) + 1
        assert status < 500, body
        if status >= 400:
            message = json.loads(body)["error"]
            assert "\n" not in message and not re.search(r"0x[0-9a-f]{6,}", message)

    tally: dict[int, int] = {}
    run()
    print("loopback fuzz answers:", dict(sorted(tally.items())))
