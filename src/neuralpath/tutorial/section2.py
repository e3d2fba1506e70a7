"""Section 2, "The structure of an ANN": the data behind the sigmoid plots of 2.1 and 2.3.

The listings call ``plt.plot`` straight away; here each returns what it would plot, so the
numbers can be checked and drawn anywhere (``neuralpath.tutorial.figures`` draws them).
The formulas are the text's: ``1 / (1 + np.exp(-x))``, which is safe on -8..8.
"""
import numpy as np


def sigmoid_curve():
    """2.1: x = np.arange(-8, 8, 0.1) and f = 1 / (1 + exp(-x)); returns (x, f)."""
    x = np.arange(-8, 8, 0.1)
    f = 1 / (1 + np.exp(-x))
    return x, f


def weight_curves():
    """2.3, figure 4: one node, no bias, w = 0.5, 1.0, 2.0; returns x and [(label, f)]."""
    x = np.arange(-8, 8, 0.1)
    w1 = 0.5
    w2 = 1.0
    w3 = 2.0
    l1 = 'w = 0.5'
    l2 = 'w = 1.0'
    l3 = 'w = 2.0'
    curves = []
    for w, l in [(w1, l1), (w2, l2), (w3, l3)]:
        f = 1 / (1 + np.exp(-x*w))
        curves.append((l, f))
    return x, curves


def bias_curves():
    """2.3, figure 6: w = 5 and b = -8, 0, 8; returns x and [(label, f)].

    The bias moves the point where the node "switches on" (f = 0.5) to x = -b / w.
    """
    x = np.arange(-8, 8, 0.1)
    w = 5.0
    b1 = -8.0
    b2 = 0.0
    b3 = 8.0
    l1 = 'b = -8.0'
    l2 = 'b = 0.0'
    l3 = 'b = 8.0'
    curves = []
    for b, l in [(b1, l1), (b2, l2), (b3, l3)]:
        f = 1 / (1 + np.exp(-(x*w+b)))
        curves.append((l, f))
    return x, curves
