"""From a ``TrainConfig`` to a trained, evaluated model and its run folder, in four steps.

1. ``prepare(cfg)``: the data set, split, scaled (and augmented): a dict of "parts";
2. ``build(cfg, parts, preset)``: the untrained ``TrainedModel`` (``Network.from_config``);
3. ``fit(model, parts, callbacks=...)``: ``training.train`` on the parts -> ``History``;
4. ``finish(model, history, parts)``: the metrics; ``save_run(...)``: the run folder.

This is the one road from a config to a model: the command line (through ``train_config``,
the steps composed), the live training page (the steps one by one: it prepares and builds in
the request, fits in a worker thread), ``serve``'s first start (``train_preset``), the
contention benchmark and the tutorial walkthrough call these, so every entry point prepares
data, builds the network and leaves its run folder the same way.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import data
from .config import TrainConfig
from .errors import TrainingDiverged
from .model import TrainedModel
from .network import Network, is_row_source
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
    augmentation, else None), the raw test inputs, the scaler's mean and scale and the labels.

    ``X_train`` is a ``data.ImageRows``: the training images as they were read (uint8 for
    IDX files) and the scaler, from which the training loop takes each batch, scaled in the
    config's dtype and, with ``augment``, shifted as it is taken (its rows are those of
    ``data.shift_augment``, in the same order); nothing of size images x copies is made.
    ``y_train`` holds the label of each of its rows. With ``augment_drawings`` it is an
    ``augment.DrawingRows`` instead: the training images, printed digits and made-up
    drawings, varied copies of each made batch by batch from (seed, row) alone.
    """
    X, y, n_test = load_data(cfg, data_dir, arrays)
    if n_test is None:  # tutorial 5.2: a random split with the run's seed
        X_tr, X_te, y_tr, y_te = data.split(X, y, cfg.seed, cfg.test_size)
    else:  # the data set's own test part: its last n_test rows (views, no copy)
        X_tr, X_te, y_tr, y_te = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]
    mean, scale = data.SCALERS[cfg.scaler](X, X_tr)
    X_val = y_val = None
    if cfg.early_stopping:  # hold validation rows out before any shifted copies exist
        from sklearn.model_selection import train_test_split  # (1.7 s of imports: not before)
        X_tr, X_val, y_tr, y_val = train_test_split(
            X_tr, y_tr, test_size=cfg.validation_fraction, random_state=cfg.seed,
            stratify=y_tr)
        X_val = np.asarray(data.ImageRows(X_val, mean, scale), cfg.dtype)
    rows: Any
    if cfg.augment_drawings:  # issues 13, 26: varied copies, print, made-up drawings (8x8 only)
        from .augment import DrawingRows
        if X.shape[1] != 64:
            raise ValueError("augment_drawings needs the digits' 8x8 inputs (64 features), "
                             f"got {X.shape[1]} features")
        labels = np.unique(y)
        if labels.dtype.kind not in "iu" or not np.array_equal(labels, np.arange(10)):
            shown = ", ".join(map(str, labels[:12])) + (", ..." if len(labels) > 12 else "")
            raise ValueError("augment_drawings adds printed and drawn digits 0..9: the labels "
                             f"must be the ten digits 0..9, got {shown}")
        rows = DrawingRows(X_tr, y_tr, mean, scale, cfg.seed)
        y_tr = rows.labels  # the label of each item: the images', the glyphs', the drawings'
    else:
        side = int(round(np.sqrt(X.shape[1])))
        if cfg.augment and side * side != X.shape[1]:
            raise ValueError(f"augment shifts square images; {X.shape[1]} features are not")
        rows = data.ImageRows(X_tr, mean, scale, shifts=cfg.augment)
    return dict(X_train=rows, y_train=np.tile(y_tr, rows.copies), X_val=X_val, y_val=y_val,
                X_test=np.asarray(data.ImageRows(X_te, mean, scale), cfg.dtype), y_test=y_te,
                X_test_raw=X_te, mean=mean, scale=scale, classes=np.unique(y))


def check_layer_sizes(sizes: Sequence[int], n_features: int, n_classes: int) -> None:
    """The first layer must take the data's features and the last give one node per class."""
    if sizes[0] != n_features:
        raise ValueError(f"layer_sizes must start with the number of input features "
                         f"({n_features}), got {sizes[0]}")
    if sizes[-1] != n_classes:
        raise ValueError(f"layer_sizes must end with the number of classes ({n_classes}), "
                         f"got {sizes[-1]}")


# arrays the size of all the weights that training keeps: W and b, the gradients, the weights
# before the last step (divergence), L2's scratch, the best epoch's (early stopping) and the
# optimizer's buffers; and arrays of a batch's layers: z, b in every row, h, f'(z), delta
_OPTIMIZER_BUFFERS = {"gd": 1, "momentum": 2, "nesterov": 2, "adam": 3}
_BATCH_ARRAYS = 6


