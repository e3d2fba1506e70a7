"""From a ``TrainConfig`` to a trained, evaluated model: data, scaling, split, network, training.

This is the one place that turns a config into a ``TrainedModel``; the command line, the web
page, the tutorial walkthrough and the benchmarks call it, so every entry point prepares data
the same way.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import train_test_split

from . import data
from .config import TrainConfig
from .errors import TrainingDiverged
from .model import TrainedModel
from .network import Network
from .presets import PRESETS, resolve
from .training import History, accuracy, train


def load_data(cfg: TrainConfig, data_dir: str | None = None,
              arrays: tuple[Any, Any] | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
    """``(X, y, n_test)`` of the config's data set (see ``data.Dataset``), or of ``arrays``
    (X, y) given instead, whose test part is then drawn at random."""
    if arrays is not None:
        X, y = arrays
        return np.asarray(X, dtype=np.float64), np.asarray(y), None
    return data.get_dataset(cfg.dataset).load(data_dir)


def prepare(cfg: TrainConfig, data_dir: str | None = None,
            arrays: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """Scaled train and test parts for ``cfg``: a dict with X_train, y_train, X_test, y_test
    (scaled), X_val, y_val (with early stopping, split off the training part before any
    augmentation, else None), the raw test inputs, the scaler's mean and scale and the labels."""
    X, y, n_test = load_data(cfg, data_dir, arrays)
    if n_test is None:  # tutorial 5.2: a random split with the run's seed
        X_tr, X_te, y_tr, y_te = data.split(X, y, cfg.seed, cfg.test_size)
    else:  # the data set's own test part: its last n_test rows
        X_tr, X_te, y_tr, y_te = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]
    mean, scale = data.SCALERS[cfg.scaler](X, X_tr)
    X_val = y_val = None
    if cfg.early_stopping:  # hold validation rows out before any shifted copies exist
        X_tr, X_val, y_tr, y_val = train_test_split(
            X_tr, y_tr, test_size=cfg.validation_fraction, random_state=cfg.seed,
            stratify=y_tr)
        X_val = (X_val - mean) / scale
    if cfg.augment_drawings:  # issue 13: varied copies and made-up drawings (8x8 digits only)
        if X.shape[1] != 64:
            raise ValueError("augment_drawings needs the digits' 8x8 inputs (64 features), "
                             f"got {X.shape[1]} features")
        X_tr, y_tr = data.drawing_augment(X_tr, y_tr, random_state=cfg.seed)
    elif cfg.augment:
        side = int(round(np.sqrt(X.shape[1])))
        X_tr, y_tr = data.shift_augment(X_tr, y_tr, side)
    return dict(X_train=(X_tr - mean) / scale, y_train=y_tr, X_val=X_val, y_val=y_val,
                X_test=(X_te - mean) / scale, y_test=y_te, X_test_raw=X_te, mean=mean,
                scale=scale, classes=np.unique(y))


def check_layer_sizes(sizes: Sequence[int], n_features: int, n_classes: int) -> None:
    """The first layer must take the data's features and the last give one node per class."""
    if sizes[0] != n_features:
        raise ValueError(f"layer_sizes must start with the number of input features "
                         f"({n_features}), got {sizes[0]}")
    if sizes[-1] != n_classes:
        raise ValueError(f"layer_sizes must end with the number of classes ({n_classes}), "
                         f"got {sizes[-1]}")


def train_config(cfg: TrainConfig, callbacks: Sequence[Any] = (), data_dir: str | None = None,
                 arrays: tuple[Any, Any] | None = None, preset: str | None = None,
                 **train_options: Any) -> tuple[TrainedModel, History, dict[str, Any]]:
    """Train the network ``cfg`` describes on its data; returns (model, history, metrics).

    ``preset`` names the preset ``cfg`` came from (stored in the model, for the record).
    ``train_options`` go to ``training.train`` (``resume``, ``checkpoint_every``, ...), except
    that ``checkpoint`` is called as ``checkpoint(model, state)``, with the model to save.
    ``TrainingDiverged`` carries ``.model``: the model with the last weights whose cost was
    finite, for the caller to keep.
    """
    parts = prepare(cfg, data_dir, arrays)
    classes = parts["classes"]
    check_layer_sizes(cfg.layer_sizes, parts["X_train"].shape[1], len(classes))
    net = Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                  cfg.initializer, random_state=cfg.seed, dtype=cfg.dtype)
    X_tr, Y_tr = parts["X_train"], data.one_hot(parts["y_train"], classes)
    validation = None
    if cfg.early_stopping:
        validation = (parts["X_val"], data.one_hot(parts["y_val"], classes))
    model = TrainedModel(net, parts["mean"], parts["scale"], classes, {"preset": preset}, cfg)
    save = train_options.pop("checkpoint", None)
    if save is not None:
        train_options["checkpoint"] = lambda state: save(model, state)
    try:
        history = train(net, X_tr, Y_tr, cfg, validation_data=validation, callbacks=callbacks,
                        **train_options)
    except TrainingDiverged as exc:
        model.metadata.update(iterations_run=exc.history.iterations, stopped="diverged")
        exc.model = model  # holds the last finite weights, for the caller to keep
        raise
    model.metadata.update(iterations_run=history.iterations, stopped=history.stopped)
    metrics = evaluate(model, parts["X_test_raw"], parts["y_test"])
    metrics["train_accuracy"] = accuracy(net.predict_output(X_tr), Y_tr)
    metrics["final_cost"] = history.cost[-1] if history.cost else None
    metrics["train_seconds"] = history.seconds
    model.metadata.update(test_accuracy=metrics["test_accuracy"],
                          train_accuracy=metrics["train_accuracy"])
    return model, history, metrics


def train_preset(preset: str = "tutorial", seed: int = 0, callbacks: Sequence[Any] = (),
                 data_dir: str | None = None, arrays: tuple[Any, Any] | None = None,
                 **overrides: Any) -> tuple[TrainedModel, History, dict[str, Any]]:
    """Train a preset with ``overrides`` (any ``TrainConfig`` setting) and ``seed``; returns
    (model, history, metrics). The same as ``train_config(resolve(preset, seed=seed, ...))``."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    cfg = resolve(preset, seed=int(seed), **overrides)
    return train_config(cfg, callbacks, data_dir, arrays, preset=preset)


def evaluate(model: TrainedModel, X_raw: Any, y: Any) -> dict[str, Any]:
    """Accuracy, confusion matrix and per-class precision/recall/F1 on raw inputs."""
    pred = model.predict(X_raw)
    labels = model.classes
    return {
        "test_accuracy": float(np.mean(pred == y)),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels),
        "report": classification_report(y, pred, labels=labels, digits=3, zero_division=0),
        "n_test": int(len(y)),
    }


def test_part(model: TrainedModel, data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The raw test inputs and labels of the split the model was trained with."""
    cfg = model.config
    if cfg is None:  # a model made without a config (e.g. by an estimator): its data set's
        found = data.dataset_for_inputs(model.n_features, model.metadata.get("dataset"))
        if found is None:
            raise ValueError(f"this model takes {model.n_features} inputs, which no data set "
                             f"of neuralpath has ({', '.join(data.DATASETS)})")
        cfg = PRESETS[found.default_preset]
    X, y, n_test = load_data(cfg, data_dir)
    if n_test is not None:
        return X[-n_test:], y[-n_test:]
    _, X_te, _, y_te = data.split(X, y, cfg.seed, cfg.test_size)
    return X_te, y_te
