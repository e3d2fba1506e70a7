"""A trained model: the network together with the preprocessing it was trained with.

A ``TrainedModel`` carries the scaler's mean and scale and the label set, so it predicts on
raw inputs (digits pixels 0..16) wherever it is loaded: Python, the CLI, the web page.
"""
from __future__ import annotations

import numpy as np

from .network import Network


class TrainedModel:
    """A network plus its input scaling and class labels.

    Parameters
    ----------
    network : Network
    scaler_mean, scaler_scale : array (s_1,)
        Inputs are scaled as (X - mean) / scale before the network sees them.
    classes : array (s_nl,)
        The label of each output node.
    metadata : dict
        JSON-able facts: preset, seed, dataset, test_accuracy, ...
    """

    def __init__(self, network: Network, scaler_mean, scaler_scale, classes, metadata=None):
        self.network = network
        self.scaler_mean = np.asarray(scaler_mean, dtype=np.float64)
        self.scaler_scale = np.asarray(scaler_scale, dtype=np.float64)
        self.classes = np.asarray(classes)
        self.metadata = dict(metadata or {})

    def __repr__(self):
        return f"TrainedModel({self.network!r}, classes={self.classes.tolist()})"

    @property
    def n_features(self):
        return self.network.layer_sizes[0]

    def _check(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"inputs must have {self.n_features} features per row, "
                             f"got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("inputs must be finite numbers, got NaN or infinity")
        return X

    def transform(self, X):
        """Raw inputs (m, s_1) -> the scaled inputs the network was trained on."""
        return (self._check(X) - self.scaler_mean) / self.scaler_scale

    def output(self, X):
        """The output layer h^(n_l) for raw inputs: (m, s_nl)."""
        return self.network.predict_output(self.transform(X))

    def predict_proba(self, X):
        """Class probabilities (m, k).

        A softmax output is already a distribution. Sigmoid outputs (the tutorial's) are
        independent scores in (0, 1); they are divided by their sum so each row adds to 1.
        """
        out = self.output(X)
        if self.network.output_activation.name == "softmax":
            return out
        out = np.clip(out, 0.0, None)
        total = out.sum(axis=1, keepdims=True)
        return np.divide(out, total, out=np.full_like(out, 1.0 / out.shape[1]),
                         where=total > 0)

    def predict(self, X):
        """The label of the largest output for each row (tutorial 5.5's ``predict_y``)."""
        return self.classes[self.output(X).argmax(axis=1)]

    def hidden(self, X):
        """The hidden layers' outputs h^(2) .. h^(n_l - 1) for raw inputs."""
        h, _ = self.network.feed_forward(self.transform(X))
        return h[1:-1]

    def save(self, path):
        from .persist import save
        return save(self, path)

    @classmethod
    def load(cls, path):
        from .persist import load
        return load(path)
