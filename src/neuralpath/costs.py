"""Cost functions: their value J and the output-layer delta dJ/dz^(n_l).

``quadratic`` is the tutorial's cost (section 4.2): J = (1/m) sum_z 1/2 ||y - h||^2, whose
output delta (section 4.5) is delta = -(y - h) * f'(z). ``cross_entropy`` is the follow-up
posts' cost: with a softmax output it is -sum y log h, with a sigmoid output the per-node
binary form; in both cases delta = h - y, because f' cancels against dJ/dh.

``value`` is the mean over the m samples in the batch; ``delta`` is per sample (the 1/m
is applied to the gradients, as in the tutorial's (1/m) Delta W). Both take a scratch array
``buf`` shaped like h, so that the training loop allocates nothing.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .activations import Activation, _ones

# probabilities are clipped this far from 0 and 1 before a log, so J stays finite
_EPS = 1e-12


class Cost(NamedTuple):
    name: str
    value: Callable  # value(act, h, y, buf) -> float, mean over samples; buf is scratch
    delta: Callable  # delta(activation, z, h, y, out, buf) -> (m, s_nl); buf is scratch


def quadratic_value(act: Activation, h, y, buf=None):
    diff = np.subtract(h, y, out=buf)  # (m, s_nl)
    return 0.5 * float(np.vdot(diff, diff)) / h.shape[0]


def quadratic_delta(act: Activation, z, h, y, out=None, buf=None):
    out = np.subtract(h, y, out=out)  # -(y - h) = dJ/dh
    if act.name == "softmax":
        # the softmax Jacobian: delta = h * (g - sum(g * h)) with g = dJ/dh, written as
        # h g - h sum(h g) so that the row sums spread by a product with ones need no
        # broadcast (which allocates); buf is needed here
        buf = np.empty_like(h) if buf is None else buf
        np.multiply(out, h, out=buf)  # h g
        np.matmul(buf, _ones(h.shape[1], h.dtype), out=out)  # each row's sum(h g), spread
        out *= h
        return np.subtract(buf, out, out=out)
    if act.name != "identity":
        out *= act.deriv(z, h, out=buf)  # tutorial 4.5: delta = -(y - h) * f'(z)
    return out


def cross_entropy_value(act: Activation, h, y, buf=None):
    m = h.shape[0]
    p = np.clip(h, _EPS, 1.0 - _EPS, out=buf)  # (m, s_nl)
    total = float(np.vdot(y, np.log(p, out=p)))  # sum y log h
    if act.name != "softmax":
        # sigmoid outputs: binary cross-entropy, also sum (1 - y) log(1 - h)
        np.clip(h, _EPS, 1.0 - _EPS, out=p)
        np.log1p(np.negative(p, out=p), out=p)
        total += float(p.sum()) - float(np.vdot(y, p))
    return -total / m


def cross_entropy_delta(act: Activation, z, h, y, out=None, buf=None):
    if act.name not in ("softmax", "sigmoid"):
        raise ValueError(
            f"cost 'cross_entropy' needs a softmax or sigmoid output, got {act.name!r}"
        )
    return np.subtract(h, y, out=out)  # f' cancels: delta = h - y


COSTS: dict[str, Cost] = {
    "quadratic": Cost("quadratic", quadratic_value, quadratic_delta),
    "cross_entropy": Cost("cross_entropy", cross_entropy_value, cross_entropy_delta),
}


def get_cost(name: str) -> Cost:
    try:
        return COSTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {name!r}") from None
