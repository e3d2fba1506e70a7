"""Figures with matplotlib's Agg backend (no screen needed): cost curve, confusion matrix.

Every function writes a PNG atomically and returns its path. The tutorial's own figures
(sections 2-5) are drawn by ``neuralpath.tutorial``.
"""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .persist import atomic_write  # noqa: E402


def save_figure(fig, path, dpi=100):
    """Write ``fig`` to ``path`` as PNG atomically and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def cost_curve(history, path, title=None):
    """J per iteration; with validation, the per-epoch training and validation cost and the
    validation accuracy beside it."""
    validating = bool(history.val_cost)
    fig, axes = plt.subplots(1, 2 if validating else 1, figsize=(11 if validating else 6, 4))
    ax = axes[0] if validating else axes
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
        handles, labels = ax2.get_legend_handles_labels()
        if history.best_epoch is not None:
            handles.append(ax2.axvline(history.best_epoch + 1, color="grey", ls="--"))
            labels.append("best epoch (weights kept)")
        if history.val_accuracy and history.val_accuracy[0] is not None:
            ax3 = ax2.twinx()
            (line,) = ax3.plot(ep, history.val_accuracy, color="tab:green")
            ax3.set_ylabel("validation accuracy")
            handles.append(line)
            labels.append("validation accuracy")
        # one legend under the plot, where it hides no curve
        ax2.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
        ax2.grid(alpha=0.3)
    return save_figure(fig, path)


def confusion_figure(matrix, labels, path, title="confusion matrix"):
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > matrix.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return save_figure(fig, path)
