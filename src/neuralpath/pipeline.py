"""From a preset to a trained, evaluated model: data, scaling, split, network, training.

This is the one place that turns a configuration (presets.py) into a ``TrainedModel``; the
CLI, the web page and the benchmarks call it, so every entry point prepares data the same way.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import train_test_split

from . import data
from .model import TrainedModel
from .network import Network
from .presets import resolve
from .training import TrainingDiverged, accuracy, train


def load_dataset(name, data_dir=None):
    """Raw inputs, labels and the size of the fixed test part (None: split by seed) of a
    dataset: ``digits`` (built in) or ``mnist`` (IDX files: the test files' rows come last)."""
    if name == "digits":
        return (*data.digits(), None)
    if name == "mnist":
        from .mnist import load_mnist_arrays
        return load_mnist_arrays(data_dir)
    raise ValueError(f"dataset must be 'digits' or 'mnist', got {name!r}")


def prepare(cfg, seed, data_dir=None, dataset=None):
    """Scaled train and test parts for ``cfg``: a dict with X_train, y_train, X_test, y_test
    (scaled), X_val, y_val (with early stopping, split off the training part before any
    augmentation, else None), the raw test inputs, the scaler's mean and scale and the labels."""
    X, y, n_test = ((*dataset, None) if dataset is not None
                    else load_dataset(cfg["dataset"], data_dir))
    if n_test is not None:  # IDX files: the test files are the test part, whatever their count
        X_tr, X_te, y_tr, y_te = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]
    else:
        X_tr, X_te, y_tr, y_te = data.split(X, y, seed, cfg["test_size"])
    if cfg["scaler"] == "all":  # tutorial 5.1-5.2: scale all of the data, then split
        mean, scale = data.fit_scaler(X)
    elif cfg["scaler"] == "train":
        mean, scale = data.fit_scaler(X_tr)
    elif cfg["scaler"] == "unit":  # divide by the training part's largest pixel value: 0..1
        mean, scale = np.zeros(X.shape[1]), np.full(X.shape[1], float(X_tr.max()) or 1.0)
    else:
        raise ValueError(f"scaler must be 'all', 'train' or 'unit', got {cfg['scaler']!r}")
    X_val = y_val = None
    if cfg["early_stopping"]:  # hold validation rows out before any shifted copies exist
        X_tr, X_val, y_tr, y_val = train_test_split(
            X_tr, y_tr, test_size=cfg["validation_fraction"], random_state=seed, stratify=y_tr)
        X_val = (X_val - mean) / scale
    if cfg["augment"]:
        side = int(round(np.sqrt(X.shape[1])))
        X_tr, y_tr = data.shift_augment(X_tr, y_tr, side)
    return dict(X_train=(X_tr - mean) / scale, y_train=y_tr, X_val=X_val, y_val=y_val,
                X_test=(X_te - mean) / scale, y_test=y_te, X_test_raw=X_te, mean=mean,
                scale=scale, classes=np.unique(y))


def check_layer_sizes(sizes, n_features, n_classes):
    if sizes[0] != n_features:
        raise ValueError(f"layer_sizes must start with the number of input features "
                         f"({n_features}), got {sizes[0]}")
    if sizes[-1] != n_classes:
        raise ValueError(f"layer_sizes must end with the number of classes ({n_classes}), "
                         f"got {sizes[-1]}")


def train_preset(preset="tutorial", seed=0, callbacks=(), data_dir=None, arrays=None,
                 **overrides):
    """Train a preset (with overrides) on its dataset; returns (model, history, metrics)."""
    cfg = resolve(preset, **overrides)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    parts = prepare(cfg, seed, data_dir, arrays)  # ``dataset`` is a setting (a name)
    classes = parts["classes"]
    check_layer_sizes(cfg["layer_sizes"], parts["X_train"].shape[1], len(classes))
    net = Network(cfg["layer_sizes"], cfg["activation"], cfg["output_activation"], cfg["cost"],
                  cfg["initializer"], random_state=seed, dtype=cfg["dtype"])
    X_tr, Y_tr = parts["X_train"], data.one_hot(parts["y_train"], classes)
    validation = None
    if cfg["early_stopping"]:
        validation = (parts["X_val"], data.one_hot(parts["y_val"], classes))
    meta = {k: cfg[k] for k in ("preset", "dataset", "optimizer", "learning_rate", "iterations",
                                "epochs", "batch_size", "l2", "dropout", "scaler", "test_size")}
    meta["seed"] = int(seed)
    model = TrainedModel(net, parts["mean"], parts["scale"], classes, meta)
    try:
        history = train(net, X_tr, Y_tr, iterations=cfg["iterations"], epochs=cfg["epochs"],
                        batch_size=cfg["batch_size"], optimizer=cfg["optimizer"],
                        learning_rate=cfg["learning_rate"], schedule=cfg["schedule"],
                        l2=cfg["l2"], dropout=cfg["dropout"], validation_data=validation,
                        early_stopping=cfg["early_stopping"], patience=cfg["patience"],
                        callbacks=callbacks, random_state=seed)
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


def evaluate(model: TrainedModel, X_raw, y):
    """Accuracy, confusion matrix and per-class precision/recall/F1 on raw inputs."""
    pred = model.predict(X_raw)
    labels = model.classes
    return {
        "test_accuracy": float(np.mean(pred == y)),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels),
        "report": classification_report(y, pred, labels=labels, digits=3, zero_division=0),
        "n_test": int(len(y)),
    }


def test_part(model: TrainedModel, data_dir=None):
    """The raw test inputs and labels of the split the model was trained with."""
    meta = model.metadata
    cfg = resolve(meta.get("preset", "tutorial"))
    cfg["dataset"] = meta.get("dataset", "digits")
    X, y, n_test = load_dataset(cfg["dataset"], data_dir)
    if n_test is not None:
        return X[-n_test:], y[-n_test:]
    _, X_te, _, y_te = data.split(X, y, int(meta.get("seed", 0)), meta.get("test_size", 0.4))
    return X_te, y_te
