"""Sweeps: a grid of settings crossed with seeds, each point an ordinary run folder.

A sweep starts from one ``TrainConfig`` (a preset or a config file, with any changes), takes
a grid ``{setting: [values]}`` and a list of seeds, and trains every combination. Each point
is a run like ``neuralpath train`` makes: the same pipeline call and the same run folder
(model.npz, config.json, metrics.csv, cost.png, confusion.png, errors.png), kept under the
sweep's folder::

    OUT/sweep.json         the base config, the grid and the seeds
    OUT/summary.csv        one row per finished run (SUMMARY_COLUMNS after the grid's keys)
    OUT/test_accuracy.png  test accuracy against each grid key, with the spread over seeds
    OUT/runs/<point>/      one run folder per point, and result.json: its summary row,
                           written last, so a folder with it is a finished run

Where the runs happen is an executor: ``run_local`` (processes side by side on this
machine, one BLAS thread each) or ``run_dask`` (a dask.distributed cluster). Both call
``run_point`` on the worker, which trains in a temporary folder and hands back the files'
bytes; the machine that started the sweep writes them (``write_result``), so workers need no
shared disk. A sweep started again skips the points whose run folder is finished
(``finished``), and refuses a folder whose run was made with other settings.

The library returns data and figures; ``neuralpath sweep`` (commands/sweep.py) prints.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import socket
import statistics
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .blas import pinned
from .config import TrainConfig

SUMMARY_COLUMNS = ("seed", "final_cost", "train_accuracy", "test_accuracy", "train_seconds",
                   "run_dir", "stopped")
RESULT = "result.json"  # a run folder's summary row: written last, it marks the run finished
RUNS = "runs"  # the run folders' folder inside the sweep's
DASK_MISSING = "--scheduler needs Dask: pip install 'neuralpath[dask]'"


@dataclass(frozen=True)
class Point:
    """One run of a sweep: the grid's values (``settings``), the seed and the whole config."""

    name: str  # the run folder's name, from the settings and the seed
    settings: dict[str, Any]
    seed: int
    config: TrainConfig


# -- the grid -----------------------------------------------------------------------------


def parse_seeds(text: str) -> list[int]:
    """``0-9``, ``0,3,7`` or ``0-3,10`` -> the seeds, in order, without repeats."""
    seeds: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise ValueError(f"seeds must be integers >= 0 as ranges and lists like 0-9 or "
                             f"0,3,7, got {text!r}") from None
        if low < 0 or high < low:
            raise ValueError(f"seeds must be integers >= 0 as ranges and lists like 0-9 or "
                             f"0,3,7, got {text!r}")
        seeds += [s for s in range(low, high + 1) if s not in seeds]
    return seeds


def value_text(value: Any) -> str:
    """A setting's value as the grid writes it: ``64,30,10``, ``0.25``, ``true``, ``none``."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


def point_name(settings: dict[str, Any], seed: int) -> str:
    """The run folder of a point: ``learning_rate=0.1__layer_sizes=64-30-10__seed=3``."""
    parts = [f"{k}={value_text(v).replace(',', '-')}" for k, v in settings.items()]
    return "__".join(parts + [f"seed={seed}"])


def with_settings(base: TrainConfig, settings: dict[str, Any]) -> TrainConfig:
    """``base`` with the grid's ``settings``; a None value (batch_size=none: full batch) is
    set too, where ``TrainConfig.replace`` would ignore it."""
    cfg = base.replace(**settings)
    nones: dict[str, Any] = {k: None for k, v in settings.items() if v is None}
    return dataclasses.replace(cfg, **nones) if nones else cfg


def make_points(base: TrainConfig, grid: Mapping[str, Sequence[Any]],
                seeds: Sequence[int]) -> list[Point]:
    """Every combination of the grid's values (the first key varying slowest), crossed with
    ``seeds``; ``ValueError`` naming the setting when a combination is not a valid config."""
    if "seed" in grid:
        raise ValueError("seed is not a grid key: give the seeds as seeds (--seeds 0-9)")
    keys = list(grid)
    combos: list[dict[str, Any]] = [{}]
    for key in keys:
        combos = [{**c, key: v} for c in combos for v in grid[key]]
    points = []
    for settings in combos:
        for seed in seeds:
            points.append(Point(point_name(settings, seed), settings, seed,
                                with_settings(base, {**settings, "seed": seed})))
    names = [p.name for p in points]
    if len(set(names)) < len(names):
        raise ValueError("the grid has a value twice: " + ", ".join(
            sorted({n for n in names if names.count(n) > 1})))
    return points


# -- one point: runs on a worker, hands back bytes -------------------------------------------


def task_of(point: Point, preset: str, data_dir: str | None = None,
            tensorboard: bool = False) -> dict[str, Any]:
    """What a worker needs to run ``point``: plain values only (sent to another process or
    machine)."""
    return dict(name=point.name, config=point.config.to_dict(), preset=preset,
                data_dir=data_dir, tensorboard=tensorboard,
                settings={k: value_text(v) for k, v in point.settings.items()},
                seed=point.seed)


def _write_bytes(path: str, data: bytes) -> str:
    from .persist import atomic_write
    return atomic_write(path, lambda f: f.write(data))


def _read_tree(folder: str) -> dict[str, bytes]:
    """{path relative to ``folder``: bytes} of every regular file below it."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    files[os.path.relpath(path, folder)] = f.read()
    return files


