"""``neuralpath sweep``: train a grid of settings crossed with seeds, and compare them.

Every option of ``train`` sets the base of the sweep (the options are train's own,
``train.add_arguments``); ``--grid KEY=V1,V2`` varies any setting, ``--seeds 0-9`` repeats
each point over seeds. Each run is an ordinary run folder under ``--out``; the sweep writes
``summary.csv`` and ``test_accuracy.png`` there and prints the mean and spread per point.
The runs go side by side on this machine's cores, or to a Dask cluster (``--scheduler``).
See ``neuralpath.sweep``.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import os
from typing import IO, Any

from ..config import TrainConfig
from ..errors import UsageError
from .common import positive_int

HELP = "train a grid of settings x seeds, locally or on a Dask cluster, and compare them"
EPILOG = """examples:
  neuralpath sweep --preset tutorial --iterations 300 --seeds 0-3 --grid learning_rate=0.1,0.25
  neuralpath sweep --grid layer_sizes=64,30,10:64,100,10 --grid l2=0,0.001 --seeds 0-9
  neuralpath sweep --config runs/latest/config.json --grid batch_size=none,32 --seeds 0-4
  neuralpath sweep --preset best --seeds 0-4 --scheduler tcp://10.0.0.5:8786 --out sweeps/best

--grid KEY=V1,V2,... takes any setting of neuralpath presets (give --grid once per key; the
points are every combination); layer_sizes values are separated by ':' (64,30,10:64,100,10),
batch_size=none is the full batch. Every train option sets the base the grid starts from.

The sweep folder (--out, default sweeps/<timestamp>) gets runs/<point>/ (a run folder as
neuralpath train writes, plus result.json), summary.csv (one row per run) and
test_accuracy.png. Run the same command again and it skips the runs already finished.
Locally the runs go side by side, one per core (--jobs), one BLAS thread each. With
--scheduler tcp://HOST:PORT they run on a Dask cluster (dask scheduler / dask worker,
dask-jobqueue, the Dask Kubernetes operator; pip install 'neuralpath[dask]' and neuralpath on
the workers); the files come back here, so the workers need no shared disk.
"""

# train's options that mean nothing for a sweep (it writes a run folder per point): removed
NOT_FOR_SWEEPS = ("plot", "force", "checkpoint_every", "resume")
_BOOLEANS = {"true": True, "on": True, "yes": True, "1": True,
             "false": False, "off": False, "no": False, "0": False}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """train's options (the base of the sweep), then the grid, the seeds and where it runs."""
    from . import train
    train.add_arguments(parser)
    parser.epilog = EPILOG
    for action in list(parser._actions):  # argparse has no public way to change an option
        if action.dest in NOT_FOR_SWEEPS:  # removed the way argparse's conflict_handler does
            parser._handle_conflict_resolve(action, [(o, action) for o in action.option_strings])
        elif action.dest == "out":  # the sweep's folder here, not a model file
            action.metavar = "DIR"
            action.help = ("the sweep's folder (default: sweeps/<timestamp>); give the same "
                           "folder again to go on with an interrupted sweep")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                        help="a setting and its values to try (any TrainConfig setting, as "
                             "neuralpath presets names them); once per key; layer_sizes "
                             "values separated by ':'")
    parser.add_argument("--seeds", metavar="SEEDS",
                        help="the seeds of every point: ranges and lists like 0-9 or 0,3,7 "
                             "(default: --seed, or the base config's seed)")
    parser.add_argument("--jobs", "-j", type=positive_int, metavar="N",
                        help="runs side by side on this machine (default: one per core)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run on the Dask cluster of this scheduler instead (needs "
                             "pip install 'neuralpath[dask]')")


def parse_value(key: str, text: str) -> Any:
    """One grid value of setting ``key`` from its text, by the setting's type."""
    from .train import setting_type
    f = {f.name: f for f in dataclasses.fields(TrainConfig)}[key]
    kind = str(f.type)
    if kind == "bool":
        if text.lower() not in _BOOLEANS:
            raise ValueError(f"expected true or false, got {text!r}")
        return _BOOLEANS[text.lower()]
    if "choices" in f.metadata:
        return text
    if key == "batch_size" and text.lower() in ("none", "all"):
        return None  # every sample in one batch: the tutorial's full batch
    convert = setting_type(f)
    try:
        return convert(text)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise ValueError(str(exc) or f"expected a number, got {text!r}") from None


