"""``neuralpath predict MODEL [IMAGES] [--index N]``: the digit a saved model sees in picture
files or in rows of its data set."""
from __future__ import annotations

import argparse
import json
from typing import IO, Any

import numpy as np

from ..errors import UsageError

HELP = "the digit a saved model sees in images or data rows"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL, the pictures, the rows, and the output form."""
    parser.add_argument("model", help="a model file written by neuralpath train (.npz)")
    parser.add_argument("--index", type=int, action="append",
                        help="row of the model's data set (repeatable)")
    parser.add_argument("images", nargs="*",
                        help="picture files (PNG, JPEG, ...; any size, dark or light ink)")
    parser.add_argument("--json", action="store_true", help="print one JSON list on stdout")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Predict each picture and row; one line each, or one JSON list."""
    from ..model import load
    model = load(args.model)
    if not args.index and not args.images:
        raise UsageError("predict needs --index N or one or more image files")
    check_inputs(model, args)
    rows, names = [], []
    if args.index:
        from ..pipeline import load_data
        from ..presets import PRESETS
        cfg = model.config or PRESETS["tutorial"]
        X, _, _ = load_data(cfg)
        for i in args.index:
            check_index(i, len(X))
            rows.append(X[i])
            names.append(f"index {i}")
    if args.images:
        from ..imaging import image_file_to_input
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


def check_index(i: int, n: int) -> None:
    """Row ``i`` of a data set of ``n`` rows: 0..n-1 (no counting from the end), else
    ``UsageError``."""
    if not 0 <= i < n:
        raise UsageError(f"--index must be in 0..{n - 1}, got {i}")


def check_inputs(model: Any, args: argparse.Namespace) -> None:
    """``UsageError`` when the model expects inputs that rows or pictures are not: raw pixels
    of its data set (``--index``) or a picture's pixels (images)."""
    from ..data import DATASETS, dataset_for_inputs
    found = dataset_for_inputs(model.n_features, model.inputs.get("dataset"))
    pixel_max = found.pixel_max if found is not None else DATASETS["digits"].pixel_max
    where = "--index (a row of the data set)" if args.index else "a picture file"
    problem = model.input_problem(pixel_max, f"predict with {where}")
    if problem:
        raise UsageError(f"neuralpath predict: {args.model}: {problem}")
