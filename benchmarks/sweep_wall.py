"""Wall time of a sweep run side by side against the same runs one after another.

    PYTHONPATH=src python benchmarks/sweep_wall.py [--preset best] [--seeds 0-4]
        [--grid learning_rate=0.003,0.001] [--jobs 2]

Runs ``neuralpath sweep`` twice in fresh processes into fresh folders: with ``--jobs 1``
(the runs one after another, one BLAS thread, in one worker process) and with ``--jobs N``
(N runs side by side, one BLAS thread each); prints both wall times, their ratio, and the
mean test accuracy of each (the same runs, so the same numbers). Every run writes its whole
run folder (model, config, metrics, three plots) in both, as neuralpath train does.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time


def sweep(folder: str, preset: str, seeds: str, grid: str, jobs: int) -> tuple[float, float]:
    """(wall seconds, mean test accuracy) of one sweep in a fresh process."""
    argv = [sys.executable, "-m", "neuralpath", "sweep", "--preset", preset, "--seeds", seeds,
            "--grid", grid, "--jobs", str(jobs), "--out", folder, "--quiet"]
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    seconds = time.perf_counter() - start
    with open(os.path.join(folder, "summary.csv"), newline="") as f:
        acc = [float(r["test_accuracy"]) for r in csv.DictReader(f)]
    return seconds, sum(acc) / len(acc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="best")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--grid", default="learning_rate=0.003,0.001")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = sweep(os.path.join(tmp, "one"), args.preset, args.seeds, args.grid, 1)
        side = sweep(os.path.join(tmp, "side"), args.preset, args.seeds, args.grid, args.jobs)
    print(f"sweep of {args.preset}, --grid {args.grid} x --seeds {args.seeds} "
          f"({os.cpu_count()} cores)")
    print(f"  one after another (--jobs 1): {one[0]:7.1f} s, mean test accuracy {one[1]:.4f}")
    print(f"  side by side (--jobs {args.jobs}):     {side[0]:7.1f} s, mean test accuracy "
          f"{side[1]:.4f}")
    print(f"  ratio: {one[0] / side[0]:.2f}x")


if __name__ == "__main__":
    main()
