"""Training curves in TensorBoard: a training callback that writes event files.

``TensorBoardLogger(logdir)`` is a callback of ``training.train`` (``on_epoch_end``,
``on_train_end``): on every logged epoch (those that ``History.log`` and metrics.csv keep:
every epoch of a mini-batch run, every 10th iteration of a full-batch one, and the last) it
writes the epoch's cost, the accuracy, the validation cost and accuracy when there is
validation data, and the learning rate, at step = epochs done (iterations, for a full-batch
run). ``tensorboard --logdir DIR`` then shows them; a sweep writes one subfolder per run, so
its runs show as curves side by side.

The writer is tensorboardX's (``pip install 'neuralpath[tensorboard]'``): small, no
TensorFlow. The tags:

=====================  ===========================================================
``cost/train``         the epoch's mean data cost J (without the L2 term) on its batches
``cost/validation``    the data cost on the validation set (early stopping)
``accuracy/train``     share of the epoch's training batches classified right (as trained)
``accuracy/validation``  share of the validation set classified right
``accuracy/test``      (``log_final``) the finished model on the test part
``learning_rate``      the learning rate alpha of the epoch
=====================  ===========================================================
"""
from __future__ import annotations

import os
from typing import Any

MISSING = "--tensorboard needs tensorboardX: pip install 'neuralpath[tensorboard]'"


def check_available() -> None:
    """``ImportError`` saying how to install the writer when it is missing."""
    try:
        import tensorboardX  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise ImportError(MISSING) from None


class TensorBoardLogger:
    """A training callback that writes each logged epoch's values to ``logdir``.

    Parameters
    ----------
    logdir : str
        The run's folder of event files (created when missing).
    close_at_end : bool
        Close the file when training ends; False to add ``log_final`` and ``close`` after.
    """

    def __init__(self, logdir: str | os.PathLike, close_at_end: bool = True) -> None:
        check_available()
        from tensorboardX import SummaryWriter  # type: ignore[import-untyped]
        self.logdir = os.fspath(logdir)
        self.writer = SummaryWriter(self.logdir, flush_secs=10)
        self.close_at_end = close_at_end
        self.closed = False

    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None:
        """Write the epoch's values if it is a logged one (training put ``accuracy`` in)."""
        if "accuracy" not in record:
            return
        step = epoch + 1  # epochs done: iterations, for a full-batch run
        validating = "val_cost" in record
        values = {"cost/train": record["train_cost"], "learning_rate": record["learning_rate"],
                  "cost/validation": record.get("val_cost"),
                  "accuracy/validation": record.get("val_accuracy"),
                  # with validation data, training's `accuracy` is the validation accuracy
                  "accuracy/train": None if validating else record["accuracy"]}
        for tag, value in values.items():
            if value is not None:
                self.writer.add_scalar(tag, float(value), step)

    def on_train_end(self, history: Any) -> None:
        """Put every value on disk (and close the file, unless ``close_at_end`` is off)."""
        if self.close_at_end:
            self.close()
        else:
            self.writer.flush()

    def log_final(self, metrics: dict[str, Any], step: int) -> None:
        """The finished model's test accuracy (``metrics`` from the pipeline) at ``step``."""
        if metrics.get("test_accuracy") is not None:
            self.writer.add_scalar("accuracy/test", float(metrics["test_accuracy"]), step)
        self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if not self.closed:
            self.closed = True
            self.writer.close()
