"""Training under load: each preset's training step timed on a quiet machine and beside one
competing busy process, with one BLAS thread, two, and the rule ``blas.blas_threads`` uses.

Issue 14 found a cliff: on a 2-core machine with one other busy process, a preset that trained
on two OpenBLAS threads took 9x its quiet time (OpenBLAS's threads spin and wait for each
other, and one of them keeps losing its core). This module measures, for each preset, the
ratio of busy to quiet time per thread setting, so the rule can be chosen from numbers
(benchmarks/README.md has a run). ``neuralpath bench --contention`` prints the table.

Each figure comes from a fresh Python process (``python -m neuralpath.contention SPEC``) that
prepares the preset's data (digits; for ``mnist``, random data of MNIST's shape, so nothing is
downloaded) and builds the network with the pipeline's own steps (``prepare``, ``build``), runs
a short untimed warm-up, then times ``pipeline.fit`` over a fixed number of optimizer steps.
The busy process is ``python -c "while True: pass"``, started before the worker and killed
after it. The functions return data and text; the worker's single JSON line on stdout is how
it hands its result back.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

# "rule": blas.blas_threads decides; 1 or 2: that many BLAS threads, whatever the rule says
THREAD_SETTINGS: tuple[str, ...] = ("1", "2", "rule")
# optimizer steps timed per preset: about half a second of quiet training each
STEPS: dict[str, int] = {"tutorial": 600, "tutorial-l2": 600, "best": 150, "mnist": 60}


def _prepared(preset: str, steps: int) -> tuple[Any, dict[str, Any]]:
    """(config, parts) of ``steps`` optimizer steps of ``preset``, prepared by the pipeline
    (for mnist: random data of MNIST's shape, so nothing is downloaded). Early stopping is
    off: the timed steps are training steps only."""
    import numpy as np

    from .pipeline import prepare
    from .presets import PRESETS
    cfg = PRESETS[preset].replace(iterations=steps, early_stopping=False)
    if cfg.dataset != "mnist":
        return cfg, prepare(cfg)
    rng = np.random.default_rng(0)  # MNIST's shape, without the files: 12,000 random images
    X = rng.integers(0, 256, size=(12000, 784)).astype(np.float64)
    y = rng.integers(0, 10, size=12000)
    cfg = cfg.replace(dataset="digits")
    return cfg, prepare(cfg, arrays=(X, y))


def measure_here(spec: dict[str, Any]) -> dict[str, Any]:
    """Time ``spec["steps"]`` training steps of ``spec["preset"]`` with ``spec["threads"]``:
    the pipeline's own build and fit, after an untimed warm-up of a few steps."""
    from .blas import pinned
    from .pipeline import build, fit
    cfg, parts = _prepared(spec["preset"], spec["steps"])
    limits: contextlib.AbstractContextManager = contextlib.nullcontext()
    if spec["threads"] != "rule":  # bypass the rule: exactly this many BLAS threads
        limits = pinned(int(spec["threads"]))
    with limits:
        warm_up = build(cfg.replace(iterations=min(20, spec["steps"])), parts)
        fit(warm_up, parts, handle_interrupt=False)  # untimed
        model = build(cfg, parts)
        wall, cpu = time.perf_counter(), time.process_time()
        fit(model, parts, handle_interrupt=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return dict(spec, seconds=wall, cpu_seconds=cpu)


@contextlib.contextmanager
def busy_process(busy: bool) -> Iterator[None]:
    """One competing process spinning on a core while the block runs (when ``busy``)."""
    if not busy:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # let it reach its loop
        yield
    finally:
        proc.kill()
        proc.wait()


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """One figure, in a fresh process, beside a busy process when ``spec["busy"]``."""
    env = dict(os.environ)
    if spec["threads"] != "rule":
        env.update(OPENBLAS_NUM_THREADS=spec["threads"], OMP_NUM_THREADS=spec["threads"])
    with busy_process(spec["busy"]):
        proc = subprocess.run([sys.executable, "-m", "neuralpath.contention", json.dumps(spec)],
                              capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
        return dict(spec, error=lines[-1])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def plan(presets: Sequence[str] = tuple(STEPS), threads: Sequence[str] = THREAD_SETTINGS,
         repeat: int = 1) -> list[dict[str, Any]]:
    """The measurements: each preset x thread setting, quiet then busy, ``repeat`` times."""
    unknown = sorted(set(presets) - set(STEPS))
    if unknown:
        raise ValueError(f"presets must be among {list(STEPS)}, got {unknown}")
    bad = sorted(set(threads) - set(THREAD_SETTINGS))
    if bad:
        raise ValueError(f"threads must be among {list(THREAD_SETTINGS)}, got {bad}")
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive integer, got {repeat!r}")
    return [dict(preset=p, threads=t, busy=busy, steps=STEPS[p], run=r)
            for r in range(repeat) for p in presets for t in threads for busy in (False, True)]


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per preset and thread setting: the fastest quiet and busy times and their ratio."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        if "error" in r:
            continue
        row = rows.setdefault((r["preset"], r["threads"]),
                              dict(preset=r["preset"], threads=r["threads"], steps=r["steps"]))
        key = "busy" if r["busy"] else "quiet"
        if key not in row or r["seconds"] < row[key]:
            row[key], row[key + "_cpu"] = r["seconds"], r["cpu_seconds"]
    for row in rows.values():
        if "busy" in row and "quiet" in row:
            row["ratio"] = row["busy"] / row["quiet"]
    return list(rows.values())


def report(rows: list[dict[str, Any]]) -> str:
    """The table: quiet and busy seconds, and busy / quiet, per preset and thread setting."""
    lines = ["training steps timed quiet and beside one busy process (python -c 'while True: "
             "pass')", f"{'preset':12} {'steps':>6} {'threads':>8} {'quiet s':>8} "
             f"{'busy s':>8} {'busy/quiet':>10}  {'quiet cpu':>9} {'busy cpu':>9}"]
    for r in rows:
        if "ratio" not in r:
            continue
        lines.append(f"{r['preset']:12} {r['steps']:>6} {r['threads']:>8} {r['quiet']:>8.3f} "
                     f"{r['busy']:>8.3f} {r['ratio']:>10.2f}  {r['quiet_cpu']:>9.3f} "
                     f"{r['busy_cpu']:>9.3f}")
    rule = [r for r in rows if r["threads"] == "rule" and "ratio" in r]
    if rule:
        worst = max(rule, key=lambda r: r["ratio"])
        lines.append(f"target: busy/quiet <= 2 for every preset under the rule; worst "
                     f"{worst['ratio']:.2f} ({worst['preset']}): "
                     f"{'met' if worst['ratio'] <= 2 else 'NOT MET'}")
    return "\n".join(lines)


if __name__ == "__main__":  # a worker: one spec in argv, one JSON result on stdout
    print(json.dumps(measure_here(json.loads(sys.argv[1]))))
