"""Optimizers: ``update(params, grads, learning_rate)`` changes every parameter array in place.

``gd`` is the tutorial's step (sections 4.3 and 4.9): W = W - alpha * grad. The others are
the follow-up posts' and current practice's: momentum, Nesterov momentum and Adam. Each
keeps its state (velocities, moments) in arrays made on the first update and reused after,
so a training loop allocates nothing per step. The learning rate is not the optimizer's:
the training loop owns it (a schedule sets it) and hands it to every ``update``.

scikit-learn's MLP solvers are these, with options: its 'sgd' is ``momentum`` or
``nesterov`` (the same v = mu v - alpha g, and p + v or p + mu v - alpha g), its 'adam' is
``adam`` with ``epsilon_hat=True``; its learning-rate schedules, counted in samples, are
``SampleSchedule``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .buffers import FlatViews, flat_view, order_of, packed
from .checks import Check, Number

_DECAY = Number(0.0, 1.0)  # [0, 1): the decay rate of a running average


class Optimizer:
    """What every optimizer is: state made on the first update, and ``update``.

    ``options`` maps each setting of the optimizer's own to its check (``checks.py``): the
    one description of its range, which ``make_optimizer`` applies and ``TrainConfig``'s field
    of the same name takes (``option_check``).
    """

    options: dict[str, Check] = {}
    # variants of the algorithm (not training settings): option -> the values it takes
    variants: dict[str, tuple[Any, ...]] = {}
    counters: tuple[str, ...] = ()  # integer attributes that are state (Adam's step count t)

    def __init__(self) -> None:
        self._scratch: list[list[np.ndarray]] | None = None
        self._loaded: list[list[np.ndarray]] = []  # load_state's buffers, until params are seen
        self._flat = FlatViews()

    def _buffers(self, params, count):
        if self._scratch is None:
            # in the parameters' own layouts, and back to back when they are: then every
            # list is one flat array, and one numpy call updates all of them
            kinds = self._loaded or [[np.zeros(p.shape, p.dtype) for p in params]
                                     for _ in range(count)]
            if flat_view(params) is not None:
                orders = [order_of(p) for p in params]
                self._scratch = [packed(kind, params[0].dtype, orders) for kind in kinds]
            else:
                self._scratch = [[np.array(b, p.dtype, order=order_of(p))
                                  for b, p in zip(kind, params, strict=True)] for kind in kinds]
            self._loaded = []
        return self._scratch

    def _groups(self, params, grads, count):
        """(parameter, gradient, buffers...) to update: one tuple of 1-D views over all of
        them when each list lies back to back in memory in the same layouts, else one tuple
        per array."""
        lists = [params, grads, *self._buffers(params, count)]
        flats = self._flat.of(*lists)
        return [tuple(flats)] if flats is not None else list(zip(*lists))

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               learning_rate: float) -> None:
        """Change every array of ``params`` in place by one step of size ``learning_rate``
        (alpha) along ``grads``."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """What the optimizer has accumulated, to continue later exactly where it is.

        Returns
        -------
        dict
            ``buffers``: copies of its arrays (velocities, Adam's moments; [] before the first
            update), one list per kind, each in ``params`` order; and each of ``counters``
            (Adam's step count ``t``). The learning rate is not state: the schedule sets it.
        """
        kinds = self._scratch if self._scratch is not None else self._loaded
        buffers = [[np.array(b, order="C") for b in kind] for kind in kinds]
        return {"buffers": buffers, **{name: int(getattr(self, name)) for name in self.counters}}

    def load_state(self, state: dict[str, Any]) -> None:
        """Take up ``state`` as ``state()`` gave it (for the same parameter shapes).

        Parameters
        ----------
        state : dict
            ``buffers`` and the counters; a missing counter is refused by name.
        """
        for name in self.counters:
            if name not in state:
                raise ValueError(f"optimizer state must hold {name!r}, got {sorted(state)}")
        # copies, laid out as the parameters are (back to back) at the next update
        self._loaded = [[np.array(b) for b in kind] for kind in state["buffers"]]
        self._scratch = None
        for name in self.counters:
            setattr(self, name, int(state[name]))


class GradientDescent(Optimizer):
    """p = p - alpha * g."""

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               learning_rate: float) -> None:
        for p, g, s in self._groups(params, grads, 1):
            np.multiply(g, learning_rate, out=s)
            p -= s


class Momentum(Optimizer):
    """v = mu v - alpha g;  p = p + v."""

    options = {"momentum": _DECAY}

    def __init__(self, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               learning_rate: float) -> None:
        for p, g, v, s in self._groups(params, grads, 2):
            np.multiply(g, learning_rate, out=s)
            v *= self.momentum
            v -= s
            p += v


class Nesterov(Momentum):
    """Nesterov momentum in its usual rewritten form (Sutskever et al. 2013).

    v = mu v - alpha g;  p = p + mu v - alpha g, which equals the look-ahead form
    p_{t+1} = p_t + v_{t+1} with the gradient taken at p_t + mu v_t, after the change of
    variable p -> p + mu v.
    """

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               learning_rate: float) -> None:
        for p, g, v, s in self._groups(params, grads, 2):
            np.multiply(g, learning_rate, out=s)  # alpha g
            v *= self.momentum
            v -= s
            p -= s
            np.multiply(v, self.momentum, out=s)
            p += s


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected first and second moments.

    ``epsilon_hat=True`` is the paper's faster ordering (end of its section 2), which
    scikit-learn uses: alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t) and
    p = p - alpha_t m / (sqrt(v) + eps), epsilon added to the root of the uncorrected v.
    It differs from the default p = p - alpha m_hat / (sqrt(v_hat) + eps) only through
    where epsilon stands (eps_hat = eps sqrt(1 - b2^t)).
    """

    options = {"beta_1": _DECAY, "beta_2": _DECAY, "epsilon": Number(0.0, low_closed=False)}
    variants = {"epsilon_hat": (False, True)}
    counters = ("t",)

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, epsilon_hat: bool = False) -> None:
        super().__init__()
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.epsilon_hat = epsilon_hat
        self.t = 0

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               learning_rate: float) -> None:
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        c1 = 1.0 - b1 ** self.t
        c2 = 1.0 - b2 ** self.t
        # both variants as p -= k m / (sqrt(v) + e), 12 passes over memory, all in place:
        # the default's alpha m_hat / (sqrt(v_hat) + eps) is that with e = eps sqrt(c2)
        # (multiply above and below by sqrt(c2)); epsilon_hat's e is eps itself
        k = learning_rate * math.sqrt(c2) / c1
        e = self.epsilon if self.epsilon_hat else self.epsilon * math.sqrt(c2)
        for p, g, mo, ve, s in self._groups(params, grads, 3):
            mo *= b1
            np.multiply(g, 1.0 - b1, out=s)
            mo += s  # m = b1 m + (1 - b1) g
            np.multiply(g, g, out=s)
            s *= 1.0 - b2
            ve *= b2
            ve += s  # v = b2 v + (1 - b2) g^2
            np.sqrt(ve, out=s)
            s += e
            np.divide(mo, s, out=s)
            s *= k
            p -= s


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GradientDescent, "sgd": GradientDescent, "momentum": Momentum,
    "nesterov": Nesterov, "adam": Adam}


