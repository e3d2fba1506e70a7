"""``neuralpath train``: train a network from a preset and any settings, and save the run.

Every setting of ``TrainConfig`` is an option (``--learning-rate`` for ``learning_rate``),
made from the dataclass's fields: the help text and the range come from each field's metadata
(its ``help`` and its ``check``), so the command line, presets and saved models can never
disagree about what a setting is called, means or takes. An option's text is only converted
here (to a number, an integer, a list); the options start from the preset (``--preset``, or
the data set's own) and ``TrainConfig`` checks the result, once. A refused value comes back as
a ``SettingError`` naming the setting, and is reported naming the option.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import tempfile
from typing import IO, Any

from ..checks import Flag
from ..config import TrainConfig
from ..data import get_dataset
from ..errors import TrainingDiverged, UsageError
from ..presets import PRESETS, resolve
from ..signals import HoldSignalsFromTraining
from .common import (
    TqdmProgress,
    check_destination,
    check_folder_writable,
    format_confusion,
    option,
    positive_int,
    refused,
)
from .config_file import add_config_options, config_with_file, tensorboard_callbacks

HELP = "train a network and save it"
EPILOG = """examples:
  neuralpath train                                  the tutorial's section 5, seed 0
  neuralpath train --preset best --seed 3           the most accurate preset on the digits
  neuralpath train --activation relu --learning-rate 0.05 --iterations 5000
  neuralpath train --preset mnist --data-dir ~/mnist --checkpoint-every 2
  neuralpath train --resume runs/latest             go on from the last checkpoint
  neuralpath train --json --quiet > result.json     one JSON object, nothing else

Options left out take the preset's values: neuralpath presets lists them all.
A run folder runs/<timestamp>/ gets model.npz, config.json, metrics.csv, cost.png,
confusion.png and errors.png; runs/latest points at the newest.
"""

# the tutorial's names for the values, where it has them (alpha, lambda, s_l, m)
METAVARS = {"learning_rate": "ALPHA", "l2": "LAMBDA", "layer_sizes": "S1,...,SNL",
            "iterations": "N", "epochs": "N", "batch_size": "M", "seed": "S",
            "momentum": "MU", "dropout": "P"}


def _int_list(text: str) -> list[int]:
    """``64,30,10`` -> [64, 30, 10]; how many and how large is TrainConfig's to check."""
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 64,30,10, "
                                         f"got {text!r}") from None


def _number(text: str) -> float:
    """``0.25`` -> 0.25; whether it is finite and in range is the setting's check."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


# how a setting's text becomes a value, by the field's type (no range here: the check's job);
# _number for every other setting. The sweep's --grid values are read the same way
SETTING_TYPES: dict[str, Any] = {"int": int, "int | None": int, "list[int]": _int_list}


def setting_type(f: dataclasses.Field) -> Any:
    """The function that reads setting ``f``'s value from its text."""
    return SETTING_TYPES.get(str(f.type), _number)