def memory_needed(cfg: TrainConfig, m: int) -> int:
    """Bytes that training ``cfg`` on ``m`` rows allocates, roughly (a lower bound)."""
    sizes = cfg.layer_sizes
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    copies = 4 + _OPTIMIZER_BUFFERS.get(cfg.optimizer, 3) + (1 if cfg.early_stopping else 0)
    batch = m if cfg.batch_size is None else min(cfg.batch_size, m)
    itemsize = np.dtype(cfg.dtype).itemsize
    # the initializer draws the weights in float64 before they take the network's dtype
    return n_params * (copies * itemsize + 8) + batch * sum(sizes[1:]) * _BATCH_ARRAYS * itemsize


def memory_available() -> int | None:
    """Bytes this machine can still give (MemAvailable on Linux), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(cfg: TrainConfig, m: int) -> None:
    """``ValueError`` naming layer_sizes when training would need more memory than the
    machine has available, before anything that large is allocated."""
    need, have = memory_needed(cfg, m), memory_available()
    if have is not None and need > have:
        raise ValueError(f"layer_sizes {cfg.layer_sizes} would need about {_bytes(need)} of "
                         f"memory to train on {m} rows ({cfg.dtype}); this machine has "
                         f"{_bytes(have)} available")


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# -- the steps: prepare (above), build, fit, finish; every front end calls these -------------


def build(cfg: TrainConfig, parts: dict[str, Any], preset: str | None = None) -> TrainedModel:
    """Step 2: the untrained model ``cfg`` describes for the data ``parts`` (from ``prepare``).

    The sizes are checked against the data and the machine's memory first (``ValueError``
    naming layer_sizes), so nothing too large is allocated; the network itself comes from
    ``Network.from_config``, the one place a config becomes a network. The model carries the
    scaler and labels of ``parts`` and ``preset``'s name (for the record).
    """
    classes = parts["classes"]
    check_layer_sizes(cfg.layer_sizes, parts["X_train"].shape[1], len(classes))
    check_memory(cfg, parts["X_train"].shape[0])
    return TrainedModel(Network.from_config(cfg), parts["mean"], parts["scale"], classes,
                        {"preset": preset}, cfg)


def fit(model: TrainedModel, parts: dict[str, Any], callbacks: Sequence[Any] = (),
        **train_options: Any) -> History:
    """Step 3: train ``model``'s network in place on ``parts``, as its config says.

    ``train_options`` go to ``training.train`` (``resume``, ``checkpoint_every``,
    ``handle_interrupt``, ...), except that ``checkpoint`` is called as
    ``checkpoint(model, state)``, with the model to save. A callback may raise
    ``training.StopTraining`` to end the run early: the history so far
    comes back. ``TrainingDiverged`` carries ``.model``: the model
    with the last weights whose cost was finite, for the caller to keep.
    """
    cfg, classes = model.config, parts["classes"]
    if cfg is None:
        raise ValueError("fit needs a model made by build (with its config), got one without")
    validation = None
    if cfg.early_stopping:
        validation = (parts["X_val"], data.one_hot(parts["y_val"], classes))
    save = train_options.pop("checkpoint", None)
    if save is not None:
        train_options["checkpoint"] = lambda state: save(model, state)
    X, y = parts["X_train"], parts["y_train"]
    if is_row_source(X):  # its rows are copies of its m images: y's first m labels
        Y: Any = data.OneHotRows(y[:X.m], classes, X.copies)
    else:
        Y = data.one_hot(y, classes)
    try:
        history = train(model.network, X, Y, cfg, validation_data=validation,
                        callbacks=callbacks, **train_options)
    except TrainingDiverged as exc:
        model.metadata.update(iterations_run=exc.history.iterations, stopped="diverged")
        exc.model = model  # holds the last finite weights, for the caller to keep
        raise
    model.metadata.update(iterations_run=history.iterations, stopped=history.stopped)
    return history


def finish(model: TrainedModel, history: History, parts: dict[str, Any]) -> dict[str, Any]:
    """Step 4: the run's metrics (``evaluate`` on the test part, the train accuracy, the
    final cost and time), also recorded in the model's metadata."""
    metrics = evaluate(model, parts["X_test_raw"], parts["y_test"])
    metrics["train_accuracy"] = train_accuracy(model, parts)
    metrics["final_cost"] = history.cost[-1] if history.cost else None
    metrics["train_seconds"] = history.seconds
    model.metadata.update(test_accuracy=metrics["test_accuracy"],
                          train_accuracy=metrics["train_accuracy"])
    return metrics


def train_accuracy(model: TrainedModel, parts: dict[str, Any]) -> float:
    """The share of the training rows (with their copies) the model gets right, computed a
    few thousand rows at a time (``Network.predict_output`` takes them from ``ImageRows``)."""
    out = model.network.predict_output(parts["X_train"])  # (rows, s_nl)
    if out.shape[1] == 1:
        return accuracy(out, data.one_hot(parts["y_train"], parts["classes"]))
    truth = np.searchsorted(parts["classes"], parts["y_train"])
    return float(np.mean(out.argmax(axis=1) == truth))