def _class_of(name: str) -> type[Optimizer]:
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}") from None


def make_optimizer(name: str, **options: Any) -> Optimizer:
    """The optimizer called ``name``; ``options`` are its own settings (``momentum=0.95``,
    ``beta_1``, ``beta_2``, ``epsilon``), each checked by name and range, or its variants
    (Adam's ``epsilon_hat``), checked against the values they take."""
    cls = _class_of(name)
    for key, value in options.items():
        if key in cls.variants:
            if value not in cls.variants[key]:
                raise ValueError(f"{key} must be one of {list(cls.variants[key])}, "
                                 f"got {value!r}")
            continue
        if key not in cls.options:
            raise ValueError(f"optimizer {name!r} takes the options "
                             f"{sorted({**cls.options, **cls.variants})}, got {key!r}")
        options[key] = cls.options[key](key, value)  # SettingError naming the option
    return cls(**options)


def option_check(name: str) -> Check:
    """The check of the optimizer option ``name`` (``momentum``, ``beta_1``, ...), from the
    optimizer that takes it: ``TrainConfig``'s field of that name uses it."""
    for cls in OPTIMIZERS.values():
        if name in cls.options:
            return cls.options[name]
    raise KeyError(f"no optimizer takes an option {name!r}")


def from_settings(name: str, settings: Any) -> Optimizer:
    """The optimizer ``name`` with its own options read by name from ``settings`` (a
    ``TrainConfig``): Adam takes ``settings.beta_1``, momentum ``settings.momentum``."""
    cls = _class_of(name)
    return make_optimizer(name, **{key: getattr(settings, key) for key in cls.options})