def _where() -> dict[str, Any]:
    """Which machine, process and (on a cluster) Dask worker this is."""
    worker = None
    try:
        from distributed import get_worker
        worker = get_worker().address
    except (ImportError, ValueError):  # not inside a Dask task
        pass
    return {"host": socket.gethostname(), "pid": os.getpid(), "dask_worker": worker}


def run_point(task: dict[str, Any]) -> dict[str, Any]:
    """Train one point and save its run folder as ``neuralpath train`` does, in a temporary
    folder; returns its summary row, the folder's files and TensorBoard's, as bytes.

    This is the sweep's one call into the pipeline: ``train_config`` with ``run_dir`` takes
    the same steps and writes the same run folder as every other front end."""
    from .errors import TrainingDiverged
    from .pipeline import train_config

    cfg = TrainConfig.from_dict(task["config"])
    label = ", ".join(f"{k} {v}" for k, v in task["settings"].items())
    title = f"{task['preset']} preset, {label + ', ' if label else ''}seed {cfg.seed}"
    # runs go side by side (processes, or a Dask worker's threads): one BLAS thread each
    with pinned(1), tempfile.TemporaryDirectory(prefix="neuralpath-sweep-") as tmp:
        run_dir = os.path.join(tmp, RUNS, task["name"])
        callbacks: list[Any] = []
        board = None
        if task["tensorboard"]:
            from .tensorboard import TensorBoardLogger
            board = TensorBoardLogger(os.path.join(tmp, "tensorboard"), close_at_end=False)
            callbacks.append(board)
        row: dict[str, Any] = dict(seed=cfg.seed, final_cost=None, train_accuracy=None,
                                   test_accuracy=None, train_seconds=None,
                                   run_dir=f"{RUNS}/{task['name']}")
        try:
            model, history, metrics = train_config(cfg, callbacks, task["data_dir"],
                                                   preset=task["preset"], run_dir=run_dir,
                                                   title=title, handle_interrupt=False)
        except ValueError as exc:  # say which point (e.g. layer_sizes that fit no data)
            raise ValueError(f"run {task['name']}: {exc}") from None
        except TrainingDiverged as exc:  # a point of the grid may diverge: its folder is kept
            row.update(stopped="diverged", train_seconds=exc.history.seconds)
        else:
            if "save_error" in metrics:
                raise OSError(f"run {task['name']}: {metrics['save_error']}")
            row.update({k: metrics[k] for k in ("final_cost", "train_accuracy",
                                                "test_accuracy", "train_seconds")},
                       stopped=history.stopped)
            if board is not None:
                board.log_final(metrics, history.epochs)
        finally:
            if board is not None:
                board.close()
        return dict(name=task["name"], settings=task["settings"], row=row,
                    files=_read_tree(run_dir),
                    tensorboard=_read_tree(os.path.join(tmp, "tensorboard")),
                    worker=_where())


# -- the sweep's folder, on the machine that started it ---------------------------------------


def run_folder(out: str, point: Point) -> str:
    """Where ``point``'s run folder goes in sweep folder ``out``."""
    return os.path.join(out, RUNS, point.name)


def finished_before(out: str, points: Sequence[Point]) -> dict[str, dict[str, Any]]:
    """The saved results of the points whose run folders in ``out`` are finished, by name."""
    saved = {p.name: finished(out, p) for p in points}
    return {name: result for name, result in saved.items() if result is not None}


def finished(out: str, point: Point) -> dict[str, Any] | None:
    """The saved result of ``point`` when its run folder is finished, else None.

    ``ValueError`` when the folder holds a finished run of other settings: the sweep would
    otherwise mix two experiments under one name."""
    folder = run_folder(out, point)
    try:
        with open(os.path.join(folder, RESULT)) as f:
            result = json.load(f)
        with open(os.path.join(folder, "config.json")) as f:
            saved = json.load(f)
    except (OSError, ValueError):  # not finished (or written half): run it again
        return None
    mine = point.config.to_dict()
    if saved != mine:
        diff = ", ".join(f"{k} {saved.get(k)!r} there, {mine.get(k)!r} here"
                         for k in mine if saved.get(k) != mine.get(k))
        raise ValueError(f"{folder} holds a run with other settings ({diff}); give another "
                         "sweep folder, or the settings it was made with")
    return dict(result)


