"""Cost functions: their value J and the output-layer delta dJ/dz^(n_l), in ONE table keyed by
(cost, output activation).

``quadratic`` is the tutorial's cost (section 4.2): J = (1/m) sum_z 1/2 ||y - h||^2, whose
output delta (section 4.5) is delta = -(y - h) * f'(z). ``cross_entropy`` is the follow-up
posts' cost: with a softmax output it is -sum y log h, with a sigmoid output the per-node
binary form.

For which pairs delta = h - y holds: cross-entropy with softmax and with sigmoid (f' cancels
against dJ/dh), and the quadratic cost with an identity output (f' = 1). Every other
quadratic pair multiplies by f'(z) element-wise, except softmax, whose Jacobian is not
diagonal. A pair missing from ``OUTPUT_LAYERS`` is not supported, and ``get_cost`` says so:
no other module branches on cost or activation names.

``value`` is the mean over the m samples in the batch; ``delta`` is per sample (the 1/m
is applied to the gradients, as in the tutorial's (1/m) Delta W). Both take a scratch array
``buf`` shaped like h, so that the training loop allocates nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .activations import OUTPUT_ACTIVATIONS, Activation, get_activation, ones_matrix

# probabilities are clipped this far from 0 and 1 before a log, so J stays finite
_EPS = 1e-12


class Cost(NamedTuple):
    """A cost bound to one output activation: J and the output delta for that pair."""

    name: str
    value: Callable  # value(act, h, y, buf) -> float, mean over samples; buf is scratch
    delta: Callable  # delta(act, z, h, y, out, buf) -> (m, s_nl); buf is scratch


def quadratic_value(act: Activation, h: np.ndarray, y: np.ndarray,
                    buf: np.ndarray | None = None) -> float:
    diff = np.subtract(h, y, out=buf)  # (m, s_nl)
    return 0.5 * float(np.vdot(diff, diff)) / h.shape[0]


def quadratic_delta(act: Activation, z: np.ndarray, h: np.ndarray, y: np.ndarray,
                    out: np.ndarray | None = None, buf: np.ndarray | None = None) -> np.ndarray:
    out = np.subtract(h, y, out=out)  # -(y - h) = dJ/dh
    out *= act.deriv(z, h, out=buf)  # type: ignore[misc]  # tutorial 4.5: delta = -(y - h) * f'(z)
    return out


def quadratic_softmax_delta(act: Activation, z: np.ndarray, h: np.ndarray, y: np.ndarray,
                            out: np.ndarray | None = None,
                            buf: np.ndarray | None = None) -> np.ndarray:
    # the softmax Jacobian: delta = h * (g - sum(g * h)) with g = dJ/dh = h - y, written as
    # h g - h sum(h g) so that the row sums spread by a product with ones need no broadcast
    # (which allocates); buf is needed here
    out = np.subtract(h, y, out=out)
    buf = np.empty_like(h) if buf is None else buf
    np.multiply(out, h, out=buf)  # h g
    np.matmul(buf, ones_matrix(h.shape[1], h.dtype), out=out)  # each row's sum(h g), spread
    out *= h
    return np.subtract(buf, out, out=out)


def h_minus_y(act: Activation, z: np.ndarray, h: np.ndarray, y: np.ndarray,
              out: np.ndarray | None = None, buf: np.ndarray | None = None) -> np.ndarray:
    return np.subtract(h, y, out=out)  # f' cancels (or is 1): delta = h - y


def cross_entropy_softmax_value(act: Activation, h: np.ndarray, y: np.ndarray,
                                buf: np.ndarray | None = None) -> float:
    p = np.clip(h, _EPS, 1.0 - _EPS, out=buf)  # (m, s_nl)
    return -float(np.vdot(y, np.log(p, out=p))) / h.shape[0]  # -sum y log h


def cross_entropy_sigmoid_value(act: Activation, h: np.ndarray, y: np.ndarray,
                                buf: np.ndarray | None = None) -> float:
    # binary cross-entropy per output node: -sum y log h + (1 - y) log(1 - h)
    p = np.clip(h, _EPS, 1.0 - _EPS, out=buf)  # (m, s_nl)
    total = float(np.vdot(y, np.log(p, out=p)))
    np.clip(h, _EPS, 1.0 - _EPS, out=p)
    np.log1p(np.negative(p, out=p), out=p)
    total += float(p.sum()) - float(np.vdot(y, p))
    return -total / h.shape[0]


# (cost, output activation) -> (J, delta^(n_l)); the only place that pairs them
OUTPUT_LAYERS: dict[tuple[str, str], tuple[Callable, Callable]] = {
    ("quadratic", "sigmoid"): (quadratic_value, quadratic_delta),
    ("quadratic", "tanh"): (quadratic_value, quadratic_delta),
    ("quadratic", "identity"): (quadratic_value, h_minus_y),
    ("quadratic", "softmax"): (quadratic_value, quadratic_softmax_delta),
    ("cross_entropy", "softmax"): (cross_entropy_softmax_value, h_minus_y),
    ("cross_entropy", "sigmoid"): (cross_entropy_sigmoid_value, h_minus_y),
}
COSTS = tuple(dict.fromkeys(cost for cost, _ in OUTPUT_LAYERS))


def outputs_for(cost: str) -> list[str]:
    """The output activations that ``cost`` pairs with."""
    return [a for c, a in OUTPUT_LAYERS if c == cost]


def get_cost(name: str, output_activation: str = "sigmoid") -> Cost:
    """The cost ``name`` for an ``output_activation`` layer; ``ValueError`` naming what is
    allowed when the cost, or the pair, is not known."""
    if name not in COSTS:
        raise ValueError(f"cost must be one of {list(COSTS)}, got {name!r}")
    if output_activation not in OUTPUT_ACTIVATIONS:
        get_activation(output_activation)  # an unknown name: its own message
        raise ValueError(f"output_activation must be one of {list(OUTPUT_ACTIVATIONS)}, "
                         f"got {output_activation!r}")
    pair = OUTPUT_LAYERS.get((name, output_activation))
    if pair is None:
        raise ValueError(f"cost {name!r} needs an output_activation in {outputs_for(name)}, "
                         f"got {output_activation!r}")
    return Cost(name, *pair)
