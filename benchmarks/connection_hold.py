"""Whether stalled clients can take the page's server: 64 connections that send a POST's
headers and '{' and then nothing, and 70 that send headers a byte at a time, held against a
real ``neuralpath serve`` (its default limits) while a normal client asks for the model and a
prediction; in one bounded run that stops by itself.

    .venv/bin/python benchmarks/connection_hold.py [--stalled 64] [--slow 70] [--hold 14]

The server runs in a subprocess on a free 127.0.0.1 port. From the moment all the stalled
connections are open, a normal client sends ``GET /api/model`` and a page-sized
``POST /api/predict`` every 0.25 s on a fresh connection for ``--hold`` seconds (the deadlines
are 10 s, so the stalled clients are still held for most of it). Reported: the status and
latency of each normal request (none may be other than 200, and each must come well within
the 10 s deadline), and when the server answered and closed each stalled connection (408 at
its deadline: the slot is freed). ``--max-connections 64`` runs the old cap for comparison.
Counts and time are bounded: at most ``--stalled + --slow`` sockets, at most ``--hold + 15`` s.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from PIL import Image, ImageDraw


def canvas() -> str:
    img = Image.new("RGBA", (280, 280), (255, 255, 255, 255))
    ImageDraw.Draw(img).ellipse([80, 40, 200, 240], outline=(0, 0, 0, 255), width=20)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def normal(port: int, method: str, path: str, body: str | None) -> tuple[int, float]:
    """One request on a fresh connection: (status, seconds)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body, {"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    except OSError:
        return 0, time.perf_counter() - start
    finally:
        conn.close()


def watch(sock: socket.socket, opened: float, until: float, out: list) -> None:
    """When the server answered and closed ``sock``: appends (status, seconds after open)."""
    got = b""
    while time.monotonic() < until:
        sock.settimeout(max(0.05, until - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        except OSError:
            chunk = b""
        if not chunk:
            status = got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else "closed"
            out.append((status, time.monotonic() - opened))
            return
        got += chunk
    out.append(("still open", time.monotonic() - opened))


def trickle(sock: socket.socket, until: float) -> None:
    """Send headers one byte every 0.5 s, never ending them, until ``until`` or closed."""
    line = b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    for byte in line:
        if time.monotonic() >= until:
            return
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalled", type=int, default=64, help="stalled bodies (max 500)")
    parser.add_argument("--slow", type=int, default=70, help="slow header senders (max 500)")
    parser.add_argument("--hold", type=float, default=14.0, help="seconds of normal requests")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="the server's connection cap (default: serve's own)")
    args = parser.parse_args()
    stalled, slow = min(args.stalled, 500), min(args.slow, 500)
    hold = min(args.hold, 60.0)

    with tempfile.TemporaryDirectory() as tmp:
        from neuralpath import save
        from neuralpath.pipeline import train_preset
        trained, _, _ = train_preset("best", seed=0, epochs=2, layer_sizes=[64, 32, 10])
        model = os.path.join(tmp, "model.npz")
        save(trained, model)
        if args.max_connections is None:
            argv = [sys.executable, "-m", "neuralpath", "serve", "--model", model, "--port", "0"]
        else:
            code = ("import sys, uvicorn\nfrom neuralpath.web.app import create_app\n"
                    "from neuralpath.web.server import listen, url_of, uvicorn_config\n"
                    "sock = listen('127.0.0.1', 0)\n"
                    "print('listening', url_of(sock), file=sys.stderr, flush=True)\n"
                    "uvicorn.Server(uvicorn_config(create_app(model_path=sys.argv[1]), "
                    f"'127.0.0.1', max_connections={args.max_connections})).run(sockets=[sock])")
            argv = [sys.executable, "-c", code, model]
        log_path = os.path.join(tmp, "serve.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
        try:
            port = None
            for _ in range(600):
                found = re.search(r"http://127\.0\.0\.1:(\d+)", open(log_path).read())
                if found and normal(int(found.group(1)), "GET", "/api/model", None)[0] == 200:
                    port = int(found.group(1))
                    break
                time.sleep(0.1)
            assert port is not None, "the server did not start"
            predict_body = json.dumps({"image": canvas()})
            quiet = [normal(port, "POST", "/api/predict", predict_body)[1] for _ in range(10)]

            start = time.monotonic()
            until = start + hold + 12
            socks, fates, threads = [], [], []
            for _ in range(stalled):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                socks.append(("stalled body", s, time.monotonic()))
            for _ in range(slow):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                socks.append(("slow headers", s, time.monotonic()))
                threads.append(threading.Thread(target=trickle, args=(s, until), daemon=True))
            for kind, s, opened in socks:
                out: list = []
                fates.append((kind, out))
                threads.append(threading.Thread(target=watch, args=(s, opened, until, out),
                                                daemon=True))
            for t in threads:
                t.start()
            held_at = time.monotonic() - start

            answers: dict[str, list[tuple[int, float, float]]] = {"model": [], "predict": []}
            while time.monotonic() - start < hold:
                at = time.monotonic() - start
                status, seconds = normal(port, "GET", "/api/model", None)
                answers["model"].append((status, seconds, at))
                status, seconds = normal(port, "POST", "/api/predict", predict_body)
                answers["predict"].append((status, seconds, at))
                time.sleep(0.25)
            for t in threads:
                t.join(max(0.0, until - time.monotonic()) + 1)
            for _, s, _ in socks:
                s.close()
        finally:
            proc.terminate()
            proc.wait(20)

    cap = args.max_connections or "serve's default"
    print(f"server: neuralpath serve on 127.0.0.1, connection cap {cap}, deadlines 10 s")
    print(f"held: {stalled} stalled bodies (POST /api/train, headers and '{{') and {slow} slow "
          f"header senders (a byte every 0.5 s), all open {held_at:.2f} s after the first")
    print(f"quiet POST /api/predict: median {statistics.median(quiet) * 1000:.1f} ms")
    for name, rows in answers.items():
        codes: dict[int, int] = {}
        for status, _, _ in rows:
            codes[status] = codes.get(status, 0) + 1
        ok = [sec for status, sec, _ in rows if status == 200]
        line = f"normal {name}: {len(rows)} requests over {hold:g} s, statuses {codes}"
        if ok:
            line += (f"; latency median {statistics.median(ok) * 1000:.1f} ms, "
                     f"max {max(ok) * 1000:.1f} ms")
        print(line)
        while_held = [r for r in rows if r[2] < 9.5]
        print(f"  of them while all {stalled + slow} were still held (first 9.5 s): "
              f"{len(while_held)}, answered 200: {sum(r[0] == 200 for r in while_held)}")
    for kind in ("stalled body", "slow headers"):
        ends = [out[0] for k, out in fates if k == kind and out]
        by_status: dict[str, list[float]] = {}
        for status, seconds in ends:
            by_status.setdefault(status, []).append(seconds)
        summary = ", ".join(f"{status} x{len(v)} at {min(v):.1f}-{max(v):.1f} s"
                            for status, v in sorted(by_status.items()))
        print(f"{kind}: {summary}")


if __name__ == "__main__":
    main()
