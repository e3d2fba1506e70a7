"""``neuralpath evaluate MODEL``: accuracy and confusion matrix of a saved model on the test
part of the split it was trained with, and the settings it was trained with."""
from __future__ import annotations

import argparse
from typing import IO

from .common import format_confusion
from .train import describe_differences

HELP = "accuracy and confusion matrix of a saved model"
EPILOG = """examples:
  neuralpath evaluate runs/latest/model.npz
  neuralpath evaluate mnist.npz --data-dir ~/mnist

The test part is made again from the model's own config (its data set, seed and test size),
so it is the part the model never saw while training.
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


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Re-make the model's test part (its data set, seed and test size) and score it."""
    from ..model import load
    from ..pipeline import evaluate, test_part
    from ..presets import PRESETS
    model = load(args.model)
    X_te, y_te = test_part(model, args.data_dir)
    metrics = evaluate(model, X_te, y_te)
    cfg = model.config
    seed = cfg.seed if cfg is not None else None
    preset = model.metadata.get("preset")
    print(f"model {args.model}: preset {preset}, layer sizes "
          f"{model.network.layer_sizes}, seed {seed}", file=out)
    if cfg is not None and preset in PRESETS:
        print(describe_differences(preset, cfg.differences(PRESETS[preset])), file=out)
    print(f"test accuracy {metrics['test_accuracy']:.2%} on {metrics['n_test']} test images",
          file=out)
    print("\nconfusion matrix (rows: true digit, columns: predicted)", file=out)
    print(format_confusion(metrics["confusion_matrix"], [str(c) for c in model.classes]),
          file=out)
    return 0