# Learning-rate schedules. By epoch: rate(alpha_0, epoch, total_epochs) for epochs counted from 0;
# the training loop takes the rate from it at the start of every epoch and hands it to update.
def _constant(alpha0, epoch, total):
    return alpha0


def _step(alpha0, epoch, total, drop=0.5, every=None):
    # halve the rate after each quarter of the run: alpha0, alpha0/2, /4, /8
    every = every or max(1, total // 4)
    return alpha0 * drop ** (epoch // every)


def _cosine(alpha0, epoch, total):
    # from alpha0 at epoch 0 down along half a cosine towards 0 (reached at epoch ``total``)
    return alpha0 * 0.5 * (1.0 + math.cos(math.pi * epoch / max(1, total)))


SCHEDULES: dict[str, Callable[..., float]] = {
    "constant": _constant, "step": _step, "cosine": _cosine}


def get_schedule(name: str) -> Callable[..., float]:
    """The schedule ``name``: rate(alpha_0, epoch, total_epochs)."""
    try:
        return SCHEDULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {name!r}") from None


# scikit-learn's schedules, counted in samples seen: the estimators' loop owns one
ADAPTIVE_DIVISOR = 5.0  # 'adaptive' divides the rate by this at each plateau
ADAPTIVE_FLOOR = 1e-6  # ... and stops once the rate is at most this


class SampleSchedule:
    """A learning rate that follows scikit-learn's ``learning_rate`` settings.

    ``constant`` keeps alpha_0. ``invscaling`` sets alpha = alpha_0 / (t + 1)^power_t at the
    end of each epoch, t the samples seen so far. ``adaptive`` keeps its rate until the
    loop reports a plateau (no improvement for a number of epochs), then divides it by 5,
    and once it is at most 1e-6 it asks the loop to stop. The loop reads ``learning_rate``
    and hands it to the optimizer's ``update``.
    """

    KINDS = ("constant", "invscaling", "adaptive")

    def __init__(self, kind: str = "constant", learning_rate: float = 0.001,
                 power_t: float = 0.5) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"schedule must be one of {list(self.KINDS)}, got {kind!r}")
        self.kind, self.power_t = kind, power_t
        self.initial = self.learning_rate = float(learning_rate)

    def epoch_ends(self, samples_seen: int) -> None:
        """After an epoch: 'invscaling' takes its rate for ``samples_seen``."""
        if self.kind == "invscaling":
            self.learning_rate = self.initial / (samples_seen + 1) ** self.power_t

    def plateau(self) -> str:
        """The loop saw no improvement: ``'lowered'`` (adaptive, go on at the rate divided
        by 5), ``'too small'`` (adaptive, the rate is at its floor: stop) or ``'stop'``."""
        if self.kind != "adaptive":
            return "stop"
        if self.learning_rate <= ADAPTIVE_FLOOR:
            return "too small"
        self.learning_rate /= ADAPTIVE_DIVISOR
        return "lowered"
