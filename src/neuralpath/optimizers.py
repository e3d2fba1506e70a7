"""Optimizers: ``update(params, grads)`` changes every parameter array in place.

``gd`` is the tutorial's step (sections 4.3 and 4.9): W = W - alpha * grad. The others are
the follow-up posts' and current practice's: momentum, Nesterov momentum and Adam. Each
keeps its state (velocities, moments) in arrays made on the first update and reused after,
so a training loop allocates nothing per step. ``learning_rate`` may be changed between
steps (learning-rate schedules do).
"""
from __future__ import annotations

import math

import numpy as np


class Optimizer:
    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate
        self._scratch = None

    def _buffers(self, params, count):
        if self._scratch is None:
            self._scratch = [[np.zeros_like(p) for p in params] for _ in range(count)]
        return self._scratch

    def update(self, params, grads):
        raise NotImplementedError


class GradientDescent(Optimizer):
    """p = p - alpha * g."""

    def update(self, params, grads):
        (step,) = self._buffers(params, 1)
        for p, g, s in zip(params, grads, step):
            np.multiply(g, self.learning_rate, out=s)
            p -= s


class Momentum(Optimizer):
    """v = mu v - alpha g;  p = p + v."""

    def __init__(self, learning_rate, momentum=0.9):
        super().__init__(learning_rate)
        self.momentum = momentum

    def update(self, params, grads):
        velocity, step = self._buffers(params, 2)
        for p, g, v, s in zip(params, grads, velocity, step):
            np.multiply(g, self.learning_rate, out=s)
            v *= self.momentum
            v -= s
            p += v


class Nesterov(Momentum):
    """Nesterov momentum in its usual rewritten form (Sutskever et al. 2013).

    v = mu v - alpha g;  p = p + mu v - alpha g, which equals the look-ahead form
    p_{t+1} = p_t + v_{t+1} with the gradient taken at p_t + mu v_t, after the change of
    variable p -> p + mu v.
    """

    def update(self, params, grads):
        velocity, step = self._buffers(params, 2)
        for p, g, v, s in zip(params, grads, velocity, step):
            np.multiply(g, self.learning_rate, out=s)  # alpha g
            v *= self.momentum
            v -= s
            p -= s
            np.multiply(v, self.momentum, out=s)
            p += s


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected first and second moments."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.t = 0

    def update(self, params, grads):
        first, second, step = self._buffers(params, 3)
        self.t += 1
        c1 = 1.0 - self.beta1 ** self.t
        c2 = 1.0 - self.beta2 ** self.t
        for p, g, mo, ve, s in zip(params, grads, first, second, step):
            np.multiply(g, 1.0 - self.beta1, out=s)
            mo *= self.beta1
            mo += s  # m = b1 m + (1 - b1) g
            np.multiply(g, g, out=s)
            s *= 1.0 - self.beta2
            ve *= self.beta2
            ve += s  # v = b2 v + (1 - b2) g^2
            np.divide(ve, c2, out=s)
            np.sqrt(s, out=s)
            s += self.epsilon  # sqrt(v_hat) + eps
            np.divide(mo, s, out=s)
            s *= self.learning_rate / c1  # alpha m_hat / (sqrt(v_hat) + eps)
            p -= s


OPTIMIZERS = {"gd": GradientDescent, "sgd": GradientDescent, "momentum": Momentum,
              "nesterov": Nesterov, "adam": Adam}


def make_optimizer(name: str, learning_rate: float, **options) -> Optimizer:
    """The optimizer called ``name``; ``options`` are its own settings (``momentum=0.95``,
    ``beta1``, ``beta2``, ``epsilon``), each checked by name."""
    try:
        cls = OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}") from None
    known = _OPTIONS[cls]
    for key, value in options.items():
        if key not in known:
            raise ValueError(f"optimizer {name!r} takes the options {sorted(known)}, got {key!r}")
        low, high = known[key]
        if not (isinstance(value, (int, float)) and low <= value < high):
            raise ValueError(f"{key} must be in [{low}, {high}), got {value!r}")
    return cls(learning_rate, **options)


_OPTIONS = {  # option -> [low, high) of the values that make sense
    GradientDescent: {},
    Momentum: {"momentum": (0.0, 1.0)},
    Nesterov: {"momentum": (0.0, 1.0)},
    Adam: {"beta1": (0.0, 1.0), "beta2": (0.0, 1.0), "epsilon": (1e-300, 1.0)},
}


# Learning-rate schedules: rate(alpha_0, epoch, total_epochs) for epochs counted from 0;
# training sets ``optimizer.learning_rate`` from it at the start of every epoch.
def _constant(alpha0, epoch, total):
    return alpha0


def _step(alpha0, epoch, total, drop=0.5, every=None):
    # halve the rate after each quarter of the run: alpha0, alpha0/2, /4, /8
    every = every or max(1, total // 4)
    return alpha0 * drop ** (epoch // every)


def _cosine(alpha0, epoch, total):
    # from alpha0 at epoch 0 down along half a cosine towards 0 (reached at epoch ``total``)
    return alpha0 * 0.5 * (1.0 + math.cos(math.pi * epoch / max(1, total)))


SCHEDULES = {"constant": _constant, "step": _step, "cosine": _cosine}


def get_schedule(name: str):
    try:
        return SCHEDULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {name!r}") from None
