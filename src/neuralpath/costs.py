"""Cost functions: their value J and the output-layer delta dJ/dz^(n_l), in ONE table keyed by
(cost, output activation).

``quadratic`` is the tutorial's cost (section 4.2): J = (1/m) sum_z 1/2 ||y - h||^2, whose
output delta (section 4.5) is delta = -(y - h) * f'(z). ``cross_entropy`` is the follow-up
posts' cost: with a softmax output it is -sum y log h, with a sigmoid output the per-node
binary form. The rest are scikit-learn's MLP losses, for the estimators, with its numbers:
``log_loss`` is cross-entropy clipped at the dtype's machine epsilon (a single sigmoid output
is the binary case, which counts both columns, y log h + (1 - y) log(1 - h)),
``squared_error`` is 1/2 (y - h)^2 averaged over the samples AND the outputs, and ``poisson``
is half the Poisson deviance y log(y / h) - y + h with an exponential output.

For which pairs delta = h - y holds: cross-entropy and log_loss with softmax and with sigmoid
(f' cancels against dJ/dh), the quadratic cost and squared_error with an identity output
(f' = 1) and poisson with an exp output (dJ/dh = 1 - y/h, f' = h). Every other quadratic pair
multiplies by f'(z) element-wise, except softmax, whose Jacobian is not diagonal. One pair
does not follow its J: ``squared_error``'s value divides by the number of outputs k but its
delta is h - y, not (h - y) / k; that is what scikit-learn's MLPRegressor does (its gradient
is that of the sum over outputs), and the estimator reproduces it. A pair missing from
``OUTPUT_LAYERS`` is not supported, and ``get_cost`` says so: no other module branches on
cost or activation names.

``value`` is the mean over the m samples in the batch, or with ``weights`` (each sample's
share w_i / sum(w), scikit-learn's sample weights) the weighted mean; ``delta`` is per sample
(the 1/m, or the share, is applied to it by the network, as in the tutorial's (1/m) Delta W).
Both take a scratch array ``buf`` shaped like h, so that the training loop allocates nothing
(a weighted value may allocate).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from .activations import OUTPUT_ACTIVATIONS, Activation, get_activation, ones_matrix

# probabilities are clipped this far from 0 and 1 before a log, so J stays finite
_EPS = 1e-12


class Cost(NamedTuple):
    """A cost bound to one output activation: J and the output delta for that pair."""

    name: str
    value: Callable  # value(act, h, y, buf, weights=None) -> float, mean over samples
    delta: Callable  # delta(act, z, h, y, out, buf) -> (m, s_nl); buf is scratch


def _mean(L: np.ndarray, weights: np.ndarray | None) -> float:
    """The sum over a row of the element-wise costs L (m, s_nl), averaged over the rows,
    with each row's share ``weights`` (m,) when given."""
    if weights is None:
        return float(L.sum()) / L.shape[0]
    return float((weights @ L).sum())  # (s_nl,) weighted means, then their sum


def quadratic_value(act: Activation, h: np.ndarray, y: np.ndarray,
                    buf: np.ndarray | None = None, weights: np.ndarray | None = None) -> float:
    diff = np.subtract(h, y, out=buf)  # (m, s_nl)
    if weights is None:
        return 0.5 * float(np.vdot(diff, diff)) / h.shape[0]
    return 0.5 * _mean(np.multiply(diff, diff, out=diff), weights)


def squared_error_value(act: Activation, h: np.ndarray, y: np.ndarray,
                        buf: np.ndarray | None = None,
                        weights: np.ndarray | None = None) -> float:
    # scikit-learn's: the quadratic cost averaged over the k outputs too
    return quadratic_value(act, h, y, buf, weights) / h.shape[1]


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


def _clip(h: np.ndarray, eps: float | None, buf: np.ndarray | None) -> np.ndarray:
    # keep log finite: h in [eps, 1 - eps]; eps None is the dtype's machine epsilon
    eps = np.finfo(h.dtype).eps if eps is None else eps
    return np.clip(h, eps, 1.0 - eps, out=buf)


def cross_entropy_softmax_value(act: Activation, h: np.ndarray, y: np.ndarray,
                                buf: np.ndarray | None = None,
                                weights: np.ndarray | None = None, eps: float | None = _EPS
                                ) -> float:
    p = _clip(h, eps, buf)  # (m, s_nl)
    np.log(p, out=p)
    if weights is None:
        return -float(np.vdot(y, p)) / h.shape[0]  # -sum y log h
    return -_mean(np.multiply(y, p, out=p), weights)


def cross_entropy_sigmoid_value(act: Activation, h: np.ndarray, y: np.ndarray,
                                buf: np.ndarray | None = None,
                                weights: np.ndarray | None = None, eps: float | None = _EPS
                                ) -> float:
    # binary cross-entropy per output node: -sum y log h + (1 - y) log(1 - h)
    p = _clip(h, eps, buf)  # (m, s_nl)
    if weights is not None:
        log_h, log_1mh = np.log(p), np.log1p(-p)
        return -_mean(y * log_h + (1 - y) * log_1mh, weights)
    total = float(np.vdot(y, np.log(p, out=p)))
    _clip(h, eps, p)
    np.log1p(np.negative(p, out=p), out=p)
    total += float(p.sum()) - float(np.vdot(y, p))
    return -total / h.shape[0]


def poisson_value(act: Activation, h: np.ndarray, y: np.ndarray,
                  buf: np.ndarray | None = None, weights: np.ndarray | None = None) -> float:
    # half the Poisson deviance: y log(y / h) - y + h, where y log(y / h) is 0 at y = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        y_log = np.where(y > 0, y * np.log(y / h), 0.0)
    return _mean(y_log - y + h, weights)


# (cost, output activation) -> (J, delta^(n_l)); the only place that pairs them
OUTPUT_LAYERS: dict[tuple[str, str], tuple[Callable, Callable]] = {
    ("quadratic", "sigmoid"): (quadratic_value, quadratic_delta),
    ("quadratic", "tanh"): (quadratic_value, quadratic_delta),
    ("quadratic", "identity"): (quadratic_value, h_minus_y),
    ("quadratic", "softmax"): (quadratic_value, quadratic_softmax_delta),
    ("cross_entropy", "softmax"): (cross_entropy_softmax_value, h_minus_y),
    ("cross_entropy", "sigmoid"): (cross_entropy_sigmoid_value, h_minus_y),
    # scikit-learn's MLP losses (the estimators')
    ("log_loss", "softmax"): (partial(cross_entropy_softmax_value, eps=None), h_minus_y),
    ("log_loss", "sigmoid"): (partial(cross_entropy_sigmoid_value, eps=None), h_minus_y),
    ("squared_error", "identity"): (squared_error_value, h_minus_y),  # J / k, see above
    ("poisson", "exp"): (poisson_value, h_minus_y),
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
