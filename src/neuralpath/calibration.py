"""Confidence that means something: expected calibration error and temperature scaling.

A model is calibrated when, of the answers it gives with confidence about p, about a share
p is right. The expected calibration error (ECE) sorts the answers into equal-width bins of
confidence (15 by default, as Guo et al., "On Calibration of Modern Neural Networks", 2017)
and adds up |accuracy - mean confidence| of each bin weighted by its share of the answers.

Temperature scaling divides the logits by one number T > 1 (softer) or < 1 (sharper) before
the softmax; the answers do not change, only their confidence. T is fitted by minimising the
negative log-likelihood on a validation part that was not used to train the weights. For a
softmax output the log-probabilities are the logits up to a constant per row, which the
softmax ignores, so T can be applied to probabilities as ``softmax(log(p) / T)``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

TINY = 1e-12  # probabilities are clipped here before the log


def _check(proba: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    if proba.ndim != 2 or proba.shape[0] != y.shape[0] or y.ndim != 1:
        raise ValueError(f"proba must be (m, k) and y (m,), got shapes {proba.shape} and "
                         f"{y.shape}")
    if y.size and (y.min() < 0 or y.max() >= proba.shape[1]):
        raise ValueError(f"y must hold column indices 0..{proba.shape[1] - 1}, got "
                         f"{y.min()}..{y.max()}")
    return proba, y.astype(np.int64)


def expected_calibration_error(proba: Any, y: Any, bins: int = 15) -> float:
    """Expected calibration error of probabilities ``proba`` for true column indices ``y``.

    Parameters
    ----------
    proba : array (m, k)
        Class probabilities, rows adding to 1.
    y : array (m,)
        The true class as a column index of ``proba``.
    bins : int
        Equal-width confidence bins over (0, 1].

    Returns
    -------
    float
        Sum over bins of (share of rows) * |accuracy - mean confidence|, 0..1.
    """
    proba, y = _check(proba, y)
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if y.size == 0:
        return 0.0
    conf = proba.max(axis=1)  # (m,)
    right = proba.argmax(axis=1) == y  # (m,)
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)  # (m,)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - conf[inside].mean())
    return float(total)


def apply_temperature(proba: Any, temperature: float) -> np.ndarray:
    """Probabilities softened (T > 1) or sharpened (T < 1): ``softmax(log(p) / T)``.

    Parameters
    ----------
    proba : array (m, k)
        Class probabilities.
    temperature : float
        T > 0; 1 leaves them as they are.

    Returns
    -------
    array (m, k)
    """
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    z = np.log(np.clip(np.asarray(proba, dtype=np.float64), TINY, None)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(proba: Any, y: Any, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature that minimises the negative log-likelihood of ``y``.

    Parameters
    ----------
    proba : array (m, k)
        Class probabilities of a validation part the weights were not trained on.
    y : array (m,)
        The true class as a column index.
    bounds : (float, float)
        The range searched (on a log scale).

    Returns
    -------
    float
    """
    proba, y = _check(proba, y)
    if y.size == 0:
        raise ValueError("fit_temperature needs at least one row, got 0")
    logp = np.log(np.clip(proba, TINY, None))  # (m, k)

    def nll(log_t: float) -> float:
        z = logp / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    best = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(best.x))
