"""Run folders: where a training run leaves its record, and the ``latest`` link.

A run folder is ``runs/<timestamp>/`` holding ``model.npz`` and ``cost.png``; ``runs/latest``
points at the newest one. The command line and the web page both save their runs here, the
same way.
"""
from __future__ import annotations

import datetime
import os
import shutil
from typing import Any

from .model import TrainedModel
from .model import save as save_model
from .plots import cost_curve, write_figure


def new_run_dir(runs_dir: str = "runs") -> str:
    """A fresh ``runs_dir/<timestamp>`` path (not created yet) for one training run."""
    return os.path.join(runs_dir, datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))


def link_latest(run_dir: str) -> str:
    """Point ``<runs_dir>/latest`` at ``run_dir``: a symlink swapped in with os.replace, so
    latest is never missing; where symlinks are not allowed, a copy. Returns its path."""
    latest = os.path.join(os.path.dirname(run_dir), "latest")
    tmp = latest + ".tmp"
    try:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.basename(run_dir), tmp)
        if os.path.isdir(latest) and not os.path.islink(latest):
            shutil.rmtree(latest)
        os.replace(tmp, latest)
    except OSError:  # no symlinks on this file system: copy instead
        shutil.rmtree(latest, ignore_errors=True)
        shutil.copytree(run_dir, latest)
    return latest


def save_run(model: TrainedModel, run_dir: str, history: Any = None,
             title: str | None = None) -> dict[str, str]:
    """Save a run into ``run_dir``: ``model.npz``, and ``cost.png`` when the ``history`` is
    given; then point ``latest`` at it. Returns the paths written, by kind, and ``latest``."""
    paths = {"model": save_model(model, os.path.join(run_dir, "model.npz"))}
    if history is not None:
        paths["cost"] = write_figure(cost_curve(history, title),
                                     os.path.join(run_dir, "cost.png"))
    paths["latest"] = link_latest(run_dir)
    return paths
