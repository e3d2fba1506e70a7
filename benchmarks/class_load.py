"""A class at one server: N browsers start the tutorial preset at the same moment.

    .venv/bin/python benchmarks/class_load.py [--sessions 30] [--preset tutorial]

A real ``neuralpath serve`` (its default limits, a small model so it starts at once) runs in
a subprocess on a free 127.0.0.1 port, in a temporary folder (its run folders go there). Each
of ``--sessions`` threads is one browser with its own cookie jar: it opens the page (which
gives it its session cookie), waits for the others, then all POST ``{"preset": ...}`` to
/api/train at once, and each follows its run's event stream to the end, as the page does.

Printed: how many starts were answered 202 (none may be refused), the places in line the
answers gave, how many runs ended ``done``, the time from the starts to the first and the last
result, whether every run's final cost is the same (same preset, same seed) and equals the
CLI's (``neuralpath train --preset tutorial --seed 0`` through the pipeline), and the server's
peak resident memory (VmHWM from /proc) with its resident memory before the starts.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time

from serving import memory, served  # benchmarks/serving.py


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) process ``pid`` has used, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Browser:
    """One browser: a cookie jar (one session cookie) and its own connections."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, ""
        self.result: dict = {}

    def request(self, method: str, path: str, body: dict | None = None
                ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, None if body is None else json.dumps(body), headers)
        response = conn.getresponse()
        given = response.getheader("set-cookie")
        if given:
            self.cookie = given.split(";")[0]
        return conn, response

    def open_page(self) -> None:
        conn, response = self.request("GET", "/train")
        response.read()
        conn.close()
        assert self.cookie, "the page gave no session cookie"

    def start_and_watch(self, barrier: threading.Barrier, preset: str, t0: list[float]) -> None:
        barrier.wait()
        if not t0:
            t0.append(time.perf_counter())
        conn, response = self.request("POST", "/api/train", {"preset": preset})
        answer = json.loads(response.read())
        conn.close()
        self.result.update(status=response.status, answer=answer)
        if response.status != 202:
            return
        conn, response = self.request("GET", f"/api/train/{answer['id']}/events")
        kind, last, places = None, {}, []
        while True:
            line = response.readline()
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "update":
                last = json.loads(line[6:])
                if last.get("place") is not None:
                    places.append(last["place"])
            elif kind == "end":
                break
        conn.close()
        self.result.update(end=time.perf_counter(), state=last.get("state"),
                           final_cost=last.get("final_cost"), places=places,
                           error=last.get("error"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="browsers (default 30)")
    parser.add_argument("--preset", default="tutorial", help="preset each starts")
    args = parser.parse_args(argv)

    from neuralpath import save
    from neuralpath.pipeline import train_preset
    with tempfile.TemporaryDirectory() as tmp:
        # the CLI's numbers, through the pipeline (and its run folder: plotting warmed up)
        _, _, cli = train_preset(args.preset, seed=0, run_dir=os.path.join(tmp, "cli"))
        begin, cpu = time.perf_counter(), time.process_time()  # one run alone, with its folder
        train_preset(args.preset, seed=0, run_dir=os.path.join(tmp, "alone"))
        alone, alone_cpu = time.perf_counter() - begin, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        small, _, _ = train_preset("tutorial", seed=0, iterations=5)
        model = os.path.join(tmp, "model.npz")
        save(small, model)
        with served(model, tmp, cwd=tmp) as (proc, port):
            browsers = [Browser(port) for _ in range(args.sessions)]
            for b in browsers:
                b.open_page()
            rss_before, _ = memory(proc.pid)
            cpu_before = cpu_seconds(proc.pid)
            barrier, t0 = threading.Barrier(len(browsers)), []
            threads = [threading.Thread(target=b.start_and_watch, args=(barrier, args.preset, t0))
                       for b in browsers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
            rss_after, peak = memory(proc.pid)
            server_cpu = cpu_seconds(proc.pid) - cpu_before
    results = [b.result for b in browsers]
    statuses = [r.get("status") for r in results]
    done = [r for r in results if r.get("state") == "done"]
    ends = sorted(r["end"] - t0[0] for r in results if "end" in r)
    first_places = sorted(r["answer"].get("place") or 0 for r in results if "answer" in r)
    costs = [r["final_cost"] for r in done]
    print(f"{args.sessions} browsers start the {args.preset} preset at once; "
          f"{len(os.sched_getaffinity(0))} cores")
    print(f"answers: {statuses.count(202)} x 202, refused: {len(statuses) - statuses.count(202)} "
          f"({sorted(set(statuses))})")
    print(f"places in line given by the answers: {first_places[0]} .. {first_places[-1]} "
          f"(0 = started at once)")
    print(f"runs done: {len(done)} of {args.sessions}"
          + ("" if len(done) == len(results) else
             f"; others: {[(r.get('state'), r.get('error')) for r in results if r not in done]}"))
    if ends:
        slots = len(os.sched_getaffinity(0))
        ideal = -(-args.sessions // slots) * alone
        print(f"time from the starts to the first result: {ends[0]:.2f} s, median "
              f"{statistics.median(ends):.2f} s, last: {ends[-1]:.2f} s")
        print(f"one run alone with its run folder (pipeline, in this process, just before): "
              f"{alone:.2f} s; {args.sessions} runs {slots} at a time would take {ideal:.1f} s; "
              f"the last result came at {ends[-1] / ideal:.2f} x that, and at "
              f"{ends[-1] / (args.sessions * alone):.2f} x {args.sessions} runs one after the "
              "other")
        print(f"CPU time: {server_cpu / args.sessions:.2f} s per run in the server (all its "
              f"threads, requests included), {alone_cpu:.2f} s for the run alone; the server "
              f"used {server_cpu / ends[-1]:.2f} cores on average")
    if costs:
        spread = max(costs) - min(costs)
        print(f"final cost of every run: {costs[0]:.11f} (spread {spread:.1e}); the CLI's "
              f"{cli['final_cost']:.11f}, difference {abs(costs[0] - cli['final_cost']):.1e}")
    print(f"server memory: {rss_before:.0f} MB resident before the starts, {rss_after:.0f} MB "
          f"after, peak (VmHWM) {peak:.0f} MB")
    return 0 if len(done) == len(results) == statuses.count(202) else 1


if __name__ == "__main__":
    sys.exit(main())
