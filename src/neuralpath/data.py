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

# scikit-learn, SciPy and Pillow are imported inside the functions that use them: config.py
# reads DATASETS and SCALERS from here, and importing neuralpath must not cost their 0.8 s


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
    from sklearn.datasets import load_digits

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
    """The data set a model with ``n_features`` inputs was trained on: the one named ``name`` if it
    fits, else the first whose images have that many pixels, else None."""
    if name in DATASETS and DATASETS[name].side ** 2 == n_features:
        return DATASETS[name]
    return next((d for d in DATASETS.values() if d.side ** 2 == n_features), None)


def split(X: np.ndarray, y: np.ndarray, seed: int, test_size: float = 0.4) -> list:
    """Section 5.2: ``train_test_split(X, y, test_size=0.4, random_state=seed)``."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, random_state=seed)


def fit_scaler(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of a StandardScaler fitted on X (scale 1 where a pixel never varies)."""
    from sklearn.preprocessing import StandardScaler

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


# ---- issue 13: augmentation that varies the digits the way drawings vary -------------------
# The digits are 8x8 counts of the "on" pixels of 4x4 blocks of 32x32 bitmaps in which the
# digit's longer side fills the bitmap. A copy is made the way a new drawing would arrive:
# the counts are brought back to a 32x32 grey bitmap (bilinear), turned, sheared, stretched
# and shifted, its strokes made thinner or fatter by the threshold that makes it a bitmap
# again, then cropped to the digit, its longer side fitted to 32 pixels (as imaging.py does
# with a picture), and its 4x4 blocks counted anew.

AFFINE_BITMAP = 32  # the side of the bitmaps the digits were counted from


def _fit_bitmap(grey: np.ndarray, side: int = AFFINE_BITMAP) -> np.ndarray:
    """The part of ``grey`` above 0.5 cropped and scaled so its longer side is ``side``."""
    from PIL import Image

    rows, cols = np.nonzero(grey > 0.5)
    if rows.size == 0:
        return np.zeros((side, side), dtype=bool)
    crop = grey[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray(np.round(np.clip(crop, 0, 1) * 255).astype(np.uint8))
    fitted = np.asarray(img.resize((nw, nh), Image.Resampling.BILINEAR), dtype=np.float64) / 255.0
    out = np.zeros((side, side), dtype=bool)
    top, left = (side - nh) // 2, (side - nw) // 2
    out[top:top + nh, left:left + nw] = fitted > 0.5
    return out


def affine_copy(x: np.ndarray, rng: np.random.Generator, rotation: float = 10.0,
                shear: float = 0.3, stretch: float = 0.15, thickness: float = 0.15
                ) -> np.ndarray:
    """One varied copy of an 8x8 digits image (64 counts 0..16), counted again from 32x32.

    Parameters
    ----------
    x : array (64,)
        Block counts 0..16.
    rng : numpy.random.Generator
        Draws the variation.
    rotation : float
        Largest turn, in degrees (uniform in +-rotation).
    shear : float
        Largest slant: x moves by up to shear * (distance from the middle row).
    stretch : float
        Largest change of the width relative to the height (a factor in 1 +- stretch).
    thickness : float
        Largest change of the threshold 0.5 that makes the grey bitmap a bitmap again: a
        lower threshold gives fatter strokes, a higher one thinner strokes.

    Returns
    -------
    array (64,)
        The copy's block counts 0..16.
    """
    from scipy import ndimage

    side = AFFINE_BITMAP
    grey = ndimage.zoom(x.reshape(8, 8) / 16.0, side / 8, order=1, mode="nearest")  # (32, 32)
    canvas = np.zeros((2 * side, 2 * side))
    canvas[side // 2:side // 2 + side, side // 2:side // 2 + side] = grey
    angle = np.radians(rng.uniform(-rotation, rotation))
    cos, sin = np.cos(angle), np.sin(angle)
    turn = np.array([[cos, -sin], [sin, cos]])
    slant = np.array([[1.0, 0.0], [rng.uniform(-shear, shear), 1.0]])  # (row, col): col += s*row
    widen = np.diag([1.0, rng.uniform(1 - stretch, 1 + stretch)])
    forward = widen @ slant @ turn  # output = forward @ input (row, col), about the centre
    inverse = np.linalg.inv(forward)
    centre = np.array([side - 0.5, side - 0.5])
    moved = ndimage.affine_transform(canvas, inverse, offset=centre - inverse @ centre, order=1)
    level = 0.5 + rng.uniform(-thickness, thickness)
    bitmap = _fit_bitmap(np.clip(moved / (2 * level), 0, 1))  # level maps to 0.5
    block = side // 8
    return bitmap.reshape(8, block, 8, block).sum(axis=(1, 3)).ravel().astype(np.float64)


def affine_augment(X: np.ndarray, y: np.ndarray, copies: int = 4,
                   random_state: int | np.random.Generator = 0, **variation: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The images plus ``copies`` varied copies of each (``affine_copy``), originals first.

    Parameters
    ----------
    X : array (m, 64)
        Digits images, counts 0..16.
    y : array (m,)
        Their labels.
    copies : int
        Varied copies per image.
    random_state : int or numpy.random.Generator
        Seeds the variation.
    **variation
        ``rotation``, ``shear``, ``stretch``, ``thickness`` of ``affine_copy``.

    Returns
    -------
    X_aug : array (m * (copies + 1), 64)
    y_aug : array (m * (copies + 1),)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 64:
        raise ValueError(f"X must be digits images of shape (m, 64), got shape {X.shape}")
    if not isinstance(copies, (int, np.integer)) or copies < 0:
        raise ValueError(f"copies must be a non-negative integer, got {copies!r}")
    rng = np.random.default_rng(random_state)
    made = [X] + [np.array([affine_copy(x, rng, **variation) for x in X]) for _ in range(copies)]
    return np.concatenate(made), np.tile(np.asarray(y), copies + 1)


DRAWING_VARIATION = dict(rotation=15.0, shear=0.4, stretch=0.25, thickness=0.25)
"""The variation of ``drawing_augment``'s copies, chosen on the tuning parts of the drawn and
printed corpora (benchmarks/real_inputs.py), never on their held-out parts."""


def drawing_augment(X: np.ndarray, y: np.ndarray, copies: int = 4, per_style: int = 40,
                    random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The training rows for reading drawings: ``affine_augment`` copies plus made-up drawings.

    Parameters
    ----------
    X : array (m, 64)
        Digits images, counts 0..16 (the training part only).
    y : array (m,)
        Their labels.
    copies : int
        Varied copies of each row (``affine_augment`` with ``DRAWING_VARIATION``).
    per_style : int
        Drawings of each skeleton style of ``synthetic.synthetic_digits``.
    random_state : int
        Seeds both.

    Returns
    -------
    X_aug : array (m * (copies + 1) + n_synthetic, 64)
    y_aug : array (m * (copies + 1) + n_synthetic,)
    """
    from .synthetic import synthetic_digits

    X_aug, y_aug = affine_augment(X, y, copies, random_state, **DRAWING_VARIATION)
    X_syn, y_syn = synthetic_digits(per_style, random_state)
    return np.concatenate([X_aug, X_syn]), np.concatenate([y_aug, y_syn.astype(y_aug.dtype)])
