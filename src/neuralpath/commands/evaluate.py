"""``neuralpath evaluate MODEL``: accuracy and confusion matrix of a saved model on the test
part of the split it was trained with, and the settings it was trained with; or on rows given
in a CSV file (``--data``).

A figure is called a test accuracy only when its rows were held out: the model's config
records its split. A model without one (saved from an estimator) holds no record of the rows
it learned from, so its accuracy on the data set is said to be no test accuracy, with how to
give held-out rows.
"""
from __future__ import annotations

import argparse
import csv
import os
from typing import IO, Any

import numpy as np

from ..errors import UsageError
from .common import format_confusion
from .train import describe_differences

HELP = "accuracy and confusion matrix of a saved model"
EPILOG = """examples:
  neuralpath evaluate runs/latest/model.npz
  neuralpath evaluate mnist.npz --data-dir ~/mnist
  neuralpath evaluate model.npz --data held_out.csv

The test part is made again from the model's own config (its data set, seed and test size),
so it is the part the model never saw while training. A model saved without a config (from
an estimator) has no record of its training rows: give rows it never saw with --data, a CSV
file with one row per image: its raw pixels, then its label (a header line is skipped).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL and where its data set's files are."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", metavar="MODEL",
                        help="a model file written by neuralpath train (.npz), e.g. "
                             "runs/latest/model.npz")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder with the data set's files (mnist; default: "
                             "$NEURALPATH_DATA or ~/.cache/neuralpath)")
    parser.add_argument("--data", metavar="FILE.csv",
                        help="evaluate on these rows instead: one per image, its raw pixels "
                             "(as many as the model takes) and last its label; a header line "
                             "is skipped")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Score the model on its test part (re-made from its config: data set, seed, test size),
    on the rows of ``--data``, or, for a model without a config, on its data set's rows,
    saying that those are no test accuracy."""
    from ..model import load
    from ..pipeline import evaluate, test_part
    from ..presets import PRESETS
    model = load(args.model)
    cfg = model.config
    if args.data:
        X, y = read_rows(args.data, model)
        what = f"accuracy {{:.2%}} on the {len(y)} rows of {args.data}"
    else:
        check_inputs(model, args.model)
        if cfg is not None:
            X, y = test_part(model, args.data_dir)
            what = f"test accuracy {{:.2%}} on {len(y)} test images"
        else:
            X, y, name = all_rows(model, args.data_dir)
            what = (f"accuracy {{:.2%}} on the {len(y)} images of the {name} data set, which "
                    "this model may have been trained on (it holds no record of its training "
                    "rows); for an accuracy on rows it never saw, give them with --data "
                    "FILE.csv")
    metrics = evaluate(model, X, y)
    seed = cfg.seed if cfg is not None else None
    preset = model.metadata.get("preset")
    print(f"model {args.model}: preset {preset}, layer sizes "
          f"{model.network.layer_sizes}, seed {seed}", file=out)
    if cfg is not None and preset in PRESETS:
        print(describe_differences(preset, cfg.differences(PRESETS[preset])), file=out)
    print(what.format(metrics["test_accuracy"]), file=out)
    print("\nconfusion matrix (rows: true digit, columns: predicted)", file=out)
    print(format_confusion(metrics["confusion_matrix"], [str(c) for c in model.classes]),
          file=out)
    return 0


def all_rows(model: Any, data_dir: str | None) -> tuple[Any, Any, str]:
    """A config-less model's data set (the one its inputs fit): its own test part where it
    has one, else all its rows; and the data set's name."""
    from ..pipeline import dataset_of
    try:
        found = dataset_of(model)
    except ValueError as exc:
        raise UsageError(f"{exc}; give its rows with --data FILE.csv") from None
    X, y, n_test = found.load(data_dir)
    if n_test is not None:
        X, y = X[-n_test:], y[-n_test:]
    return X, y, found.name


def read_rows(path: str, model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The raw inputs and labels of a ``--data`` CSV file: each row the model's number of
    inputs, then a label of the model's. A first line that is not numbers is a header.
    ``UsageError`` naming the file and the row otherwise."""
    if os.path.isdir(path):
        raise UsageError(f"--data {path} is a folder; give a CSV file")
    width = model.n_features + 1
    labels = {str(c): c for c in model.classes}
    X: list[list[float]] = []
    y: list[Any] = []
    with open(path, newline="") as f:
        for number, row in enumerate(csv.reader(f), 1):
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) != width:
                raise UsageError(f"--data {path}: row {number} has {len(row)} values; this "
                                 f"model takes {model.n_features} pixels, then the label "
                                 f"({width} values)")
            try:
                pixels = [float(v) for v in row[:-1]]
            except ValueError:
                if number == 1 and not X:
                    continue  # a header
                raise UsageError(f"--data {path}: row {number} has a value that is not a "
                                 "number") from None
            label = row[-1].strip()
            if label not in labels and label.endswith(".0") and label[:-2] in labels:
                label = label[:-2]  # 3.0 written for 3
            if label not in labels:
                raise UsageError(f"--data {path}: row {number}'s label {label!r} is not one "
                                 f"of the model's ({', '.join(labels)})")
            X.append(pixels)
            y.append(labels[label])
    if not y:
        raise UsageError(f"--data {path} holds no rows")
    X_arr = np.asarray(X, dtype=np.float64)
    if not np.isfinite(X_arr).all():
        raise UsageError(f"--data {path}: a pixel is not a finite number")
    return X_arr, np.asarray(y, dtype=model.classes.dtype)


def check_inputs(model: Any, path: str) -> None:
    """``UsageError`` when the model expects other inputs than its data set's raw pixels
    (e.g. a classifier saved from inside a scikit-learn Pipeline with a scaler)."""
    from ..data import dataset_for_inputs
    found = dataset_for_inputs(model.n_features, model.inputs.get("dataset"))
    if found is None:
        return  # test_part says that no data set fits
    problem = model.input_problem(found.pixel_max, f"evaluate ({found.name} test images)")
    if problem:
        raise UsageError(f"neuralpath evaluate: {path}: {problem}")
