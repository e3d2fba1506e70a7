"""Activation functions f and their derivatives f', in one table keyed by name.

Each entry holds ``f(z, out)`` and ``deriv(z, h, out)``. The derivative receives both the
summed input ``z`` and the output ``h = f(z)``, so it can use whichever is cheaper: the
sigmoid's derivative is ``h (1 - h)`` (tutorial 4.5), with no second exponential.
Every function writes into ``out`` when it is given, so the training loop allocates nothing.

``softmax`` is an output activation only: its Jacobian is not diagonal, so it has no
element-wise ``deriv``; costs.py handles it (with cross-entropy, delta = h - y).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit

LEAKY_SLOPE = 0.01


class Activation(NamedTuple):
    name: str
    f: Callable  # f(z, out=None) -> h
    deriv: Callable | None  # deriv(z, h, out=None) -> f'(z), element-wise


def _out(z, out):
    return np.empty_like(z) if out is None else out


def sigmoid(z, out=None):
    """f(z) = 1 / (1 + exp(-z)) (tutorial 2.1).

    Written as scipy's ``expit``: the textbook formula overflows in ``exp(-z)`` for
    z < -709 (float64) and warns; expit saturates cleanly to exactly 0 and 1.
    """
    return expit(z, out=_out(z, out))


def sigmoid_deriv(z, h, out=None):
    # tutorial 4.5: f'(z) = f(z) (1 - f(z)), computed from the stored output h
    out = np.subtract(1.0, h, out=_out(h, out))
    out *= h
    return out


def tanh(z, out=None):
    return np.tanh(z, out=_out(z, out))


def tanh_deriv(z, h, out=None):
    # 1 - tanh(z)^2, from the output
    out = np.multiply(h, h, out=_out(h, out))
    np.subtract(1.0, out, out=out)
    return out


def relu(z, out=None):
    return np.maximum(z, 0.0, out=_out(z, out))


def relu_deriv(z, h, out=None):
    # f'(0) is taken as 0, as most libraries do
    return np.greater(z, 0.0, out=_out(z, out))


def leaky_relu(z, out=None):
    out = np.multiply(z, LEAKY_SLOPE, out=_out(z, out))
    return np.maximum(z, out, out=out)


def leaky_relu_deriv(z, h, out=None):
    out = np.greater(z, 0.0, out=_out(z, out))  # 1 where z > 0, else 0
    out *= 1.0 - LEAKY_SLOPE
    out += LEAKY_SLOPE
    return out


def identity(z, out=None):
    if out is None:
        return z.copy()
    np.copyto(out, z)
    return out


def identity_deriv(z, h, out=None):
    out = _out(z, out)
    out.fill(1.0)
    return out


def softmax(z, out=None):
    """Row-wise softmax; the row maximum is subtracted first so exp never overflows."""
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=_out(z, out))
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_deriv),
    "tanh": Activation("tanh", tanh, tanh_deriv),
    "relu": Activation("relu", relu, relu_deriv),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_deriv),
    "identity": Activation("identity", identity, identity_deriv),
    "softmax": Activation("softmax", softmax, None),
}
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "identity", "tanh")


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        ) from None