def parse_grid(specs: list[str]) -> dict[str, list[Any]]:
    """``["learning_rate=0.1,0.25", "layer_sizes=64,30,10:64,100,10"]`` -> the grid;
    ``UsageError`` naming the --grid that is wrong and why."""
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        key, eq, values = spec.partition("=")
        key = key.strip().replace("-", "_")
        where = f"neuralpath sweep: --grid {spec}"
        if not eq or not values:
            raise UsageError(f"{where}: expected KEY=V1,V2,... like learning_rate=0.1,0.25")
        if key == "seed":
            raise UsageError(f"{where}: the seeds are given with --seeds (like --seeds 0-9)")
        if key not in names:
            raise UsageError(f"{where}: {key!r} is not a setting; the settings: "
                             f"{', '.join(names)}")
        if key in grid:
            raise UsageError(f"{where}: {key} is in the grid twice; give all its values in "
                             "one --grid")
        sep = ":" if str(dataclasses.fields(TrainConfig)[names.index(key)].type) == \
            "list[int]" else ","
        try:
            grid[key] = [parse_value(key, v.strip()) for v in values.split(sep)]
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from None
        if len(set(map(str, grid[key]))) < len(grid[key]):
            raise UsageError(f"{where}: a value is given twice")
    return grid


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Check the options, run the points not finished yet, write and print the summary."""
    from .. import sweep
    from .config_file import config_with_file
    from .train import config_from_args, where_reports_go
    try:
        preset, base = config_with_file(args, "sweep") or config_from_args(args)
    except UsageError as exc:  # train's words: say it as the sweep
        raise UsageError(str(exc).replace("neuralpath train:", "neuralpath sweep:", 1)) from None
    grid = parse_grid(args.grid)
    if args.seeds is not None and args.seed is not None:
        raise UsageError("neuralpath sweep: give --seed (one seed) or --seeds (several), not "
                         "both")
    try:
        seeds = sweep.parse_seeds(args.seeds) if args.seeds is not None else [base.seed]
        points = sweep.make_points(base, grid, seeds)
    except ValueError as exc:
        name = "--seeds" if "seeds" in str(exc) else "--grid"
        raise UsageError(f"neuralpath sweep: {name}: {exc}") from None
    if args.tensorboard:
        from ..tensorboard import check_available
        try:
            check_available()
        except ImportError as exc:
            raise UsageError(f"neuralpath sweep: {exc}") from None
    if args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UsageError(f"neuralpath sweep: {sweep.DASK_MISSING}") from None
        execute: Any = functools.partial(sweep.run_dask, address=args.scheduler)
        where = f"the Dask cluster at {args.scheduler}"
    else:
        execute = functools.partial(sweep.run_local, jobs=args.jobs)
        jobs = min(args.jobs or os.cpu_count() or 1, len(points))
        where = f"this machine, {jobs} side by side"
    folder = args.out or os.path.join("sweeps",
                                      datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"neuralpath sweep: --out {folder} is a file; give a folder")
    tables, show = where_reports_go(args, out, err)
    keys = list(grid)
    before = sweep.finished_before(folder, points)
    sweep.write_description(folder, base, grid, seeds, preset)
    print(f"sweep of {len(points)} runs ({len(points) // len(seeds)} settings x "
          f"{len(seeds)} seeds) in {folder}/: {len(before)} finished before, "
          f"{len(points) - len(before)} to run on {where}", file=tables)

    from tqdm import tqdm
    bar = tqdm(total=len(points), initial=len(before), unit="run", file=err,
               disable=not show, dynamic_ncols=True)

    def report(result: dict[str, Any], done: int, total: int) -> None:
        bar.update(1)
        if args.verbose:
            row, worker = result["row"], result["worker"]
            acc = row["test_accuracy"]
            bar.write(f"{result['name']}: test accuracy "
                      f"{'-' if acc is None else format(acc, '.2%')} ({row['stopped']}; "
                      f"{worker.get('dask_worker') or worker['host']} pid {worker['pid']})",
                      file=err)

    tasks = functools.partial(_tasks, preset=preset, data_dir=args.data_dir,
                              tensorboard=bool(args.tensorboard))
    try:
        results = sweep.run_sweep(points, folder, tasks, execute, args.tensorboard, report,
                                  before)
    except KeyboardInterrupt:
        bar.close()
        # the summary from the folders themselves: a run written just before the signal may
        # not have reached it yet
        finished = sweep.finished_before(folder, points)
        sweep.write_summary(folder, sweep.summary_rows(
            [finished[p.name] for p in points if p.name in finished], keys), keys)
        done = len(finished)
        print(f"neuralpath sweep: sweep interrupted: {done} of {len(points)} runs finished in "
              f"{folder}/ (summary.csv has them); run the same command with --out {folder} "
              "to go on", file=err)
        return 130
    bar.close()
    rows = sweep.summary_rows(results, keys)
    table = sweep.aggregate(rows, keys)
    from ..plots import write_figure
    plot = write_figure(sweep.accuracy_figure(rows, keys),
                        os.path.join(folder, "test_accuracy.png"))
    print(sweep.format_table(table, keys), file=tables)
    print(f"summary written to {os.path.join(folder, 'summary.csv')}; plot {plot}",
          file=tables)
    if args.json:
        print(json.dumps(dict(out=folder, summary=os.path.join(folder, "summary.csv"),
                              plot=plot, runs=rows, points=table)), file=out)
    diverged = [r["run_dir"] for r in rows if r["stopped"] == "diverged"]
    if diverged:
        print(f"neuralpath sweep: {len(diverged)} run(s) diverged (cost not finite): "
              f"{', '.join(diverged)}", file=err)
    return 0


def _tasks(points: list[Any], preset: str, data_dir: str | None,
           tensorboard: bool) -> list[dict[str, Any]]:
    from ..sweep import task_of
    return [task_of(p, preset, data_dir, tensorboard) for p in points]

