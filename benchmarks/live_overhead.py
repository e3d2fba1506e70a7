#!/usr/bin/env python
"""What watching costs: time per iteration of a live run with its event stream open, against
`neuralpath train` with the same settings and seed, printed as a ratio.

    python benchmarks/live_overhead.py [--repeat 3]

Both sides are separate processes started here: `neuralpath train --json` (its
``train_seconds``: the training loop only) and `neuralpath serve`, whose live run is started
with POST /api/train and read by an event stream that stays open to the end, as the page
does; the live run's ``train_seconds`` is measured by the same loop. The two alternate, each
setting ``--repeat`` times, and the fastest of each is kept (other work on the machine only
ever slows a run down). "measuring" is the largest share of a live run's training time that
its worker spent measuring the network for the page (a ratio within one run, so it is much
less disturbed by other work on the machine than the wall times). Needs the web and test
extras (uvicorn, httpx).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import httpx

SETTINGS = {
    "tutorial (full batch)": {"preset": "tutorial", "seed": 0},
    "tutorial, [64, 100, 10]": {"preset": "tutorial", "seed": 0, "layer_sizes": [64, 100, 10]},
    "best, 10 epochs (mini-batches)": {"preset": "best", "seed": 0, "epochs": 10},
}


def cli_args(settings):
    args = ["--preset", settings["preset"], "--seed", str(settings["seed"])]
    for name, value in settings.items():
        if name not in ("preset", "seed"):
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            args += ["--" + name.replace("_", "-"), text]
    return args


def run_cli(settings, folder):
    out = subprocess.run(
        [sys.executable, "-m", "neuralpath", "train", *cli_args(settings), "--json",
         "--no-progress", "--force", "--out", os.path.join(folder, "cli.npz")],
        capture_output=True, text=True, check=True, cwd=folder)
    result = json.loads(out.stdout)
    return result["train_seconds"] / result["iterations"], result["final_cost"]


def run_live(url, settings):
    with httpx.Client(base_url=url, timeout=600) as client:
        response = client.post("/api/train", json=settings)
        response.raise_for_status()
        run_id = response.json()["id"]
        events, begin = 0, time.perf_counter()
        with client.stream("GET", f"/api/train/{run_id}/events") as stream:
            for line in stream.iter_lines():
                events += line.startswith("event: update")
        seconds = time.perf_counter() - begin
        info = client.get(f"/api/train/{run_id}").json()
    assert info["state"] == "done", info["state"]
    return (info["train_seconds"] / info["iteration"], info["final_cost"], events / seconds,
            info["measure_seconds"] / info["train_seconds"])


def start_server(folder, model):
    server = subprocess.Popen(
        [sys.executable, "-m", "neuralpath", "serve", "--model", model, "--port", "0"],
        stderr=subprocess.PIPE, text=True, cwd=folder)
    for line in server.stderr:
        found = re.search(r"(http://\S+)/ \(Ctrl-C", line)
        if found:
            return server, found.group(1)
    raise RuntimeError("neuralpath serve did not start")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        run_cli({"preset": "tutorial", "seed": 0, "iterations": 10}, folder)  # a model to serve
        server, url = start_server(folder, os.path.join(folder, "cli.npz"))
        try:
            print(f"{'settings':32} {'CLI ms/it':>10} {'live ms/it':>11} {'live/CLI':>9} "
                  f"{'measuring':>10} {'events/s':>9}  same final J")
            for name, settings in SETTINGS.items():
                cli, live, rates, shares = [], [], [], []
                for _ in range(args.repeat):
                    per_it, cli_cost = run_cli(settings, folder)
                    cli.append(per_it)
                    per_it, live_cost, rate, share = run_live(url, settings)
                    live.append(per_it)
                    rates.append(rate)
                    shares.append(share)
                ratio = min(live) / min(cli)
                same = abs(cli_cost - live_cost) <= 1e-9
                print(f"{name:32} {1e3 * min(cli):10.4f} {1e3 * min(live):11.4f} "
                      f"{ratio:9.3f} {max(shares):10.1%} {max(rates):9.1f}  {same}",
                      flush=True)
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
