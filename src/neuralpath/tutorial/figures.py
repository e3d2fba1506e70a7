"""The tutorial's figures, drawn from the section modules' data.

Each ``*_figure`` function returns a ``matplotlib.figure.Figure`` made without pyplot, so it
leaks no global state and shows inline in a notebook; ``save`` writes one as PNG through
``neuralpath.plots.write_figure`` (atomic). ``FIGURES`` names each figure's file and its
size in inches; at ``DPI`` dots per inch that is its size in pixels, less the white margin
that ``write_figure`` trims and plus the 0.1 inch it pads.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from . import section2, section4

DPI = 100

# key -> (file name, (width, height) in inches)
FIGURES = {
    "sigmoid": ("fig01_sigmoid.png", (6.0, 4.0)),
    "weights": ("fig04_weights.png", (6.0, 4.0)),
    "bias": ("fig06_bias.png", (6.0, 4.0)),
    "descent_1d": ("fig08_descent_1d.png", (11.0, 4.0)),
    "descent_2d": ("fig09_descent_2d.png", (6.0, 5.0)),
    "digit": ("fig13_digit_1.png", (4.0, 4.0)),
    "cost": ("fig_cost_tutorial.png", (6.0, 4.0)),
}


def _figure(key):
    return Figure(figsize=FIGURES[key][1], layout="constrained")


def sigmoid_figure() -> Figure:
    """2.1: the sigmoid from -8 to 8."""
    x, f = section2.sigmoid_curve()
    fig = _figure("sigmoid")
    ax = fig.add_subplot()
    ax.plot(x, f)
    ax.set_xlabel('x')
    ax.set_ylabel('f(x)')
    ax.set_title("2.1  the sigmoid f(x) = 1 / (1 + exp(-x))")
    ax.grid(alpha=0.3)
    return fig


def _curves_figure(key, data, ylabel, title):
    x, curves = data
    fig = _figure(key)
    ax = fig.add_subplot()
    for label, f in curves:
        ax.plot(x, f, label=label)
    ax.set_xlabel('x')
    ax.set_ylabel(ylabel)
    ax.legend(loc=2)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig


def weights_figure() -> Figure:
    """2.3, figure 4: the weight changes the slope."""
    return _curves_figure("weights", section2.weight_curves(), 'h_w(x)',
                          "figure 4  effect of adjusting the weight")


def bias_figure() -> Figure:
    """2.3, figure 6: the bias moves where the node switches on."""
    return _curves_figure("bias", section2.bias_curves(), 'h_wb(x)',
                          "figure 6  effect of the bias (w = 5)")


def descent_1d_figure(iterates: Any = None) -> Figure:
    """4.1: the iterates of the toy drawn over f(x) = x^4 - 3x^3 + 2, whole and close up."""
    if iterates is None:
        iterates = section4.gradient_descent_toy()[1]
    xs = np.asarray(iterates, dtype=float)
    fig = _figure("descent_1d")
    left, right = fig.subplots(1, 2)
    for ax, (lo, hi) in ((left, (min(xs.min(), 0.0) - 0.3, xs.max() + 0.3)),
                         (right, (0.3, 2.7))):
        grid = np.linspace(lo, hi, 400)
        ax.plot(grid, section4.toy_function(grid), color="tab:blue", label="f(x)")
        shown = xs[(xs >= lo) & (xs <= hi)]
        ax.plot(shown, section4.toy_function(shown), "o-", color="tab:red", ms=3, lw=0.8,
                label=f"iterates ({len(xs) - 1} steps)")
        ax.plot([2.25], [section4.toy_function(2.25)], "kx", ms=10, mew=2,
                label="minimum x = 2.25")
        ax.set_xlim(lo, hi)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
    left.set_title(f"4.1  from x = {xs[0]:g}: the first step lands at {xs[1]:.2f}")
    right.set_title(f"close up: reaches {xs[-1]:.6f}")
    right.legend(loc="upper left")
    return fig


def descent_2d_figure(points: Any = None) -> Figure:
    """4.4, figure 9: contours of the bowl and the steps p1 -> p2 -> p3 -> p4."""
    if points is None:
        points = section4.bowl_descent()[0]
    points = np.asarray(points, dtype=float)
    fig = _figure("descent_2d")
    ax = fig.add_subplot()
    reach = 1.2 * max(np.abs(points).max(), 1.0)
    g1, g2 = np.meshgrid(np.linspace(-reach, reach, 200), np.linspace(-reach, reach, 200))
    ax.contour(g1, g2, section4.bowl(g1, g2), levels=12, colors="tab:blue", linewidths=0.8)
    for p, q in zip(points[:-1], points[1:]):
        ax.annotate("", xy=q, xytext=p, arrowprops=dict(arrowstyle="->", color="black"))
    ax.plot(points[:, 0], points[:, 1], "o", color="tab:red")
    for k, p in enumerate(points):
        ax.annotate(f"p{k + 1}", p, textcoords="offset points", xytext=(6, 6))
    ax.plot([0], [0], "kx", ms=10, mew=2)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal")
    ax.set_title("figure 9  two-dimensional gradient descent")
    return fig


def digit_figure(image: Any) -> Figure:
    """Section 5, figure 13: one 8x8 digits image in grey (``plt.gray(); plt.matshow``)."""
    fig = _figure("digit")
    ax = fig.add_subplot()
    ax.matshow(np.asarray(image, dtype=float).reshape(8, 8), cmap="gray")
    ax.set_title('figure 13  digits.images[1], a "1"')
    return fig


def cost_figure(cost: Any, label: str = "cost J") -> Figure:
    """5.4: the cost per iteration of gradient descent."""
    fig = _figure("cost")
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(cost) + 1), cost)
    ax.set_xlabel("iteration number")
    ax.set_ylabel(label)
    ax.set_title(f"5.4  the tutorial preset, {len(cost)} iterations")
    ax.grid(alpha=0.3)
    return fig


def save(fig: Figure, key: str, out_dir: str) -> str:
    """Write ``fig`` as ``out_dir/FIGURES[key][0]``; returns the path."""
    from ..plots import write_figure
    return write_figure(fig, os.path.join(out_dir, FIGURES[key][0]), dpi=DPI)
