"""Initial weights and biases, in one table keyed by name.

``tutorial`` is section 5.4's ``random_sample``: W and b uniform on [0, 1). ``xavier``
(Glorot) and ``he`` scale a zero-mean draw by the layer's fan-in/fan-out, the usual
choices for sigmoid/tanh and relu layers; their biases start at 0.
Every initializer draws from the explicit ``numpy.random.Generator`` it is given.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def tutorial(rng: np.random.Generator, n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    # tutorial 5.4: r.random_sample((s_{l+1}, s_l)) and r.random_sample((s_{l+1},))
    return rng.random((n_out, n_in)), rng.random(n_out)


def xavier(rng: np.random.Generator, n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot & Bengio (2010), uniform form
    return rng.uniform(-limit, limit, (n_out, n_in)), np.zeros(n_out)


def he(rng: np.random.Generator, n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)), np.zeros(n_out)


INITIALIZERS = {"tutorial": tutorial, "xavier": xavier, "he": he}


def get_initializer(name: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """The initializer ``name``: f(rng, n_out, n_in) -> (W, b)."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"initializer must be one of {sorted(INITIALIZERS)}, got {name!r}"
        ) from None
