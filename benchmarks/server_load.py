"""How the page's server holds up under a flood of bad pictures: latency of normal predictions
quiet and during the flood (as a ratio), and the server's memory, in one run.

    .venv/bin/python benchmarks/server_load.py [--model PATH] [--samples 60]

A real ``neuralpath serve`` (its default limits) runs in a subprocess on a free 127.0.0.1 port.
A "normal prediction" is what the page sends: a 280 x 280 RGBA canvas with a digit drawn on
it, as a PNG data URL, one request at a time on a kept-alive connection. Scenarios:

- quiet: normal predictions only;
- tall: 8 threads send 1 x 4,000,000 and 4,000,000 x 1 PNGs (about 20 kB each), 100 per
  round, rounds repeated until the normal predictions measured meanwhile reach --samples;
- big: the same with the largest picture the server decodes (2000 x 2000, a ring drawn in
  1-bit PNG), to show what the decoder bound (2 at a time) leaves for normal requests.

Latency is wall time per request (median and 90th percentile); memory is the server's resident
set (VmRSS) and its peak (VmHWM) from /proc, after each scenario.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time

from PIL import Image, ImageDraw
from serving import memory, served  # benchmarks/serving.py


def png_url(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def canvas() -> str:
    img = Image.new("RGBA", (280, 280), (255, 255, 255, 255))
    ImageDraw.Draw(img).ellipse([80, 40, 200, 240], outline=(0, 0, 0, 255), width=20)
    return png_url(img)


def big() -> str:
    img = Image.new("1", (2000, 2000), 1)
    ImageDraw.Draw(img).ellipse([600, 300, 1400, 1700], outline=0, width=140)
    return png_url(img)


def post(conn: http.client.HTTPConnection, image: str) -> int:
    conn.request("POST", "/api/predict", json.dumps({"image": image}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def measure(port: int, samples: int, stop: threading.Event | None = None) -> list[float]:
    """Seconds per normal prediction, ``samples`` of them (more while a flood lasts)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    image, times = canvas(), []
    while len(times) < samples or (stop is not None and not stop.is_set()):
        start = time.perf_counter()
        status = post(conn, image)
        times.append(time.perf_counter() - start)
        assert status == 200, status
    conn.close()
    return times


def flood(port: int, images: list[str], enough: threading.Event, done: threading.Event,
          counts: dict[int, int]) -> None:
    """Rounds of ``images`` sent 8 at a time until ``enough`` is set; tallies statuses."""
    lock = threading.Lock()

    def worker(chunk: list[str]) -> None:
        for image in chunk:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = post(conn, image)
            conn.close()
            with lock:
                counts[status] = counts.get(status, 0) + 1

    while not enough.is_set():
        threads = [threading.Thread(target=worker, args=(images[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    done.set()


def scenario(port: int, samples: int, images: list[str]) -> tuple[list[float], dict[int, int]]:
    enough, done, counts = threading.Event(), threading.Event(), {}
    flooder = threading.Thread(target=flood, args=(port, images, enough, done, counts))
    flooder.start()
    time.sleep(0.2)  # the flood is under way
    times = measure(port, samples)
    enough.set()
    flooder.join()
    return times, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the best preset, 5 epochs)")
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from neuralpath import save
            from neuralpath.pipeline import train_preset
            trained, _, _ = train_preset("best", seed=0, epochs=5)
            model = os.path.join(tmp, "model.npz")
            save(trained, model)
        with served(model, tmp) as (proc, port):
            time.sleep(0.5)
            measure(port, 20)  # warm-up
            rows = []
            quiet = measure(port, args.samples)
            rows.append(("quiet", quiet, {}, memory(proc.pid)))
            tall = png_url(Image.new("L", (1, 4_000_000), 255))
            wide = png_url(Image.new("L", (4_000_000, 1), 255))
            times, counts = scenario(port, args.samples, [tall, wide] * 50)
            rows.append(("tall 1x4M, 8 at a time", times, counts, memory(proc.pid)))
            times, counts = scenario(port, args.samples, [big()] * 24)
            rows.append(("big 2000x2000, 8 at a time", times, counts, memory(proc.pid)))
    base = statistics.median(quiet)
    print(f"normal predictions: a 280x280 canvas PNG, one at a time; {os.cpu_count()} cores")
    print(f"{'scenario':28} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'x quiet':>8} "
          f"{'flood answers':>20} {'RSS MB':>7} {'peak MB':>8}")
    for name, times, counts, (rss, peak) in rows:
        p90 = statistics.quantiles(times, n=10)[-1]
        median = statistics.median(times)
        answers = ", ".join(f"{n} x {s}" for s, n in sorted(counts.items())) or "-"
        print(f"{name:28} {len(times):4d} {1000 * median:10.2f} {1000 * p90:8.2f} "
              f"{median / base:8.2f} {answers:>20} {rss:7.0f} {peak:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
