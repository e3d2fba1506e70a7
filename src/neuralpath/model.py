"""A trained model: the network together with its config and the preprocessing it was trained
with, and saving and loading it.

A ``TrainedModel`` carries the scaler's mean and scale and the label set, so it predicts on
raw inputs (digits pixels 0..16) wherever it is loaded: Python, the CLI, the web page. It also
carries the ``TrainConfig`` of its run, so a saved model says exactly how it was made.
``save`` and ``load`` write and read it through ``persist`` (the file format).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import ModelFileError
from .network import Network
from .persist import NETWORK_KEYS, read_model_file, write_model_file


class TrainedModel:
    """A network plus its input scaling, class labels and training config.

    Parameters
    ----------
    network : Network
    scaler_mean, scaler_scale : array (s_1,)
        Inputs are scaled as (X - mean) / scale before the network sees them.
    classes : array (s_nl,)
        The label of each output node.
    metadata : dict
        JSON-able facts about the run: preset, stopped, iterations_run, test_accuracy, ...
    config : TrainConfig, optional
        The settings the network was trained with (None for a model made without one).

    The input a model expects (``inputs``, stored in its file): ``{"kind": "pixels",
    "dataset": name}`` for a model trained by the pipeline (raw pixels of that data set; it
    scales them itself), or ``{"kind": "features", "range": [lo, hi]}`` for one saved from an
    estimator, which sees whatever its caller (e.g. a scikit-learn Pipeline) gave it, from
    lo to hi when it was fitted.
    """

    def __init__(self, network: Network, scaler_mean: Any, scaler_scale: Any, classes: Any,
                 metadata: dict[str, Any] | None = None,
                 config: TrainConfig | None = None) -> None:
        self.network = network
        self.scaler_mean = np.asarray(scaler_mean, dtype=np.float64)
        self.scaler_scale = np.asarray(scaler_scale, dtype=np.float64)
        self.classes = np.asarray(classes)
        self.metadata = dict(metadata or {})
        self.config = config

    def __repr__(self) -> str:
        return f"TrainedModel({self.network!r}, classes={self.classes.tolist()})"

    @property
    def inputs(self) -> dict[str, Any]:
        """What input the model expects (see the class docstring)."""
        recorded = self.metadata.get("inputs")
        if isinstance(recorded, dict) and recorded.get("kind") in ("pixels", "features"):
            return recorded
        if self.config is not None:
            return {"kind": "pixels", "dataset": self.config.dataset}
        return {"kind": "features", "range": None}

    def input_problem(self, pixel_max: float, where: str) -> str | None:
        """Why raw pixels 0..``pixel_max`` (what ``where`` gives) are not this model's input,
        or None when they are: a model that expects preprocessed features (a range fitted on
        other than 0..pixel_max) would score them wrongly, with no error."""
        inputs = self.inputs
        if inputs["kind"] == "pixels" or not inputs.get("range"):
            return None  # pixels, or an old estimator file that did not record its inputs
        lo, hi = (float(v) for v in inputs["range"])
        if lo >= 0 and pixel_max / 2 < hi <= pixel_max:
            return None  # fitted on raw pixels of that range
        return (f"this model expects already-preprocessed features (it was fitted on inputs "
                f"from {lo:.3g} to {hi:.3g}, e.g. inside a scikit-learn Pipeline), not the raw "
                f"pixels 0..{pixel_max:g} that {where} gives; use it in Python with the same "
                "preprocessing")

    @property
    def n_features(self) -> int:
        """Inputs per row: s_1."""
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

    def transform(self, X: Any) -> np.ndarray:
        """Raw inputs (m, s_1) -> the scaled inputs the network was trained on."""
        return (self._check(X) - self.scaler_mean) / self.scaler_scale

    def output(self, X: Any) -> np.ndarray:
        """The output layer h^(n_l) for raw inputs: (m, s_nl)."""
        return self.network.predict_output(self.transform(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (m, k) for raw inputs (see ``probabilities``)."""
        return probabilities(self.output(X), self.network)

    def predict(self, X: Any) -> np.ndarray:
        """The label of the largest output for each row (tutorial 5.5's ``predict_y``)."""
        return self.classes[self.output(X).argmax(axis=1)]

    def hidden(self, X: Any) -> list[np.ndarray]:
        """The hidden layers' outputs h^(2) .. h^(n_l - 1) for raw inputs."""
        h, _ = self.network.feed_forward(self.transform(X))
        return h[1:-1]

    def save(self, path: str | os.PathLike) -> str:
        """Write the model to ``path`` (see ``neuralpath.save``); returns the path."""
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TrainedModel:
        """Read a model file (see ``neuralpath.load``)."""
        return load(path)


