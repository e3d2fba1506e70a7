"""Run folders: where a training run leaves its whole record, checkpoints, the ``latest`` link.

A run folder is ``runs/<timestamp>/`` holding

* ``model.npz``: the model (``neuralpath.load`` reads it);
* ``config.json``: the run's whole ``TrainConfig`` (``to_dict()``, as the model file holds it);
* ``metrics.csv``: one row per logged epoch (``History.log``: every epoch of a mini-batch run,
  every 10 iterations of a full-batch one) with the cost, validation cost, accuracy,
  learning rate and seconds;
* ``cost.png``: the cost curve; ``confusion.png``: the confusion matrix on the test part;
  ``errors.png``: the test images the model gets wrong, with their labels and its answers;
* ``checkpoint.npz`` (with ``--checkpoint-every``): the model with the training state
  (optimizer, random generator, history) that ``neuralpath train --resume`` continues from.

``runs/latest`` points at the newest folder of the command line (and of ``serve``'s first
start), which is the model a restarted ``neuralpath serve`` answers with. Every run, however
started (the command line, the live training page, ``serve``'s first start), is saved here the
same way, through ``pipeline.save_run``; the page's runs leave ``latest`` where it is
(``move_latest=False``), so one learner's run never becomes the model of a whole class. Every
file is written atomically.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
import secrets
import shutil
import tempfile
from typing import Any

import numpy as np

from .model import TrainedModel, from_file_parts
from .model import save as save_model
from .persist import atomic_write, read_model_file, usual_mode, write_model_file
from .plots import confusion_figure, cost_curve, errors_figure, write_figure
from .signals import HeldSignals
from .training import History, TrainingState

CHECKPOINT = "checkpoint.npz"
METRICS_COLUMNS = ("epoch", "iteration", "cost", "val_cost", "accuracy", "learning_rate",
                   "seconds")


def new_run_dir(runs_dir: str = "runs") -> str:
    """A fresh ``runs_dir/<timestamp>`` path (not created yet) for one training run."""
    return os.path.join(runs_dir, datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))


def link_latest(run_dir: str) -> str:
    """Point ``<runs_dir>/latest`` at ``run_dir``: a symlink made under a name of its own
    (this process's id and random letters) and swapped in with os.replace, so latest is never
    missing and processes updating it at once never collide; where symlinks are not allowed,
    a copy. Returns its path."""
    folder = os.path.dirname(os.path.abspath(run_dir))
    latest = os.path.join(os.path.dirname(os.path.normpath(run_dir)), "latest")
    if os.path.abspath(latest) == os.path.abspath(run_dir):
        return latest  # resuming runs/latest itself: it already is the newest
    tmp = os.path.join(folder, f".latest-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.symlink(os.path.basename(os.path.normpath(run_dir)), tmp)
    except OSError:  # no symlinks on this file system: copy instead
        shutil.copytree(run_dir, tmp, symlinks=True)
    try:
        if os.path.isdir(latest) and not os.path.islink(latest):
            shutil.rmtree(latest, ignore_errors=True)  # a copy: replaced by the new one
        os.replace(tmp, latest)
    except OSError:
        if os.path.islink(tmp) or not os.path.isdir(tmp):
            os.unlink(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return latest


def save_run(model: TrainedModel, run_dir: str, history: History | None = None,
             title: str | None = None, test: tuple[Any, Any] | None = None, *,
             move_latest: bool = True) -> dict[str, str]:
    """Save a run into ``run_dir`` and (``move_latest``) point ``latest`` at it.

    The run's files are written into a temporary folder first (beside ``run_dir``, or inside
    it when it exists already: a resumed run, or one with checkpoints), then moved into place
    (a rename), and only then is ``latest`` pointed at it: a failure part way (a full disk)
    leaves no empty or partial run folder and ``latest`` where it was, and raises
    ``OSError`` naming ``run_dir``'s file.

    Parameters
    ----------
    model : TrainedModel
        Written as ``model.npz``, its config as ``config.json``.
    history : History, optional
        Gives ``metrics.csv`` and ``cost.png``.
    title : str, optional
        The cost curve's title.
    test : (X_raw, y), optional
        The raw test inputs and labels: give ``confusion.png`` and ``errors.png``.
    move_latest : bool, default True
        Point ``latest`` at the new folder. False leaves ``latest`` as it is (the live
        training page's runs: ``latest`` is the model a restarted ``serve`` answers with).

    Returns
    -------
    dict
        The paths written, by kind (``model``, ``config``, ``metrics``, ``cost``,
        ``confusion``, ``errors``), and ``latest`` (None when it could not be updated or
        was not asked for).
    """
    exists = os.path.isdir(run_dir)
    parent = os.path.dirname(os.path.abspath(run_dir))
    build = None
    try:
        os.makedirs(parent, exist_ok=True)
        build = tempfile.mkdtemp(prefix=".tmp-", dir=run_dir if exists else parent)
        written = _write_run(model, build, history, title, test)
        with HeldSignals():  # the folder is complete or not there: never half moved
            if exists:
                for name in written.values():
                    os.replace(os.path.join(build, name), os.path.join(run_dir, name))
                os.rmdir(build)
            else:
                os.chmod(build, usual_mode(0o777))  # mkdtemp makes the folder 0700
                os.rename(build, run_dir)
            build = None
    except OSError as exc:
        reason = str(exc) if build is None else str(exc).replace(build, run_dir)
        raise OSError(reason if reason.startswith("cannot write") else
                      f"cannot write {run_dir}: {exc.strerror or reason}") from None
    finally:
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)
    paths: dict[str, Any] = {kind: os.path.join(run_dir, name) for kind, name in written.items()}
    paths["latest"] = None
    if move_latest:
        try:
            paths["latest"] = link_latest(run_dir)
        except OSError:  # the run is complete where it is; only the link could not be made
            pass
    return paths


def _write_run(model: TrainedModel, folder: str, history: History | None, title: str | None,
               test: tuple[Any, Any] | None) -> dict[str, str]:
    """The run's files written into ``folder``; returns their names, by kind."""
    names = {"model": os.path.basename(save_model(model, os.path.join(folder, "model.npz")))}
    if model.config is not None:
        names["config"] = os.path.basename(
            write_config(model.config.to_dict(), os.path.join(folder, "config.json")))
    if history is not None:
        names["metrics"] = os.path.basename(
            write_metrics(history, os.path.join(folder, "metrics.csv")))
        names["cost"] = os.path.basename(
            write_figure(cost_curve(history, title), os.path.join(folder, "cost.png")))
    if test is not None:
        names.update({kind: os.path.basename(path)
                      for kind, path in write_test_figures(model, *test, folder).items()})
    return names


def write_config(config: dict[str, Any], path: str) -> str:
    """``config`` (``TrainConfig.to_dict()``) as indented JSON, atomically; returns the path."""
    text = json.dumps(config, indent=2) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode()))


