"""The command line: ``neuralpath train|evaluate|predict|tutorial|bench|serve|data``.

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 anything else,
130 training interrupted by Ctrl-C (the weights reached so far are saved).
Only this module prints. With ``train --json`` stdout is one JSON object and everything
else (progress, tables) goes to stderr.

Subcommands other than train/evaluate/predict live in their own modules, each with
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; they are imported only when
the parser is built, and must import heavy libraries (FastAPI, torch) inside ``run``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys

import numpy as np

from . import __version__

PLUGINS = {  # subcommand -> module
    "tutorial": "neuralpath.tutorial.walkthrough",
    "bench": "neuralpath.bench",
    "serve": "neuralpath.web.command",
    "data": "neuralpath.mnist",
}


class UsageError(ValueError):
    """Bad input from the command line: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def number_type(convert, accept, expected):
    """An argparse ``type``: ``convert`` the text, then refuse what ``accept`` rejects."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


positive_int = number_type(int, lambda v: v >= 1, "a positive integer")
nonneg_int = number_type(int, lambda v: v >= 0, "a non-negative integer")
positive_float = number_type(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
nonneg_float = number_type(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")


def _layer_sizes(text):
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 64,30,10, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected two or more positive integers like 64,30,10, got {text!r}")
    return sizes


def _add_train(sub):
    from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
    from .costs import COSTS
    from .optimizers import OPTIMIZERS, SCHEDULES
    from .presets import PRESETS
    p = sub.add_parser("train", help="train a network and save it")
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="default: tutorial (mnist with --dataset mnist)")
    p.add_argument("--layer-sizes", type=_layer_sizes, help="e.g. 64,30,10")
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS)
    p.add_argument("--output-activation", choices=OUTPUT_ACTIVATIONS)
    p.add_argument("--cost", choices=sorted(COSTS))
    p.add_argument("--initializer", choices=["tutorial", "xavier", "he"])
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS))
    p.add_argument("--learning-rate", type=positive_float)
    p.add_argument("--schedule", choices=sorted(SCHEDULES))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--iterations", type=positive_int)
    group.add_argument("--epochs", type=positive_int)
    p.add_argument("--batch-size", type=positive_int)
    p.add_argument("--l2", type=nonneg_float)
    p.add_argument("--dropout", type=nonneg_float)
    p.add_argument("--early-stopping", action="store_true", default=None,
                   help="stop when the validation cost stops improving; keep the best epoch")
    p.add_argument("--patience", type=positive_int,
                   help="epochs without improvement before early stopping (default 10)")
    p.add_argument("--validation-fraction", type=positive_float,
                   help="share of the training part held out for validation (default 0.1)")
    p.add_argument("--augment", action="store_true", default=None,
                   help="add each training image shifted by one pixel in each direction")
    p.add_argument("--dtype", choices=["float64", "float32"])
    p.add_argument("--seed", type=int, default=0, help="split and initial weights (default 0)")
    p.add_argument("--dataset", choices=["digits", "mnist"])
    p.add_argument("--data-dir", help="folder with the MNIST IDX files")
    p.add_argument("--out", help="model file (default runs/<timestamp>/model.npz)")
    p.add_argument("--plot", help="cost-curve PNG (default beside the model in runs/)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_evaluate_predict(sub):
    p = sub.add_parser("evaluate", help="accuracy and confusion matrix of a saved model")
    p.add_argument("model")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (for an MNIST model)")
    p = sub.add_parser("predict", help="the digit a saved model sees in images or data rows")
    p.add_argument("model")
    p.add_argument("--index", type=int, action="append",
                   help="row of the model's data set (repeatable)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (for an MNIST model)")
    p.add_argument("images", nargs="*", help="PNG or JPEG files")
    p.add_argument("--json", action="store_true")


def build_parser():
    parser = _Parser(prog="neuralpath", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"neuralpath {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(sub)
    _add_evaluate_predict(sub)
    for name, module_name in PLUGINS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # that part of neuralpath is not installed
        module.add_arguments(sub.add_parser(name, help=module.HELP))
    return parser


class TqdmProgress:
    """A training callback: a tqdm bar over the iterations showing the cost, on stderr."""

    def __init__(self, disable=False):
        self.disable = disable

    def on_train_begin(self, total):
        from tqdm import tqdm
        self.bar = tqdm(total=total, unit="it", file=sys.stderr, disable=self.disable,
                        dynamic_ncols=True, mininterval=0.2)

    def on_iteration(self, iteration, cost):
        self.bar.update(1)
        if iteration % 50 == 0:
            self.bar.set_postfix(cost=f"{cost:.5f}", refresh=False)

    def on_train_end(self, history):
        self.bar.close()


def _format_confusion(matrix, labels):
    width = max(4, max(len(str(v)) for v in matrix.ravel()) + 1)
    head = "true\\pred".ljust(10) + "".join(str(c).rjust(width) for c in labels)
    rows = [str(c).ljust(10) + "".join(str(v).rjust(width) for v in row)
            for c, row in zip(labels, matrix)]
    return "\n".join([head] + rows)


def cmd_train(args, out, err):
    from .persist import link_latest, new_run_dir
    from .pipeline import train_preset
    from .training import TrainingDiverged
    overrides = dict(layer_sizes=args.layer_sizes, activation=args.activation,
                     output_activation=args.output_activation, cost=args.cost,
                     initializer=args.initializer, optimizer=args.optimizer,
                     learning_rate=args.learning_rate, schedule=args.schedule,
                     iterations=args.iterations, epochs=args.epochs,
                     batch_size=args.batch_size, l2=args.l2, dropout=args.dropout,
                     early_stopping=args.early_stopping, patience=args.patience,
                     validation_fraction=args.validation_fraction, augment=args.augment,
                     dtype=args.dtype, dataset=args.dataset)
    if args.dropout is not None and args.dropout >= 1:
        raise UsageError(f"--dropout must be below 1, got {args.dropout}")
    if args.validation_fraction is not None and not args.validation_fraction < 1:
        raise UsageError(f"--validation-fraction must be below 1, got {args.validation_fraction}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.preset is None:  # the dataset's own preset unless one was asked for
        args.preset = "mnist" if args.dataset == "mnist" else "tutorial"
    run_dir = None if args.out else new_run_dir()
    model_path = args.out or os.path.join(run_dir, "model.npz")
    plot_path = args.plot or (os.path.join(run_dir, "cost.png") if run_dir else None)
    tables = err if args.json else out
    progress = TqdmProgress(disable=args.no_progress)
    try:
        model, history, metrics = train_preset(args.preset, seed=args.seed, callbacks=[progress],
                                               data_dir=args.data_dir, **overrides)
    except TrainingDiverged as exc:
        exc.model.save(model_path)
        print(f"neuralpath: training stopped: {exc}; those weights are saved in {model_path}",
              file=err)
        return 1
    stopped = history.stopped
    model.save(model_path)
    if plot_path:
        from .plots import cost_curve
        cost_curve(history, plot_path, title=f"{args.preset} preset, seed {args.seed}")
    latest = link_latest(run_dir) if run_dir else None
    labels = [str(c) for c in model.classes]
    print(f"preset {args.preset}: layer sizes {model.network.layer_sizes}, seed {args.seed}, "
          f"{history.iterations} iterations ({history.epochs} epochs) in "
          f"{history.seconds:.1f} s", file=tables)
    print(f"final cost J {metrics['final_cost']:.5f}; train accuracy "
          f"{metrics['train_accuracy']:.2%}; test accuracy {metrics['test_accuracy']:.2%} "
          f"on {metrics['n_test']} test images", file=tables)
    print("\nconfusion matrix (rows: true digit, columns: predicted)", file=tables)
    print(_format_confusion(metrics["confusion_matrix"], labels), file=tables)
    print("\nper-digit precision, recall and F1", file=tables)
    print(metrics["report"], file=tables)
    print(f"model written to {model_path}" + (f" (also {latest}/)" if latest else ""),
          file=tables)
    if plot_path:
        print(f"cost curve written to {plot_path}", file=tables)
    if stopped == "interrupted":
        print(f"neuralpath: training interrupted at iteration {history.iterations}; the "
              f"weights reached so far are saved in {model_path}", file=err)
    if args.json:
        result = dict(preset=args.preset, layer_sizes=model.network.layer_sizes, seed=args.seed,
                      iterations=history.iterations, epochs=history.epochs,
                      train_accuracy=metrics["train_accuracy"],
                      test_accuracy=metrics["test_accuracy"], final_cost=metrics["final_cost"],
                      train_seconds=history.seconds, model_path=model_path, plot_path=plot_path,
                      stopped=stopped)
        print(json.dumps(result), file=out)
    return 130 if stopped == "interrupted" else 0


def cmd_evaluate(args, out, err):
    from .persist import load
    from .pipeline import evaluate, test_part
    model = load(args.model)
    X_te, y_te = test_part(model, args.data_dir)
    metrics = evaluate(model, X_te, y_te)
    meta = model.metadata
    print(f"model {args.model}: preset {meta.get('preset')}, layer sizes "
          f"{model.network.layer_sizes}, seed {meta.get('seed')}", file=out)
    print(f"test accuracy {metrics['test_accuracy']:.2%} on {metrics['n_test']} test images",
          file=out)
    print("\nconfusion matrix (rows: true digit, columns: predicted)", file=out)
    print(_format_confusion(metrics["confusion_matrix"], [str(c) for c in model.classes]),
          file=out)
    return 0


def cmd_predict(args, out, err):
    from .persist import load
    model = load(args.model)
    if not args.index and not args.images:
        raise UsageError("predict needs --index N or one or more image files")
    rows, names = [], []
    if args.index:
        from .pipeline import load_dataset
        X, _, _ = load_dataset(model.metadata.get("dataset", "digits"), args.data_dir)
        for i in args.index:
            if not -len(X) <= i < len(X):
                raise UsageError(f"--index must be in 0..{len(X) - 1}, got {i}")
            rows.append(X[i])
            names.append(f"index {i}")
    if args.images:
        from .imaging import image_file_to_input
        side = int(round(np.sqrt(model.n_features)))
        for path in args.images:
            rows.append(image_file_to_input(path, side=side))
            names.append(path)
    X = np.vstack(rows)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    results = []
    for name, digit, p in zip(names, pred, proba):
        results.append({"input": name, "digit": digit.item(),
                        "probabilities": {str(c): round(float(v), 6)
                                          for c, v in zip(model.classes, p)}})
        if not args.json:
            probs = "  ".join(f"{c}:{v:.3f}" for c, v in zip(model.classes, p))
            print(f"{name}: {digit}    {probs}", file=out)
    if args.json:
        print(json.dumps(results), file=out)
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}


def main(argv=None, out=None, err=None):
    """Run the command line; returns the exit code (``sys.exit(main())`` in the script)."""
    out = out or sys.stdout
    err = err or sys.stderr
    from .persist import ModelFileError
    try:
        args = build_parser().parse_args(argv)
        if args.command in COMMANDS:
            return COMMANDS[args.command](args, out, err)
        return importlib.import_module(PLUGINS[args.command]).run(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, ModelFileError, FileNotFoundError, IsADirectoryError,
            ValueError) as exc:
        message = str(exc)
        print(message if message.startswith("neuralpath") else f"neuralpath: error: {message}",
              file=err)
        return 2
    except KeyboardInterrupt:
        print("neuralpath: interrupted", file=err)
        return 130
    except BrokenPipeError:  # e.g. `neuralpath ... | head`: the reader has gone, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return 0
    except Exception as exc:  # noqa: BLE001 - the CLI reports, never shows a traceback
        if os.environ.get("NEURALPATH_DEBUG"):
            raise
        print(f"neuralpath: unexpected error: {type(exc).__name__}: {exc} "
              "(set NEURALPATH_DEBUG=1 for a traceback)", file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