def write_result(out: str, result: dict[str, Any], tensorboard: str | None = None) -> None:
    """Write a worker's run folder (and TensorBoard files) under the sweep folder ``out``;
    ``result.json`` goes last, so that only a complete folder counts as finished."""
    folder = os.path.join(out, RUNS, result["name"])
    for rel, data in result["files"].items():
        _write_bytes(os.path.join(folder, rel), data)
    if tensorboard:
        for rel, data in result["tensorboard"].items():
            _write_bytes(os.path.join(tensorboard, result["name"], rel), data)
    record = {k: v for k, v in result.items() if k not in ("files", "tensorboard")}
    _write_bytes(os.path.join(folder, RESULT), (json.dumps(record, indent=2) + "\n").encode())


def write_description(out: str, base: TrainConfig, grid: Mapping[str, Sequence[Any]],
                      seeds: Sequence[int], preset: str) -> str:
    """``OUT/sweep.json``: the base config, the grid and the seeds, for the record."""
    from .persist import atomic_write
    text = json.dumps(dict(preset=preset, base=base.to_dict(),
                           grid={k: [value_text(v) for v in vs] for k, vs in grid.items()},
                           seeds=list(seeds)), indent=2) + "\n"
    return atomic_write(os.path.join(out, "sweep.json"), lambda f: f.write(text.encode()))


