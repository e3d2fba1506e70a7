"""Data: the tutorial's digits (shipped inside scikit-learn), scaling, split and one-hot.

The digits are 1797 images of 8x8 pixels with values 0..16 (section 5). The tutorial scales
them with StandardScaler fitted on all the data (5.1), splits 60/40 with train_test_split
(5.2) and turns each label into a one-hot vector (5.3). Nothing here downloads anything.
"""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .mnist import load_mnist  # noqa: E402,F401  (the real MNIST's four IDX files)

DIGITS_SIDE = 8  # each digits image is 8x8
DIGITS_MAX = 16.0  # pixel values run 0..16


def digits():
    """The scikit-learn digits: X (1797, 64) float64 pixels 0..16 and y (1797,) int labels."""
    bunch = load_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def fit_scaler(X):
    """Mean and scale of a StandardScaler fitted on X (scale 1 where a pixel never varies)."""
    scaler = StandardScaler().fit(X)
    return scaler.mean_.copy(), scaler.scale_.copy()


def split(X, y, seed, test_size=0.4):
    """Section 5.2: ``train_test_split(X, y, test_size=0.4, random_state=seed)``."""
    return train_test_split(X, y, test_size=test_size, random_state=seed)


def one_hot(y, classes):
    """Section 5.3 for any label set: row i has a 1 in the column of y[i] in ``classes``."""
    index = np.searchsorted(classes, y)
    Y = np.zeros((len(y), len(classes)))  # (m, k)
    Y[np.arange(len(y)), index] = 1.0
    return Y


def shift_augment(X, y, side=DIGITS_SIDE):
    """Each image, plus copies shifted by one pixel up, down, left and right (zeros fill in).

    Returns 5 times as many rows: the originals first, then the four shifted sets.
    """
    images = X.reshape(-1, side, side)
    shifted = [images]
    for axis, step in ((1, -1), (1, 1), (2, -1), (2, 1)):
        moved = np.roll(images, step, axis=axis)
        edge = 0 if step == 1 else -1  # the row or column that wrapped round
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        shifted.append(moved)
    return np.concatenate(shifted).reshape(-1, side * side), np.tile(y, 5)
