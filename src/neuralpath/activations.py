"""Activation functions f and their derivatives f', in one table keyed by name.

Each entry holds ``f(z, out, buf)`` and ``deriv(z, h, out)``. The derivative receives both the
summed input ``z`` and the output ``h = f(z)``, so it can use whichever is cheaper: the
sigmoid's derivative is ``h (1 - h)`` (tutorial 4.5), with no second exponential.
Every function writes into ``out`` when it is given, so the training loop allocates nothing;
``buf``, a scratch array shaped like z, is for softmax, which needs one, and ignored by the rest.
Each works in the dtype of its input (float64 or float32).

``softmax`` is an output activation only: its Jacobian is not diagonal, so it has no
element-wise ``deriv``; costs.py handles it (with cross-entropy, delta = h - y).

Each record also says where the activation may stand (``hidden``, ``output``) and how its
outputs read as class scores (``normalised``: each row already sums to 1; ``classifies``: the
largest output names the class). Other modules read these fields instead of testing names, so
adding an activation is one entry here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

LEAKY_SLOPE = 0.01


class Activation(NamedTuple):
    """One activation function f and what the rest of the package needs to know about it."""

    name: str
    f: Callable  # f(z, out=None, buf=None) -> h
    deriv: Callable | None  # deriv(z, h, out=None) -> f'(z), element-wise; None: not element-wise
    hidden: bool = True  # may be a hidden layer's activation
    output: bool = True  # may be the output layer's activation
    normalised: bool = False  # each output row is already a probability distribution
    classifies: bool = True  # the largest output names the class (False: a regression output)


def _out(z, out):
    return np.empty_like(z) if out is None else out


def sigmoid(z: np.ndarray, out: np.ndarray | None = None,
            buf: np.ndarray | None = None) -> np.ndarray:
    """f(z) = 1 / (1 + exp(-z)) (tutorial 2.1), the tutorial's own formula, in four passes.

    For z < -709 (float64; -88 in float32) exp(-z) overflows to inf and 1 / (1 + inf) is
    exactly 0, the right limit: that overflow is the only one possible, so its warning is
    silenced here. The result is within a few ulp of the true value everywhere (relative, also
    for tiny outputs). Measured on this project's machines it is about 5x faster than
    scipy's ``expit``, which has no SIMD loop, and it is where most of the float64 training
    time went; ``0.5 * tanh(0.5 z) + 0.5`` is no faster in float64 and loses the relative
    accuracy of outputs near 0.
    """
    out = np.negative(z, out=_out(z, out))
    with np.errstate(over="ignore"):
        np.exp(out, out=out)  # exp(-z), in (0, inf]
    np.add(out, 1.0, out=out)
    return np.divide(1.0, out, out=out)  # 1/x: measured faster than np.reciprocal


def sigmoid_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # tutorial 4.5: f'(z) = f(z) (1 - f(z)), computed from the stored output h
    out = np.subtract(1.0, h, out=_out(h, out))
    out *= h
    return out


def tanh(z: np.ndarray, out: np.ndarray | None = None,
         buf: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(z, out=_out(z, out))


def tanh_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 1 - tanh(z)^2, from the output
    out = np.multiply(h, h, out=_out(h, out))
    np.subtract(1.0, out, out=out)
    return out


def relu(z: np.ndarray, out: np.ndarray | None = None,
         buf: np.ndarray | None = None) -> np.ndarray:
    # max(z, 0) as a clip to [0, inf): the same numbers (NaN stays NaN), measured twice as
    # fast as np.maximum (6 against 12 us for a float32 (128, 256) batch, 7 against 18 in
    # float64)
    return np.clip(z, 0.0, np.inf, out=_out(z, out))


def relu_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 1 where z > 0, else 0 (f'(0) is taken as 0, as most libraries do), as ceil(clip(z, 0, 1)):
    # np.greater into a float array would make numpy allocate a cast buffer at every call
    out = np.clip(z, 0.0, 1.0, out=_out(z, out))
    return np.ceil(out, out=out)


def leaky_relu(z: np.ndarray, out: np.ndarray | None = None,
               buf: np.ndarray | None = None) -> np.ndarray:
    out = np.multiply(z, LEAKY_SLOPE, out=_out(z, out))
    return np.maximum(z, out, out=out)


def leaky_relu_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    out = relu_deriv(z, h, out)  # 1 where z > 0, else 0
    out *= 1.0 - LEAKY_SLOPE
    out += LEAKY_SLOPE
    return out


def identity(z: np.ndarray, out: np.ndarray | None = None,
             buf: np.ndarray | None = None) -> np.ndarray:
    if out is None:
        return z.copy()
    np.copyto(out, z)
    return out


def identity_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    out = _out(z, out)
    out.fill(1.0)
    return out


def exp(z: np.ndarray, out: np.ndarray | None = None,
        buf: np.ndarray | None = None) -> np.ndarray:
    # the output of a Poisson regression (scikit-learn's 'exp'): h = e^z > 0, a rate
    return np.exp(z, out=_out(z, out))


def exp_deriv(z: np.ndarray, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # (e^z)' = e^z: the output itself
    out = _out(h, out)
    np.copyto(out, h)
    return out


def ones_matrix(n: int, dtype: Any) -> np.ndarray:
    """A read-only (n, n) matrix of ones, made once per size: ``e @ ones`` puts each row's
    sum in every column of that row."""
    key = (n, np.dtype(dtype))
    ones = ONES_MATRICES.get(key)
    if ones is None:
        ones = np.ones((n, n), dtype)
        ones.flags.writeable = False
        ONES_MATRICES[key] = ones
    return ones


ONES_MATRICES: dict = {}  # (n, dtype) -> the read-only matrix


def softmax(z: np.ndarray, out: np.ndarray | None = None,
            buf: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax; the row maximum is subtracted first so exp never overflows.

    The row maxima and sums are spread over ``buf`` (np.copyto, and a product with a matrix
    of ones) rather than broadcast from (m, 1) columns: a broadcasting subtract or divide
    makes numpy allocate an iteration buffer on every call.
    """
    out = _out(z, out)
    if np.may_share_memory(out, z):  # in place: z's first column is about to be overwritten
        z = z.copy()
    buf = np.empty_like(z) if buf is None else buf
    np.max(z, axis=1, out=out[:, 0])  # (m,) row maxima, parked in out's first column
    np.copyto(buf, out[:, :1])  # (m, k): each row's maximum in every column
    np.subtract(z, buf, out=out)
    np.exp(out, out=out)
    np.matmul(out, ones_matrix(z.shape[1], z.dtype), out=buf)  # each row's sum in every column
    return np.divide(out, buf, out=out)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_deriv),
    "tanh": Activation("tanh", tanh, tanh_deriv),
    "relu": Activation("relu", relu, relu_deriv, output=False),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_deriv, output=False),
    "identity": Activation("identity", identity, identity_deriv, classifies=False),
    "softmax": Activation("softmax", softmax, None, hidden=False, normalised=True),
    "exp": Activation("exp", exp, exp_deriv, hidden=False, classifies=False),
}
HIDDEN_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.hidden)
OUTPUT_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.output)
# the output activation a network gets when none is named: its hidden one where that can
# stand at the output and reads as class scores in (0, 1) or (-1, 1), else the tutorial's sigmoid
DEFAULT_OUTPUT = {"sigmoid": "sigmoid", "tanh": "tanh"}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        ) from None
