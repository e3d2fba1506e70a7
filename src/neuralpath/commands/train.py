"""``neuralpath train``: train a network from a preset and any settings, and save the run.

Every setting of ``TrainConfig`` is an option (``--learning-rate`` for ``learning_rate``),
made from the dataclass's fields and help texts, so the command line, presets and saved models
can never disagree about what a setting is called or means. The options start from the preset
(``--preset``, or the data set's own); ``TrainConfig`` validates the result once.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import tempfile
from typing import IO, Any

from ..config import TrainConfig
from ..data import get_dataset
from ..errors import TrainingDiverged, UsageError
from ..persist import HeldSignals
from ..presets import PRESETS, resolve
from .common import TqdmProgress, format_confusion, int_list

HELP = "train a network and save it"

# how a setting's text becomes a value, by the field's type; TrainConfig checks the range
_TYPES: dict[str, Any] = {"int": int, "int | None": int, "list[int]": int_list}


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def option(name: str) -> str:
    """The command-line option of setting ``name``: ``learning_rate`` -> ``--learning-rate``."""
    return "--" + name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per ``TrainConfig`` setting, plus where the run goes and how it reports."""
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="the settings to start from (default: tutorial; mnist with "
                             "--dataset mnist)")
    length = parser.add_mutually_exclusive_group()
    defaults = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        help_text = f"{f.metadata['help']} (tutorial preset: {getattr(defaults, f.name)})"
        target = length if f.name in ("iterations", "epochs") else parser
        if f.type == "bool":
            target.add_argument(option(f.name), action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        elif "choices" in f.metadata:
            target.add_argument(option(f.name), choices=f.metadata["choices"],
                                help=help_text)
        else:
            target.add_argument(option(f.name), type=_TYPES.get(str(f.type), _finite_float),
                                help=help_text)
    parser.add_argument("--data-dir", help="folder with the data set's files (mnist)")
    parser.add_argument("--out", help="model file (default runs/<timestamp>/model.npz)")
    parser.add_argument("--plot", help="cost-curve PNG (default beside the model in runs/)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing --out or --plot file")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> tuple[str, TrainConfig]:
    """The preset's name and the ``TrainConfig`` the options ask for; ``UsageError`` naming
    the option (not the setting) when a value is refused."""
    preset = args.preset or (get_dataset(args.dataset).default_preset if args.dataset
                             else "tutorial")
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}
    try:
        return preset, resolve(preset, **changes)
    except ValueError as exc:  # TrainConfig names the setting: name the option instead
        message = re.sub(r"^(\w+)", lambda m: option(m.group(1)), str(exc))
        raise UsageError(f"neuralpath train: {message}") from None


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Train, save the model (and the cost curve), print what it learned.

    From the first training step until the model is saved, SIGINT and SIGTERM never lose the
    run: training stops after a complete step (at once on a second signal), the weights are
    saved, and the exit code is 130."""
    held = HoldSignalsFromTraining()
    try:
        return _train(args, out, err, held)
    except KeyboardInterrupt:  # only before training began: later signals are held
        print("neuralpath: interrupted before training began; no model was written", file=err)
        return 130
    finally:
        held.stop()


def _train(args: argparse.Namespace, out: IO[str], err: IO[str],
           held: HoldSignalsFromTraining) -> int:
    from ..pipeline import train_config
    from ..plots import cost_curve, write_figure
    from ..runs import new_run_dir, save_run

    preset, cfg = config_from_args(args)
    check_destinations(args)
    run_dir = None if args.out else new_run_dir()
    tables = err if args.json else out
    title = f"{preset} preset, seed {cfg.seed}"
    try:
        model, history, metrics = train_config(
            cfg, [TqdmProgress(disable=args.no_progress), held], args.data_dir, preset=preset)
    except TrainingDiverged as exc:
        path = _save_model(exc.model, args.out, run_dir, None, title, err)
        print(f"neuralpath: training stopped: {exc}; those weights are saved in {path}",
              file=err)
        return 130 if held.received else 1
    latest: str | None = None
    plot_path: str | None = None
    if run_dir:
        paths = save_run(model, run_dir, history, title)
        model_path, plot_path, latest = paths["model"], paths["cost"], paths["latest"]
    else:
        model_path = _save_model(model, args.out, None, history, title, err)
        plot_path = _write_plot(cost_curve(history, title), args.plot, write_figure, err)
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
    print(f"model written to {model_path}" + (f" (also {latest}/)" if latest else ""),
          file=tables)
    if plot_path:
        print(f"cost curve written to {plot_path}", file=tables)
    if history.stopped == "interrupted":
        print(f"neuralpath: training interrupted at iteration {history.iterations}; the "
              f"weights reached so far are saved in {model_path}", file=err)
    elif held.received:
        print(f"neuralpath: interrupted after training ended; the model is saved in "
              f"{model_path}", file=err)
    if args.json:
        result = dict(preset=preset, layer_sizes=model.network.layer_sizes, seed=cfg.seed,
                      iterations=history.iterations, epochs=history.epochs,
                      train_accuracy=metrics["train_accuracy"],
                      test_accuracy=metrics["test_accuracy"], final_cost=metrics["final_cost"],
                      train_seconds=history.seconds, model_path=model_path, plot_path=plot_path,
                      stopped=history.stopped)
        print(json.dumps(result), file=out)
    if history.stopped == "interrupted" or held.received:
        return 130
    failed = (args.out and model_path != args.out) or (args.plot and args.out and not plot_path)
    return 1 if failed else 0


# --- destinations and signals (issue 14) -------------------------------------------------------

def check_destinations(args: argparse.Namespace) -> None:
    """Before training: ``--out`` and ``--plot`` can be written, and are not existing files
    unless ``--force`` (``UsageError`` naming the option and the path)."""
    for name, path in (("--out", args.out), ("--plot", args.plot)):
        if path:
            _check_destination(name, path, args.force)
    if args.out and args.plot and os.path.abspath(args.out) == os.path.abspath(args.plot):
        raise UsageError(f"neuralpath train: --out and --plot are the same file: {args.out}")


def _check_destination(name: str, path: str, force: bool) -> None:
    if os.path.isdir(path):
        raise UsageError(f"neuralpath train: {name} {path} is a folder; give a file name "
                         "inside it")
    if os.path.lexists(path) and not force:
        raise UsageError(f"neuralpath train: {name} {path} exists; give --force to "
                         "overwrite it")
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder
    while not os.path.exists(existing):  # the folder is made on saving: probe its parent
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"neuralpath train: {name} {path} cannot be written: {existing} is "
                         "not a folder")
    with HeldSignals():  # the probe file never outlives this block
        try:
            fd, probe = tempfile.mkstemp(prefix=".probe-", dir=existing)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UsageError(f"neuralpath train: {name} {path} cannot be written: "
                             f"{exc.strerror or exc}") from None


def _save_model(model: Any, out: str | None, run_dir: str | None, history: Any, title: str,
                err: IO[str]) -> str:
    """Save to ``out`` (or the run folder); if writing ``out`` fails after all, save the
    weights in a new run folder instead and say so. Returns where the model is."""
    from ..runs import new_run_dir, save_run
    if out is None:
        return save_run(model, run_dir or new_run_dir(), history, title)["model"]
    try:
        return str(model.save(out))
    except OSError as exc:
        path = save_run(model, new_run_dir(), history, title)["model"]
        print(f"neuralpath: {exc}; the model is saved in {path} instead", file=err)
        return path


def _write_plot(figure: Any, path: str | None, write: Any, err: IO[str]) -> str | None:
    """Write the cost curve to ``path`` if asked; a failure is reported, the run goes on."""
    if not path:
        return None
    try:
        return str(write(figure, path))
    except OSError as exc:
        print(f"neuralpath: {exc}; no cost curve was written", file=err)
        return None


class HoldSignalsFromTraining(HeldSignals):
    """A training callback: from the first step on, SIGINT and SIGTERM are recorded rather
    than raised (training itself stops on them after a complete step), so that no signal
    between the last step and the saved file loses the run. ``stop()`` ends it."""

    def __init__(self) -> None:
        super().__init__(redeliver=False)
        self.active = False

    def on_train_begin(self, total: int) -> None:
        """Start holding signals (training's own handler takes them while it runs)."""
        self.__enter__()
        self.active = True

    def stop(self) -> None:
        """Put the previous handlers back (the received signals stay in ``received``)."""
        if self.active:
            self.active = False
            self.__exit__(None, None, None)