def write_metrics(history: History, path: str) -> str:
    """``history.log`` as CSV, columns ``METRICS_COLUMNS`` (empty where a value does not
    exist, e.g. the validation cost of a run without validation); returns the path."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(METRICS_COLUMNS)
    for row in history.log:
        writer.writerow(["" if row[k] is None else _plain(row[k]) for k in METRICS_COLUMNS])
    return atomic_write(path, lambda f: f.write(buf.getvalue().encode()))


def read_metrics(path: str) -> list[dict[str, float | None]]:
    """The rows of a ``metrics.csv`` as dicts of numbers (None where empty)."""
    with open(path, newline="") as f:
        return [{k: (float(v) if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(f)]


def write_test_figures(model: TrainedModel, X_raw: Any, y: Any, run_dir: str) -> dict[str, str]:
    """``confusion.png`` and ``errors.png`` of ``model`` on the raw test part (X_raw, y)."""
    from sklearn.metrics import confusion_matrix
    X_raw, y = np.asarray(X_raw), np.asarray(y)
    answers = model.predict(X_raw)
    matrix = confusion_matrix(y, answers, labels=model.classes)
    accuracy = float(np.mean(answers == y))
    wrong = np.flatnonzero(answers != y)
    return {
        "confusion": write_figure(
            confusion_figure(matrix, [str(c) for c in model.classes],
                             f"confusion matrix: {accuracy:.2%} of {len(y)} right"),
            os.path.join(run_dir, "confusion.png")),
        "errors": write_figure(errors_figure(X_raw[wrong], y[wrong], answers[wrong], len(y)),
                               os.path.join(run_dir, "errors.png")),
    }


# -- checkpoints: a model file that also holds the training state ----------------------------


def save_checkpoint(model: TrainedModel, state: TrainingState, run_dir: str) -> str:
    """Write ``run_dir/checkpoint.npz`` atomically: ``model`` (its scaler, classes, config)
    with the weights of ``state``, and the rest of ``state`` (the optimizer's arrays and
    counters, the generator's state, the history, early stopping's best weights).

    The file is a model file too: ``neuralpath.load`` reads the weights reached so far.
    """
    net = model.network
    n = len(net.W)
    W, b = state.params[:n], state.params[n:]
    extras = dict(scaler_mean=model.scaler_mean, scaler_scale=model.scaler_scale,
                  classes=model.classes.astype(str) if model.classes.dtype == object
                  else model.classes)
    buffers = state.optimizer["buffers"]
    for k, kind in enumerate(buffers):
        extras.update({f"state_optimizer_{k}_{i}": a for i, a in enumerate(kind)})
    if state.best is not None:
        extras.update({f"state_best_{i}": a for i, a in enumerate(state.best["params"])})
    counters = {k: v for k, v in state.optimizer.items() if k != "buffers"}
    meta = dict(model.metadata)
    meta.update(layer_sizes=net.layer_sizes, activation=net.activation.name,
                output_activation=net.output_activation.name, cost=net.cost.name,
                initializer=net.initializer, dtype=net.dtype.name,
                config=None if model.config is None else model.config.to_dict(),
                training_state=_plain(dict(
                    optimizer_counters=counters, optimizer_buffers=len(buffers),
                    rng=state.rng, history=state.history.as_dict(),
                    best=None if state.best is None else dict(
                        cost=state.best["cost"], since=state.best["since"],
                        count=len(state.best["params"])))))
    return write_model_file(os.path.join(run_dir, CHECKPOINT), W, b, extras, meta)


def load_checkpoint(run_dir: str) -> tuple[TrainedModel, TrainingState]:
    """The model and ``TrainingState`` that ``save_checkpoint`` wrote into ``run_dir``.

    ``FileNotFoundError`` naming the file when the folder has no checkpoint.
    """
    path = os.path.join(run_dir, CHECKPOINT)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint in {run_dir} (expected {path}; train with "
                                "--checkpoint-every N to write one)")
    W, b, extras, meta = read_model_file(path)
    info = meta.get("training_state")
    if not isinstance(info, dict):
        raise ValueError(f"{path} holds no training state (it is a model file, not a checkpoint)")
    model = from_file_parts(path, W, b, extras, dict(meta))
    model.metadata.pop("training_state", None)
    buffers = [[extras[f"state_optimizer_{k}_{i}"] for i in range(len(W) + len(b))]
               for k in range(info["optimizer_buffers"])]
    best = info["best"]
    if best is not None:
        best = dict(cost=best["cost"], since=best["since"],
                    params=[extras[f"state_best_{i}"] for i in range(best["count"])])
    state = TrainingState(params=list(W) + list(b),
                          optimizer={"buffers": buffers, **info["optimizer_counters"]},
                          rng=info["rng"], history=History(**info["history"]), best=best)
    return model, state


def _plain(value: Any) -> Any:
    """``value`` with NumPy scalars turned into Python ones, through dicts and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