def probabilities(output: np.ndarray, network: Network) -> np.ndarray:
    """Class probabilities (m, k) from the network's outputs (m, k): the one place that
    turns outputs into probabilities, for the models and the estimators alike.

    An output activation whose rows are distributions already (softmax) is returned as is.
    Other outputs (the tutorial's sigmoid) are independent scores: clipped at 0 and divided
    by their row sum, so each row adds to 1 (a row of zeros becomes uniform).
    """
    if network.output_activation.normalised:
        return output
    out = np.clip(output, 0.0, None)
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1.0 / out.shape[1]), where=total > 0)


def features_input(input_range: Any) -> dict[str, Any]:
    """The ``inputs`` record of a model fitted on features from ``input_range`` (lo, hi)."""
    return {"kind": "features",
            "range": None if input_range is None else [float(v) for v in input_range]}


def save(model: TrainedModel, path: str | os.PathLike) -> str:
    """Write ``model`` to ``path`` (an .npz file) atomically; returns the path."""
    net = model.network
    meta = dict(model.metadata)
    meta["inputs"] = model.inputs
    meta.update(layer_sizes=net.layer_sizes, activation=net.activation.name,
                output_activation=net.output_activation.name, cost=net.cost.name,
                initializer=net.initializer, dtype=net.dtype.name,
                config=None if model.config is None else model.config.to_dict())
    classes = model.classes
    if classes.dtype == object:
        classes = classes.astype(str)
    extras = dict(scaler_mean=model.scaler_mean, scaler_scale=model.scaler_scale,
                  classes=classes)
    return write_model_file(path, net.W, net.b, extras, meta)


def load(path: str | os.PathLike) -> TrainedModel:
    """Read a model written by ``save`` (or by neuralpath 0.1.0); anything else raises
    ``ModelFileError`` (``FileNotFoundError`` when there is no file)."""
    return from_file_parts(path, *read_model_file(path))


def from_file_parts(path: str | os.PathLike, W: list[np.ndarray], b: list[np.ndarray],
                    extras: dict[str, np.ndarray], meta: dict[str, Any]) -> TrainedModel:
    """The model of what ``persist.read_model_file(path)`` gave (``path`` only names the file
    in errors), so that a reader that needs the parts too (a checkpoint) reads the file once.
    ``meta`` loses the keys the model keeps elsewhere."""
    try:
        net = Network.from_weights(W, b, meta["activation"], meta["output_activation"],
                                   meta["cost"], meta.get("initializer", "tutorial"),
                                   dtype=meta.get("dtype", "float64"))
        config = meta.pop("config", None)
        config = None if config is None else TrainConfig.from_dict(config)
        for key in NETWORK_KEYS:  # the network says these itself
            meta.pop(key, None)
        model = TrainedModel(net, extras["scaler_mean"], extras["scaler_scale"],
                             extras["classes"], meta, config)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} is a damaged neuralpath model ({exc})") from None
    sizes = net.layer_sizes
    if model.scaler_mean.shape != (sizes[0],) or model.scaler_scale.shape != (sizes[0],) \
            or model.classes.shape != (sizes[-1],):
        raise ModelFileError(f"{path}: scaler or classes do not match layer sizes {sizes}")
    return model
