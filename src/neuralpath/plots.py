"""Figures of a training run as matplotlib ``Figure`` objects: cost curve, confusion matrix,
the test images it gets wrong.

Figures are made with ``matplotlib.figure.Figure``, not pyplot: nothing here touches pyplot's
global state or switches the user's backend, and a figure shows inline in a notebook.
``write_figure`` writes one as PNG, atomically. The tutorial's own figures (sections 2-5) are
drawn by ``neuralpath.tutorial.figures``.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .persist import atomic_write


def cost_curve(history: Any, title: str | None = None) -> Figure:
    """J per iteration (the tutorial's ``avg_cost_func``); with validation, the per-epoch
    training and validation cost and the validation accuracy beside it."""
    validating = bool(history.val_cost)
    fig = Figure(figsize=(11 if validating else 6, 4))
    axes = fig.subplots(1, 2 if validating else 1, squeeze=False)[0]
    ax = axes[0]
    ax.plot(np.arange(1, len(history.cost) + 1), history.cost, lw=1)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title or "cost per iteration")
    ax.grid(alpha=0.3)
    if validating:
        ep = np.arange(1, len(history.val_cost) + 1)
        ax2 = axes[1]
        ax2.plot(ep, history.train_cost[:len(ep)], label="training cost")
        ax2.plot(ep, history.val_cost, label="validation cost")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("cost")
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs: 1, 2, 3, never 1.5
        handles, labels = ax2.get_legend_handles_labels()
        if history.best_epoch is not None:
            handles.append(ax2.axvline(history.best_epoch + 1, color="grey", ls="--"))
            labels.append("best epoch (weights kept)")
        if history.val_accuracy and history.val_accuracy[0] is not None:
            ax3 = ax2.twinx()
            (line,) = ax3.plot(ep, history.val_accuracy, color="tab:green")
            ax3.set_ylabel("validation accuracy")
            ax3.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))  # as the other figures
            handles.append(line)
            labels.append("validation accuracy")
        # one legend under the plot, where it hides no curve
        ax2.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
        ax2.grid(alpha=0.3)
    return fig


def confusion_figure(matrix: np.ndarray, labels: Sequence[Any],
                     title: str = "confusion matrix") -> Figure:
    """The confusion matrix as a picture: rows true labels, columns predicted, counts shown."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > matrix.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


def write_figure(fig: Figure, path: str | os.PathLike, dpi: int = 100) -> str:
    """Write a matplotlib ``Figure`` to ``path`` as PNG, atomically; returns the path."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def errors_figure(images: np.ndarray, labels: Sequence[Any] | np.ndarray,
                  answers: Sequence[Any] | np.ndarray,
                  total: int | None = None, limit: int = 40) -> Figure:
    """The test images a model gets wrong, each titled with its label and the model's answer.

    Parameters
    ----------
    images : array (k, side * side)
        The misclassified inputs, raw pixels, one square image per row.
    labels, answers : sequences of k labels
        The true label of each image and what the model answered.
    total : int, optional
        How many test images there were, for the title.
    limit : int
        At most this many are drawn (the first ones); the title says how many there are.
    """
    images = np.asarray(images, dtype=np.float64)
    k = len(images)
    shown = min(k, limit)
    cols = min(10, max(1, shown))
    rows = max(1, math.ceil(shown / cols))
    fig = Figure(figsize=(1.2 * cols, 1.35 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False)
    side = int(round(math.sqrt(images.shape[1]))) if k else 1
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < shown:
            ax.imshow(images[i].reshape(side, side), cmap="gray_r")
            ax.set_title(f"{labels[i]} as {answers[i]}", fontsize=8)
    of = f" of {total}" if total is not None else ""
    more = f" (first {shown} shown)" if shown < k else ""
    fig.suptitle(f"{k} test images{of} wrong: true label as the model's answer{more}",
                 fontsize=9)
    return fig