def summary_rows(results: Iterable[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per result: the grid's keys (as text), then ``SUMMARY_COLUMNS``."""
    return [{**{k: r["settings"][k] for k in keys}, **r["row"]} for r in results]


def write_summary(out: str, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> str:
    """``OUT/summary.csv``, atomically; returns its path."""
    from .persist import atomic_write
    buf = io.StringIO()
    writer = csv.DictWriter(buf, [*keys, *SUMMARY_COLUMNS], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in writer.fieldnames})
    return atomic_write(os.path.join(out, "summary.csv"),
                        lambda f: f.write(buf.getvalue().encode()))


# -- where the points run ---------------------------------------------------------------------


@contextlib.contextmanager
def _single_thread_env() -> Iterator[None]:
    """BLAS libraries of the processes started inside: one thread, from their first import."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update({n: "1" for n in names})
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _ignore_interrupts() -> None:
    """In a worker process: Ctrl-C is the sweep's to handle (it stops the workers), so a
    terminal's SIGINT to the whole process group prints no traceback from each of them."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(tasks: Sequence[dict[str, Any]], jobs: int | None = None) -> Iterator[dict]:
    """Run ``tasks`` in ``jobs`` processes side by side (default: one per core), one BLAS
    thread each; yields each result as it finishes. Closing the generator (an interrupt)
    cancels what has not started and stops the processes."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    if not tasks:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with _single_thread_env():
        pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_ignore_interrupts)
        pending = {pool.submit(run_point, t) for t in tasks}
    clean = False
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
        clean = True
    finally:
        if not clean:
            for future in pending:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()  # a run that is cut short is run again on resuming
        pool.shutdown(wait=True, cancel_futures=True)


def connect(address: str, timeout: float = 10) -> Any:
    """A dask.distributed ``Client`` of the scheduler at ``address``; ``ImportError`` saying
    how to install Dask, ``ValueError`` when no scheduler answers there."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(DASK_MISSING) from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"no Dask scheduler answered at {address}: {exc}") from None


def run_dask(tasks: Sequence[dict[str, Any]], address: str) -> Iterator[dict]:
    """Run ``tasks`` on the Dask cluster whose scheduler is at ``address``
    (``tcp://HOST:PORT``); yields each result as it comes back. Closing the generator cancels
    the rest. The workers need neuralpath installed, and no shared disk."""
    if not tasks:
        return
    from distributed import as_completed
    client = connect(address)
    try:
        futures = [client.submit(run_point, t, key=f"neuralpath-sweep-{t['name']}", pure=False)
                   for t in tasks]
        try:
            for future in as_completed(futures, loop=client.loop):  # no default client
                yield future.result()
        finally:
            client.cancel(futures)
    finally:
        client.close()


def run_sweep(points: Sequence[Point], out: str, tasks: Callable[[Sequence[Point]], list],
              execute: Callable[[list], Iterator[dict]], tensorboard: str | None = None,
              on_result: Callable[[dict, int, int], Any] | None = None,
              before: dict[str, dict] | None = None) -> list[dict]:
    """Run the points of ``points`` that are not finished in ``out`` with ``execute`` (an
    executor applied to ``tasks(points_to_run)``), writing each run folder as it comes
    back and the summary after each; returns every point's result, in ``points``' order.
    ``on_result(result, done, total)`` is called after each run written. ``before``: what
    ``finished_before(out, points)`` gave, when the caller has read it already."""
    results = dict(finished_before(out, points) if before is None else before)
    todo = [p for p in points if p.name not in results]
    keys = list(points[0].settings) if points else []
    order = [p.name for p in points]
    total, done = len(points), len(results)
    write_summary(out, summary_rows([results[n] for n in order if n in results], keys), keys)
    runs = execute(tasks(todo)) if todo else iter(())
    try:
        for result in runs:
            write_result(out, result, tensorboard)
            results[result["name"]] = {k: v for k, v in result.items()
                                       if k not in ("files", "tensorboard")}
            done += 1
            write_summary(out, summary_rows([results[n] for n in order if n in results],
                                            keys), keys)
            if on_result is not None:
                on_result(results[result["name"]], done, total)
    finally:
        close = getattr(runs, "close", None)
        if close is not None:
            close()
    return [results[n] for n in order]


# -- what came out -----------------------------------------------------------------------------


def aggregate(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """Per grid point (the rows sharing the keys' values): the number of seeds and the
    mean, standard deviation (0 for one seed), smallest and largest test accuracy, and the
    mean final cost; in the rows' order."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    table = []
    for values, members in groups.items():
        acc = [r["test_accuracy"] for r in members if _number(r["test_accuracy"])]
        cost = [r["final_cost"] for r in members if _number(r["final_cost"])]
        table.append({**dict(zip(keys, values)), "runs": len(members),
                      "test_accuracy_mean": statistics.fmean(acc) if acc else None,
                      "test_accuracy_std": statistics.stdev(acc) if len(acc) > 1 else 0.0,
                      "test_accuracy_min": min(acc, default=None),
                      "test_accuracy_max": max(acc, default=None),
                      "final_cost_mean": statistics.fmean(cost) if cost else None})
    return table


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def accuracy_figure(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> Any:
    """Test accuracy against each grid key (one panel each): every seed's run as a dot, the
    mean over seeds as a line with the standard deviation as error bars, one line per
    combination of the other keys. With no grid key, the seeds' spread at the base config."""
    from matplotlib.figure import Figure
    panels = list(keys) or ["seed"]
    fig = Figure(figsize=(5.5 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels):
        others = [k for k in keys if k != key]
        xs = list(dict.fromkeys(str(r[key]) for r in rows))  # the grid's order
        lines: dict[tuple, list[dict[str, Any]]] = {}
        for row in rows:
            lines.setdefault(tuple(row[k] for k in others), []).append(row)
        for values, members in lines.items():
            label = ", ".join(f"{k} {v}" for k, v in zip(others, values)) or None
            means, stds = [], []
            for x in xs:
                acc = [r["test_accuracy"] for r in members
                       if str(r[key]) == x and _number(r["test_accuracy"])]
                means.append(statistics.fmean(acc) if acc else math.nan)
                stds.append(statistics.stdev(acc) if len(acc) > 1 else 0.0)
            if key != "seed":
                ax.errorbar(range(len(xs)), means, yerr=stds, capsize=4, marker="o",
                            label=label)
            dots = [(xs.index(str(r[key])), r["test_accuracy"]) for r in members
                    if _number(r["test_accuracy"])]
            if dots:
                ax.scatter(*zip(*dots), s=12, alpha=0.5, color="grey")
        ax.set_xticks(range(len(xs)), xs)
        ax.set_xlabel(key)
        ax.set_ylabel("test accuracy")
        ax.set_title(f"test accuracy by {key}" + (" (mean and std over seeds)"
                                                  if key != "seed" else ""))
        ax.grid(alpha=0.3)
        if others:
            ax.legend(fontsize=8)
    return fig


def format_table(table: Sequence[dict[str, Any]], keys: Sequence[str]) -> str:
    """``aggregate``'s table as text: one line per grid point."""
    head = [*keys, "runs", "test acc mean", "std", "min", "max", "final cost"]
    lines = []
    for point in table:
        def pct(v: Any) -> str:
            return "-" if v is None else f"{v:.2%}"
        cost = point["final_cost_mean"]
        lines.append([*(str(point[k]) for k in keys), str(point["runs"]),
                      pct(point["test_accuracy_mean"]), pct(point["test_accuracy_std"]),
                      pct(point["test_accuracy_min"]), pct(point["test_accuracy_max"]),
                      "-" if cost is None else f"{cost:.5f}"])
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(out)
