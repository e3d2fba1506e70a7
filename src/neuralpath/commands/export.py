"""``neuralpath export MODEL --format onnx``: a saved model as an ONNX file (the onnx extra).

The file takes the model's raw inputs (its scaling is folded into the first layer) and gives
``output`` (the network's output layer) and ``probabilities`` (one column per label, in the
model's order), so onnxruntime or any other ONNX runtime predicts as ``neuralpath predict``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from ..errors import UsageError
from .common import check_destination

HELP = "write a saved model as an ONNX file (pip install 'neuralpath[onnx]')"
EPILOG = """examples:
  neuralpath export runs/latest/model.npz                  writes runs/latest/model.onnx
  neuralpath export model.npz --out digits.onnx --force    overwrite digits.onnx

The ONNX file takes raw inputs (the model's scaling is folded into its first layer) and
gives 'output' and 'probabilities', one column per label in the model's order.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL, the format, where to write and whether to overwrite."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", metavar="MODEL", help="a model file written by neuralpath (.npz)")
    parser.add_argument("--format", choices=["onnx"], default="onnx",
                        help="the format to write (default: onnx)")
    parser.add_argument("--out", metavar="FILE",
                        help="the file to write (default: MODEL with .onnx)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing --out file if it is a regular file (never "
                             "silently, never a device, FIFO or folder)")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Load the model, build its ONNX graph, write it atomically."""
    from ..model import load
    model = load(args.model)
    target = Path(args.out) if args.out else Path(args.model).with_suffix(".onnx")
    check_destination("--out", str(target), args.force)
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise UsageError("export --format onnx needs the onnx package: "
                         "pip install 'neuralpath[onnx]'") from None
    from ..export import save_onnx
    save_onnx(model, target)
    labels = ", ".join(str(c) for c in model.classes)
    print(f"wrote {target}: input 'input' (N, {model.n_features}) float32, raw features; "
          f"outputs 'output' and 'probabilities' (columns: {labels})", file=out)
    return 0