def setting_help(f: dataclasses.Field) -> str:
    """The --help line of setting ``f``: what it is and its range (both from the field's
    metadata) and its default, which is the preset's (the tutorial preset's value shown)."""
    value = getattr(TrainConfig(), f.name)
    if isinstance(value, list):
        shown = ",".join(map(str, value))
    elif isinstance(value, bool):
        shown = "on" if value else "off"
    else:
        shown = "none" if value is None else str(value)
    return (f"{f.metadata['help']}. Range: {f.metadata['check'].words}. Default: the preset's "
            f"(tutorial: {shown})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per ``TrainConfig`` setting, plus where the run goes and how it reports."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--preset", choices=sorted(PRESETS), metavar="NAME",
                        help="the settings to start from: " + ", ".join(PRESETS) + ". Every "
                             "preset's values: neuralpath presets. Default: tutorial (mnist "
                             "with --dataset mnist)")
    length = parser.add_mutually_exclusive_group()
    for f in dataclasses.fields(TrainConfig):
        help_text = setting_help(f)
        target = length if f.name in ("iterations", "epochs") else parser
        if isinstance(f.metadata["check"], Flag):
            target.add_argument(option(f.name), action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        elif "choices" in f.metadata:
            target.add_argument(option(f.name), choices=f.metadata["choices"],
                                metavar=f.name.upper(), help=help_text)
        else:
            target.add_argument(option(f.name), type=setting_type(f),
                                metavar=METAVARS.get(f.name, f.name.upper()), help=help_text)
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder with the data set's files (mnist; default: "
                             "$NEURALPATH_DATA or ~/.cache/neuralpath)")
    parser.add_argument("--out", metavar="MODEL.npz",
                        help="model file (default: runs/<timestamp>/model.npz, with the run's "
                             "whole record beside it)")
    parser.add_argument("--plot", metavar="PNG",
                        help="cost-curve PNG (default: cost.png in the run folder; with --out, "
                             "none unless given)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing --out or --plot file, if it is a regular "
                             "file (without it, an existing file is refused before training "
                             "starts); with --resume, continue a run that had finished")
    add_run_options(parser)
    add_config_options(parser)  # issue 25: --config FILE, --tensorboard DIR


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Checkpoints, resuming, and how much the command says."""
    parser.add_argument("--checkpoint-every", type=positive_int, metavar="N",
                        help="every N epochs (iterations, for full-batch runs) save the model "
                             "with the optimizer's and random generator's state into the run "
                             "folder as checkpoint.npz. Range: integer >= 1. Default: no "
                             "checkpoints")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue the run in RUN_DIR from its checkpoint.npz, with its "
                             "own settings, and save it there; ends with the same weights as "
                             "the run left uninterrupted")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout; tables go to stderr")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="draw a progress bar on stderr (default: only when stderr is a "
                             "terminal)")
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("--quiet", "-q", action="store_true",
                      help="print nothing but errors (and the --json object)")
    talk.add_argument("--verbose", "-v", action="store_true",
                      help="also print the settings that differ from the preset, and one "
                           "line per logged epoch on stderr")


def config_from_args(args: argparse.Namespace) -> tuple[str, TrainConfig]:
    """The preset's name and the ``TrainConfig`` the options ask for; ``UsageError`` naming
    the option (not the setting) when a value is refused."""
    preset = args.preset or (get_dataset(args.dataset).default_preset if args.dataset
                             else "tutorial")
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}
    try:
        return preset, resolve(preset, **changes)
    except ValueError as exc:  # TrainConfig names the setting: the user typed the option
        raise refused(exc, "train") from None


def resume_from(args: argparse.Namespace) -> tuple[str, TrainConfig, Any]:
    """``--resume RUN_DIR``: the preset name, config and ``TrainingState`` of its checkpoint.
    Settings cannot be changed on the way (the weights would no longer match a run)."""
    from ..runs import load_checkpoint
    given = [option(f.name) for f in dataclasses.fields(TrainConfig)
             if getattr(args, f.name) is not None]
    given += ["--preset"] * (args.preset is not None) + ["--out"] * (args.out is not None)
    if given:
        raise UsageError(f"neuralpath train: --resume continues the run with its own settings "
                         f"and saves it in RUN_DIR; got also {', '.join(given)}")
    model, state = load_checkpoint(args.resume)
    if model.config is None:
        raise UsageError(f"neuralpath train: --resume needs a checkpoint with its config, got "
                         f"none in {args.resume}")
    return str(model.metadata.get("preset") or "tutorial"), model.config, state


class EpochLines:
    """``--verbose``: one line per logged epoch on ``file`` (every epoch of a mini-batch run,
    every 10th iteration of a full-batch one, as metrics.csv)."""

    def __init__(self, every: int, file: IO[str]) -> None:
        self.every, self.file = every, file

    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None:
        """Print the epoch's cost, validation cost and learning rate."""
        if (epoch + 1) % self.every == 0:
            val = (f", validation cost {record['val_cost']:.5f}" if "val_cost" in record
                   else "")
            print(f"epoch {epoch + 1}: cost {record['train_cost']:.5f}{val}, learning rate "
                  f"{record['learning_rate']:.4g}", file=self.file, flush=True)


def where_reports_go(args: argparse.Namespace, out: IO[str], err: IO[str]
                     ) -> tuple[IO[str], bool]:
    """Where the tables go (stdout; stderr with --json; nowhere with --quiet) and whether a
    progress bar is shown (stderr is a terminal, or --progress / --no-progress says)."""
    tables: IO[str] = io.StringIO() if args.quiet else err if args.json else out
    show = args.progress if args.progress is not None else (
        not args.quiet and bool(getattr(err, "isatty", lambda: False)()))
    return tables, show