def save_run(model: TrainedModel, history: History, parts: dict[str, Any], run_dir: str,
             title: str | None = None, *, move_latest: bool = True) -> dict[str, str]:
    """Step 4, on disk: the run's whole folder (``runs.save_run``: model, config, metrics,
    cost curve, and the confusion matrix and errors on the test part of ``parts``), and
    ``latest`` pointed at it unless ``move_latest`` is False (the live page's runs). Returns
    the paths written, by kind."""
    from .runs import save_run as write_run
    return write_run(model, run_dir, history, title, test=(parts["X_test_raw"], parts["y_test"]),
                     move_latest=move_latest)


# -- the steps composed -------------------------------------------------------------------------


def train_config(cfg: TrainConfig, callbacks: Sequence[Any] = (), data_dir: str | None = None,
                 arrays: tuple[Any, Any] | None = None, preset: str | None = None, *,
                 run_dir: str | None = None, title: str | None = None,
                 **train_options: Any) -> tuple[TrainedModel, History, dict[str, Any]]:
    """Train the network ``cfg`` describes on its data; returns (model, history, metrics):
    ``prepare``, ``build``, ``fit`` and ``finish`` in turn.

    ``preset`` names the preset ``cfg`` came from (stored in the model, for the record).
    ``train_options`` go to ``fit``. With ``run_dir`` the run's folder is written there
    (``save_run``, titled ``title``): ``metrics["paths"]`` holds the paths written, or, when
    the folder cannot be written, ``metrics["save_error"]`` says why (the model is kept).
    ``TrainingDiverged`` carries ``.model`` and, with ``run_dir``, ``.metrics`` of the last
    finite weights, whose run folder is written too.
    """
    parts = prepare(cfg, data_dir, arrays)
    model = build(cfg, parts, preset)
    try:
        history = fit(model, parts, callbacks, **train_options)
    except TrainingDiverged as exc:
        if run_dir is not None:  # the last finite weights are a run too: keep its folder
            exc.metrics = finish_run(model, exc.history, parts, run_dir, title)
        raise
    return model, history, finish_run(model, history, parts, run_dir, title)


def finish_run(model: TrainedModel, history: History, parts: dict[str, Any],
               run_dir: str | None, title: str | None, *,
               move_latest: bool = True) -> dict[str, Any]:
    """``finish``, then the run folder when ``run_dir`` is given (``latest`` pointed at it
    unless ``move_latest`` is False)."""
    metrics = finish(model, history, parts)
    if run_dir is not None:
        try:
            metrics["paths"] = save_run(model, history, parts, run_dir, title,
                                        move_latest=move_latest)
        except OSError as exc:
            metrics["save_error"] = f"{exc.strerror or exc}" + (
                f": {exc.filename}" if exc.filename else "")
    return metrics


def config_of(preset: str = "tutorial", seed: int = 0, **overrides: Any) -> TrainConfig:
    """The ``TrainConfig`` of ``preset`` with ``seed`` and ``overrides`` (any setting)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return resolve(preset, seed=int(seed), **overrides)


def train_preset(preset: str = "tutorial", seed: int = 0, callbacks: Sequence[Any] = (),
                 data_dir: str | None = None, arrays: tuple[Any, Any] | None = None, *,
                 run_dir: str | None = None, title: str | None = None,
                 **overrides: Any) -> tuple[TrainedModel, History, dict[str, Any]]:
    """Train a preset with ``overrides`` (any ``TrainConfig`` setting) and ``seed``; returns
    (model, history, metrics). The same as ``train_config(config_of(preset, seed, ...))``;
    ``run_dir`` and ``title`` as there."""
    return train_config(config_of(preset, seed, **overrides), callbacks, data_dir, arrays,
                        preset=preset, run_dir=run_dir, title=title)


def evaluate(model: TrainedModel, X_raw: Any, y: Any) -> dict[str, Any]:
    """Accuracy, confusion matrix and per-class precision/recall/F1 on raw inputs."""
    # scikit-learn is imported here, after training, not before the first step (1.7 s)
    from sklearn.metrics import classification_report, confusion_matrix
    pred = model.predict(X_raw)
    labels = model.classes
    return {
        "test_accuracy": float(np.mean(pred == y)),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels),
        "report": classification_report(y, pred, labels=labels, digits=3, zero_division=0),
        "n_test": int(len(y)),
    }


def dataset_of(model: TrainedModel) -> Any:
    """The data set a model's inputs fit (its recorded one first): a ``data.DATASETS`` entry;
    ``ValueError`` naming the inputs when no data set of neuralpath has them."""
    found = data.dataset_for_inputs(model.n_features, model.metadata.get("dataset"))
    if found is None:
        raise ValueError(f"this model takes {model.n_features} inputs, which no data set "
                         f"of neuralpath has ({', '.join(data.DATASETS)})")
    return found


def test_part(model: TrainedModel, data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The raw test inputs and labels of the split the model was trained with."""
    cfg = model.config
    if cfg is None:  # a model made without a config (e.g. by an estimator): its data set's
        cfg = PRESETS[dataset_of(model).default_preset]
    X, y, n_test = load_data(cfg, data_dir)
    if n_test is not None:
        return X[-n_test:], y[-n_test:]
    _, X_te, _, y_te = data.split(X, y, cfg.seed, cfg.test_size)
    return X_te, y_te
