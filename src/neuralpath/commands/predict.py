"""``neuralpath predict MODEL [IMAGES] [--index N]``: the digit a saved model sees in picture
files or in rows of its data set.

A picture that holds no digit (no ink, ink too faint, only a dot or a short mark; see
``imaging.no_digit_reason``) gives ``"digit": null`` and a ``"reason"`` in ``--json`` and the
line "no digit found in FILE (reason)" in text."""
from __future__ import annotations

import argparse
import json
from typing import IO, Any

import numpy as np

from ..errors import UsageError

HELP = "the digit a saved model sees in images or data rows"
EPILOG = """examples:
  neuralpath predict runs/latest/model.npz --index 0 --index 5
  neuralpath predict runs/latest/model.npz digit.png photo.jpg
  neuralpath predict runs/latest/model.npz digit.png --json

Pictures may be any format Pillow reads (PNG, JPEG, GIF, BMP, TIFF, WebP, ...), any size,
dark ink on light paper or light on dark; they are cropped to the digit, centred and scaled
to the model's 8x8 or 28x28 grid. A picture with no digit gets "digit": null.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL, the pictures, the rows, and the output form."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", metavar="MODEL",
                        help="a model file written by neuralpath train (.npz)")
    parser.add_argument("--index", type=int, action="append", metavar="N",
                        help="row N of the model's data set, counted from 0 (negative: from "
                             "the end); repeat it for several rows")
    parser.add_argument("images", nargs="*", metavar="IMAGE",
                        help="picture files (PNG, JPEG, ...; any size, dark or light ink)")
    parser.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder with the data set's files, for --index "
                        "rows of an mnist model (default: $NEURALPATH_DATA or "
                        "~/.cache/neuralpath)")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Predict each picture and row; one line each, or one JSON list."""
    from ..model import load
    model = load(args.model)
    if not args.index and not args.images:
        raise UsageError("predict needs --index N or one or more image files")
    check_inputs(model, args)
    rows, names = [], []
    reasons: list[str | None] = []
    if args.index:
        from ..pipeline import load_data
        from ..presets import PRESETS
        cfg = model.config or PRESETS["tutorial"]
        X, _, _ = load_data(cfg, args.data_dir)
        for i in args.index:
            check_index(i, len(X))
            rows.append(X[i])
            names.append(f"index {i}" if i >= 0 else f"index {i} (row {len(X) + i})")
            reasons.append(None)
    if args.images:
        from ..imaging import read_image_file
        side = int(round(np.sqrt(model.n_features)))
        for path in args.images:
            reading = read_image_file(path, side=side)
            rows.append(reading.input)
            names.append(path)
            reasons.append(reading.reason)
    X = np.vstack(rows)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    results: list[dict[str, object]] = []
    for name, digit, p, reason in zip(names, pred, proba, reasons):
        if reason is not None:
            results.append({"input": name, "digit": None, "reason": reason})
            if not args.json:
                print(f"no digit found in {name} ({reason})", file=out)
            continue
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
    """Row ``i`` of a data set of ``n`` rows: 0..n-1, or -n..-1 counted from the end (-1 is
    the last row), else ``UsageError``."""
    if not -n <= i < n:
        raise UsageError(f"--index must be in 0..{n - 1}, or -{n}..-1 to count from the end, "
                         f"got {i}")


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