def reporting(args: argparse.Namespace, cfg: TrainConfig, out: IO[str], err: IO[str],
              done: int = 0) -> tuple[IO[str], list[Any]]:
    """Where the tables go (stdout; stderr with --json; nowhere with --quiet) and the
    callbacks: a progress bar when stderr is a terminal or --progress asks, epoch lines with
    --verbose. ``done``: the iterations a resumed run had already made."""
    tables, show = where_reports_go(args, out, err)
    callbacks: list[Any] = [TqdmProgress(disable=not show, file=err, initial=done)]
    if args.verbose:
        callbacks.append(EpochLines(10 if cfg.batch_size is None else 1, err))
    return tables, callbacks


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Train, save the run's record, print what it learned.

    From the first training step until the model is saved, SIGINT and SIGTERM never lose the
    run: training stops after a complete step (at once on a second signal), the weights are
    saved, and the exit code is 130."""
    held = HoldSignalsFromTraining()
    try:
        return _train(args, out, err, held)
    except KeyboardInterrupt:  # only before training began: later signals are held
        print("neuralpath train: interrupted before training began; no model was written", file=err)
        return 130
    finally:
        held.stop()


def _train(args: argparse.Namespace, out: IO[str], err: IO[str],
           held: HoldSignalsFromTraining) -> int:
    """The run: its settings, training through the pipeline, the files, the report."""
    from .. import pipeline
    from ..runs import new_run_dir

    resume = None
    if args.resume and not args.config:  # issue 25: config_with_file refuses both
        preset, cfg, resume = resume_from(args)
    else:
        preset, cfg = config_with_file(args) or config_from_args(args)  # issue 25: --config
    check_destinations(args)
    run_dir = resolved_run_dir(args.resume) if args.resume else (
        None if args.out else new_run_dir())
    if run_dir is not None:
        check_run_folder(run_dir)
    if args.resume and run_dir is not None:
        check_not_finished(run_dir, args.force)
    tables, callbacks = reporting(args, cfg, out, err,
                                  resume.history.iterations if resume else 0)
    callbacks += tensorboard_callbacks(args, run_dir)  # issue 25: --tensorboard DIR
    callbacks.insert(0, held)  # first: signals are held before the progress bar is drawn
    if args.verbose:
        changed = cfg.differences(PRESETS[preset]) if preset in PRESETS else {}
        print(describe_differences(preset, changed), file=tables)
    title = f"{preset} preset, seed {cfg.seed}"
    options = _train_options(args, run_dir, resume)
    try:
        model, history, metrics = pipeline.train_config(
            cfg, callbacks, args.data_dir, preset=preset, run_dir=run_dir, title=title,
            **options)
    except TrainingDiverged as exc:
        return _report_divergence(exc, args, run_dir, title, err, held)
    saved = _save_files(model, history, metrics, args, run_dir, title, err)
    if saved.get("rescued"):
        run_dir = None  # not written: the model is in the file _rescue named
    _print_report(preset, cfg, model, history, metrics, saved, run_dir, tables)
    _print_ending(history, saved["model"], args, run_dir, held, err)
    if args.json:
        print(json.dumps(_json_result(preset, cfg, model, history, metrics, saved, run_dir)),
              file=out)
    return _exit_code(args, history, saved, held)


def _train_options(args: argparse.Namespace, run_dir: str | None, resume: Any) -> dict[str, Any]:
    """What ``pipeline.fit`` is given besides the callbacks: the state to resume from and
    the checkpoints (saved into the run folder, which ``--out`` replaces)."""
    from ..runs import save_checkpoint
    options: dict[str, Any] = {"resume": resume}
    if args.checkpoint_every:
        if run_dir is None:
            raise UsageError("neuralpath train: --checkpoint-every saves into the run folder, "
                             "which --out replaces; drop --out (the run goes to runs/)")
        folder = run_dir
        options.update(checkpoint=lambda model, state: save_checkpoint(model, state, folder),
                       checkpoint_every=args.checkpoint_every)
    return options


def _report_divergence(exc: TrainingDiverged, args: argparse.Namespace, run_dir: str | None,
                       title: str, err: IO[str], held: HoldSignalsFromTraining) -> int:
    """Training diverged: the last finite weights are kept (the run folder the pipeline wrote,
    or ``--out``), and the error says where."""
    paths = (exc.metrics or {}).get("paths")
    if paths is not None:
        path = paths["model"]
    else:
        path = _save_model(exc.model, args.out, run_dir, exc.history, title, err,
                           args.data_dir)
    print(f"neuralpath train: training stopped: {exc}; those weights are saved in {path}", file=err)
    return 130 if held.received else 1


def _save_files(model: Any, history: Any, metrics: dict[str, Any], args: argparse.Namespace,
                run_dir: str | None, title: str, err: IO[str]) -> dict[str, str | None]:
    """Where the model, the cost curve and ``latest`` are: the run folder the pipeline wrote
    (plus a copy of the cost curve at ``--plot``), or ``--out`` and ``--plot``."""
    from ..plots import cost_curve, write_figure
    if run_dir is None:
        return dict(model=_save_model(model, args.out, None, history, title, err,
                                            args.data_dir),
                    plot=_write_plot(cost_curve(history, title), args.plot, write_figure, err),
                    latest=None)
    if "save_error" in metrics:  # e.g. a full disk: the weights go where they can
        return dict(model=_rescue(model, metrics["save_error"], err), plot=None, latest=None,
                    rescued="yes")
    paths = metrics["paths"]
    latest: str | None = paths["latest"]
    if latest is None or os.path.abspath(latest) == os.path.abspath(run_dir):
        latest = None  # resumed in runs/latest, or the link could not be made
    plot: str | None = paths["cost"]
    if args.plot:  # a copy of the cost curve where the user asked, too
        plot = _write_plot(cost_curve(history, title), args.plot, write_figure, err)
    return dict(model=paths["model"], plot=plot, latest=latest)


def _print_report(preset: str, cfg: TrainConfig, model: Any, history: Any,
                  metrics: dict[str, Any], saved: dict[str, str | None], run_dir: str | None,
                  tables: IO[str]) -> None:
    """What the run learned (cost, accuracies, confusion matrix, per-class scores) and where
    its files are, on ``tables``."""
    labels = [str(c) for c in model.classes]
    print(f"preset {preset}: layer sizes {model.network.layer_sizes}, seed {cfg.seed}, "
          f"{history.iterations} iterations ({history.epochs} epochs) in "
          f"{history.seconds:.1f} s", file=tables)
    cost = metrics["final_cost"]  # None when stopped before the first step
    print(f"final cost J {'-' if cost is None else format(cost, '.5f')}; train accuracy "
          f"{metrics['train_accuracy']:.2%}; test accuracy {metrics['test_accuracy']:.2%} "
          f"on {metrics['n_test']} test images", file=tables)
    print("\nconfusion matrix (rows: true digit, columns: predicted)", file=tables)
    print(format_confusion(metrics["confusion_matrix"], labels), file=tables)
    print("\nper-digit precision, recall and F1", file=tables)
    print(metrics["report"], file=tables)
    if run_dir:
        latest = saved["latest"]
        print(f"run written to {run_dir}/: model.npz, config.json, metrics.csv, cost.png, "
              "confusion.png, errors.png" + (f" (also {latest}/)" if latest else ""),
              file=tables)
    print(f"model written to {saved['model']}", file=tables)
    if saved["plot"]:
        print(f"cost curve written to {saved['plot']}", file=tables)


def _print_ending(history: Any, model_path: str | None, args: argparse.Namespace,
                  run_dir: str | None, held: HoldSignalsFromTraining, err: IO[str]) -> None:
    """On stderr: how an interrupted run ended, and how to go on from its checkpoint."""
    if history.stopped == "interrupted":
        print(f"neuralpath train: training interrupted at iteration {history.iterations}; the "
              f"weights reached so far are saved in {model_path}", file=err)
        if args.checkpoint_every and run_dir:
            print(f"neuralpath train: continue from the last checkpoint with: neuralpath train "
                  f"--resume {run_dir}", file=err)
    elif held.received:
        print(f"neuralpath train: interrupted after training ended; the model is saved in "
              f"{model_path}", file=err)


def _json_result(preset: str, cfg: TrainConfig, model: Any, history: Any,
                 metrics: dict[str, Any], saved: dict[str, str | None],
                 run_dir: str | None) -> dict[str, Any]:
    """The ``--json`` object (the contract in DESIGN.md, plus where the files went)."""
    return dict(preset=preset, layer_sizes=model.network.layer_sizes, seed=cfg.seed,
                iterations=history.iterations, epochs=history.epochs,
                train_accuracy=metrics["train_accuracy"],
                test_accuracy=metrics["test_accuracy"], final_cost=metrics["final_cost"],
                train_seconds=history.seconds, model_path=saved["model"],
                plot_path=saved["plot"], run_dir=run_dir, stopped=history.stopped)


def _exit_code(args: argparse.Namespace, history: Any, saved: dict[str, str | None],
               held: HoldSignalsFromTraining) -> int:
    """130 when interrupted; 1 when ``--out``, ``--plot`` or the run folder could not be
    written where asked."""
    if history.stopped == "interrupted" or held.received:
        return 130
    failed = (args.out and saved["model"] != args.out) or (
        args.plot and args.out and not saved["plot"]) or saved.get("rescued")
    return 1 if failed else 0


# --- destinations and signals (issue 14) -------------------------------------------------------

def check_destinations(args: argparse.Namespace) -> None:
    """Before training: ``--out`` and ``--plot`` can be written as regular files, and are not
    existing files unless ``--force`` (``UsageError`` naming the option and the path)."""
    for name, path in (("--out", args.out), ("--plot", args.plot)):
        if path:
            check_destination(name, path, args.force)
    if args.out and args.plot and os.path.abspath(args.out) == os.path.abspath(args.plot):
        raise UsageError(f"--out and --plot are the same file: {args.out}")


def check_run_folder(run_dir: str) -> None:
    """Before training: the run folder can be made (a new run) or rewritten (``--resume``),
    and ``latest`` beside it updated; ``UsageError`` naming the folder otherwise."""
    parent = os.path.dirname(os.path.abspath(run_dir))
    check_folder_writable("the run folder", run_dir, parent,
                          [os.path.basename(os.path.normpath(run_dir))])
    if os.path.isdir(run_dir):  # --resume: the folder's own files are replaced
        check_folder_writable("the run folder", run_dir, os.path.abspath(run_dir), [])


def check_not_finished(run_dir: str, force: bool) -> None:
    """``--resume`` of a run that ran to its end would train its last part again and rewrite
    its folder: refused unless ``--force``."""
    from ..persist import read_model_file
    path = os.path.join(run_dir, "model.npz")
    if force or not os.path.exists(path):
        return  # no model yet: the run was killed before it ended
    try:
        stopped = read_model_file(path)[3].get("stopped")
    except (OSError, ValueError):
        return  # a broken model file: the checkpoint is what resuming reads
    if stopped != "interrupted":
        raise UsageError(f"--resume {run_dir}: that run finished (its model.npz is complete); "
                         "resuming would train again and rewrite its folder. Give --force to "
                         "do so")


def resolved_run_dir(path: str) -> str:
    """The folder ``path`` is (``runs/latest`` is a link that later points elsewhere):
    absolute when ``path`` is, else relative when it lies under the current folder."""
    real = os.path.realpath(path)
    if os.path.isabs(path):
        return real
    relative = os.path.relpath(real)
    return real if relative.startswith(os.pardir) else relative


def _save_model(model: Any, out: str | None, run_dir: str | None, history: Any, title: str,
                err: IO[str], data_dir: str | None = None) -> str:
    """Save to ``out`` (or the run folder); if writing ``out`` fails after all, save the
    run in a new run folder instead (the whole record, as any run), and if that fails too, in
    a temporary file (``_rescue``); say so. Returns where the model is."""
    from ..pipeline import test_part
    from ..runs import new_run_dir, save_run
    reason = None
    if out is not None:
        try:
            return str(model.save(out))
        except OSError as exc:
            reason = str(exc)
    folder = run_dir if out is None and run_dir else new_run_dir()
    try:
        path = save_run(model, folder, history, title, test_part(model, data_dir))["model"]
    except OSError as exc:
        return _rescue(model, f"{reason}; {exc}" if reason else str(exc), err)
    if reason:
        print(f"neuralpath train: {reason}; the model is saved in {path} instead", file=err)
    return path


def _rescue(model: Any, reason: str, err: IO[str]) -> str:
    """The run could not be saved where it should (``reason``): save the model in a new file
    in the temporary folder and say where; ``OSError`` if even that fails."""
    fd, path = tempfile.mkstemp(prefix="neuralpath-model-", suffix=".npz")
    os.close(fd)
    try:
        model.save(path)
    except OSError as exc:
        os.unlink(path)
        raise OSError(f"{reason}; the model could not be saved in {path} either: {exc}") \
            from None
    print(f"neuralpath train: {reason}; the model is saved in {path} instead", file=err)
    return path


def _write_plot(figure: Any, path: str | None, write: Any, err: IO[str]) -> str | None:
    """Write the cost curve to ``path`` if asked; a failure is reported, the run goes on."""
    if not path:
        return None
    try:
        return str(write(figure, path))
    except OSError as exc:
        print(f"neuralpath train: {exc}; no cost curve was written", file=err)
        return None


def describe_differences(preset: str, changed: dict[str, tuple[Any, Any]]) -> str:
    """One line: the settings that differ from preset ``preset``, with the preset's values."""
    if not changed:
        return f"settings: those of the {preset} preset"
    parts = [f"{key} {mine} (preset: {theirs})" for key, (mine, theirs) in changed.items()]
    return f"settings that differ from the {preset} preset: " + ", ".join(parts)
