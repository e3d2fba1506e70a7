"""Data: the data sets a model trains on (one table), scaling, split, one-hot and augmentation.

The tutorial's digits are 1797 images of 8x8 pixels with values 0..16 (section 5), shipped
inside scikit-learn. The tutorial scales them with StandardScaler fitted on all the data (5.1),
splits 60/40 with train_test_split (5.2) and turns each label into a one-hot vector (5.3).
``DATASETS`` holds every fact about each data set that the rest of the package needs (image
side, pixel range, how its test part is made, the preset that suits it), so adding a data set
is one entry here. Nothing here downloads anything.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


class Dataset(NamedTuple):
    """What neuralpath knows of one data set.

    ``load(data_dir)`` returns ``(X, y, n_test)``: raw inputs (n, side*side) float64, labels
    (n,) int64, and either None (the test part is drawn at random, ``test_size`` of the rows,
    with the run's seed) or the number of rows at the end that are the data set's own test part.
    """

    name: str
    load: Callable[[str | None], tuple[np.ndarray, np.ndarray, int | None]]
    side: int  # images are side x side pixels
    pixel_max: float  # raw pixels run 0..pixel_max, ink bright
    default_preset: str  # the preset `neuralpath train --dataset NAME` starts from
    reads_files: bool  # True: the data lives in files under --data-dir
    description: str


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The scikit-learn digits: X (1797, 64) float64 pixels 0..16 and y (1797,) int labels."""
    bunch = load_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def _load_digits(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray, None]:
    X, y = digits()
    return X, y, None


def _load_mnist(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    from .mnist import load_mnist_arrays  # n_test: the test files' count, whatever it is
    return load_mnist_arrays(data_dir)


DATASETS: dict[str, Dataset] = {
    "digits": Dataset("digits", _load_digits, side=8, pixel_max=16.0, default_preset="tutorial",
                      reads_files=False, description="scikit-learn's 8x8 handwritten digits "
                      "(1797 images, pixels 0..16): the tutorial's data"),
    "mnist": Dataset("mnist", _load_mnist, side=28, pixel_max=255.0, default_preset="mnist",
                     reads_files=True, description="MNIST-format IDX files (MNIST, "
                     "Fashion-MNIST, KMNIST, subsets): 28x28 pixels 0..255"),
}


def get_dataset(name: str) -> Dataset:
    """The data set ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {name!r}") from None


def dataset_for_inputs(n_features: int, name: str | None = None) -> Dataset | None:
    """The data set a model with ``n_features`` inputs was trained on: the one ``name``d if it
    fits, else the first whose images have that many pixels, else None."""
    if name in DATASETS and DATASETS[name].side ** 2 == n_features:
        return DATASETS[name]
    return next((d for d in DATASETS.values() if d.side ** 2 == n_features), None)


def split(X: np.ndarray, y: np.ndarray, seed: int, test_size: float = 0.4) -> list:
    """Section 5.2: ``train_test_split(X, y, test_size=0.4, random_state=seed)``."""
    return train_test_split(X, y, test_size=test_size, random_state=seed)


def fit_scaler(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of a StandardScaler fitted on X (scale 1 where a pixel never varies)."""
    scaler = StandardScaler().fit(X)
    return scaler.mean_.copy(), scaler.scale_.copy()


def _unit(X_all: np.ndarray, X_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # no centring: divide by the training part's largest pixel value, so inputs run 0..1
    n = X_all.shape[1]
    return np.zeros(n), np.full(n, float(X_train.max()) or 1.0)


# scaler name -> (all inputs, training inputs) -> (mean, scale); inputs become (X - mean) / scale
SCALERS: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "all": lambda X_all, X_train: fit_scaler(X_all),  # tutorial 5.1: all the data, then split
    "train": lambda X_all, X_train: fit_scaler(X_train),  # the sound practice
    "unit": _unit,
}


def one_hot(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Section 5.3 for any label set: row i has a 1 in the column of y[i] in ``classes``."""
    index = np.searchsorted(classes, y)
    Y = np.zeros((len(y), len(classes)))  # (m, k)
    Y[np.arange(len(y)), index] = 1.0
    return Y


def shift_augment(X: np.ndarray, y: np.ndarray, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
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

