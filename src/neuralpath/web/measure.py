"""What a live run shows of its network while it learns, measured between two updates.

``Measurement`` holds what does not change during a run (the test part's class of each row,
the picture side, the brightest raw pixel, the initial first-layer weights) and, called with
the network, measures it: train and test accuracy, the test confusion matrix, the digits it
gets wrong (their pictures as bytes) and the first layer's weights as pictures, both as they
are and as their change from the initial weights (which shows the strokes a node learns even
when the weights started far from zero, as the tutorial's uniform [0, 1) ones do).
``snapshot`` copies the network for the training page's pad, which draws against the run's
network as it is between two updates.
"""
from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from .. import pipeline
from ..model import TrainedModel
from ..network import Network

MAX_PICTURES = 64  # first-layer weight pictures sent (one per hidden node)
MAX_WRONG = 24  # wrongly classified test digits sent


def plain(value: Any) -> Any:
    """A NumPy scalar as a Python one (JSON takes it)."""
    return value.item() if hasattr(value, "item") else value


def as_bytes(values: np.ndarray) -> str:
    """Numbers 0..255 as base64 bytes (row after row): compact for the event stream."""
    return base64.b64encode(np.round(values).astype(np.uint8).tobytes()).decode("ascii")


def pictures(W: np.ndarray, side: int, nodes: int) -> dict[str, Any]:
    """Rows of ``W`` (n, side*side) as pictures: bytes 0 (the row's smallest value) to 255
    (its largest), row after row, each row scaled on its own (what a node looks for is where
    its weights are larger than its others)."""
    low = W.min(axis=1, keepdims=True)  # (n, 1)
    span = W.max(axis=1, keepdims=True) - low  # (n, 1)
    span[span == 0] = 1.0
    return dict(side=side, nodes=nodes, shown=len(W), data=as_bytes(255 * (W - low) / span))


def snapshot(model: TrainedModel) -> TrainedModel:
    """A copy of ``model`` with its network's weights copied (its scaler, classes and config
    shared: they do not change during a run): what a request may read while the run goes on
    updating the original."""
    net = model.network
    copied = Network.from_weights(net.W, net.b, net.activation.name,
                                  net.output_activation.name, net.cost.name, net.initializer,
                                  net.dtype)
    return TrainedModel(copied, model.scaler_mean, model.scaler_scale, model.classes,
                        dict(model.metadata), model.config)


class Measurement:
    """Measures one run's network on its data (``parts`` from ``pipeline.prepare``)."""

    def __init__(self, model: TrainedModel, parts: dict[str, Any]) -> None:
        self.model, self.parts = model, parts
        self.classes = parts["classes"]
        self.y_test = np.searchsorted(self.classes, parts["y_test"])  # class index per row
        sizes = model.network.layer_sizes
        side = math.isqrt(sizes[0])
        self.side = side if side * side == sizes[0] else None
        self.nodes = int(sizes[1])
        self.pixel_top = max(float(np.max(parts["X_test_raw"])), 1e-12)
        self.W0 = np.array(model.network.W[0][:MAX_PICTURES], dtype=np.float64)  # (n, s_1)

    def __call__(self) -> dict[str, Any]:
        """The network now: accuracies, confusion, wrong digits and weight pictures."""
        parts, net = self.parts, self.model.network
        out_test = net.predict_output(parts["X_test"])  # (m_test, s_nl)
        k = len(self.classes)
        pred = (out_test[:, 0] > 0.5).astype(int) if out_test.shape[1] == 1 else \
            out_test.argmax(axis=1)  # (m_test,) class index
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (self.y_test, pred), 1)
        wrong = np.flatnonzero(pred != self.y_test)
        shown = wrong[:MAX_WRONG]
        raw = parts["X_test_raw"][shown]  # (n_wrong, s_1)
        return dict(
            train_accuracy=pipeline.train_accuracy(self.model, parts),
            test_accuracy=float(np.mean(pred == self.y_test)),
            confusion=confusion.tolist(), n_wrong=int(len(wrong)),
            wrong=[dict(index=int(i), label=plain(self.classes[self.y_test[i]]),
                        answer=plain(self.classes[pred[i]])) for i in shown],
            wrong_pixels=as_bytes(np.clip(raw / self.pixel_top, 0, 1) * 255),
            **self.weights())

    def weights(self) -> dict[str, Any]:
        """``weights``: W[0]'s rows as pictures, and ``weight_changes``: W[0] - W0[0]'s (the
        change since the run began); both None when the inputs are not a square image."""
        if self.side is None:
            return dict(weights=None, weight_changes=None)
        W = np.asarray(self.model.network.W[0][:MAX_PICTURES], dtype=np.float64)  # (n, s_1)
        return dict(weights=pictures(W, self.side, self.nodes),
                    weight_changes=pictures(W - self.W0, self.side, self.nodes))
