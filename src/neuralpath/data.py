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
from typing import Any, NamedTuple

import numpy as np

# scikit-learn is imported inside the functions that use it: config.py
# reads DATASETS and SCALERS from here, and importing neuralpath must not cost their 0.8 s


class Dataset(NamedTuple):
    """What neuralpath knows of one data set.

    ``load(data_dir)`` returns ``(X, y, n_test)``: raw inputs (n, side*side) float64 (uint8
    for IDX files: the pixels as stored, never converted whole), labels
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
    return load_mnist_arrays(data_dir, np.uint8)  # as stored: batches are scaled when taken


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
    if X.dtype.kind in "ui":  # pixels as stored: never one float64 copy of all of them
        mean = X.mean(axis=0, dtype=np.float64)  # (n,)
        var = np.zeros(X.shape[1])
        for start in range(0, len(X), 8192):
            d = X[start:start + 8192] - mean  # (chunk, n) float64
            var += np.einsum("ij,ij->j", d, d)
        scale = np.sqrt(var / len(X))
        scale[scale < 10 * np.finfo(np.float64).eps] = 1.0  # as StandardScaler: constant pixels
        return mean, scale
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


# ``augment_drawings``' rows (varied copies of the digits, printed digits, made-up drawings) are
# made batch by batch by augment.DrawingRows.


# ---- issue 22: training rows that stay as stored until a batch is taken ---------------------
# The training loop (training.train) takes its inputs either as one dense array or as a "row
# source": an object with ``shape`` (rows, features) and ``take_rows(rows, out)``, which fills
# ``out`` (len(rows), features), of the network's dtype, with those rows. ``ImageRows`` keeps
# the images as they were read (uint8 IDX pixels: 47 MB for 60,000 MNIST images, where float64
# copies shifted four ways took 1.9 GB), makes a batch's shifted copies and scales it when the
# batch is taken; ``OneHotRows`` does the same for the one-hot targets.

# shift_augment's copies, in its order, as a move of the flat image: copy k of a pixel p is the
# pixel p + MOVES[k] of the original (in units of a row or a column), and the row or column
# that np.roll would wrap round is zero. (axis, step) as shift_augment gives them.
SHIFTS = ((0, 0), (1, -1), (1, 1), (2, -1), (2, 1))


class ImageRows:
    """Training inputs kept as stored, scaled (and shifted) a batch at a time.

    Row ``r`` of the ``copies * m`` rows is image ``r % m`` as ``shift_augment`` makes its copy
    ``r // m`` (0: the image itself, then shifted up, down, left and right by one pixel), so
    the rows are those of ``shift_augment(images)`` in the same order, and a batch holds what
    the dense array would; only the batch is ever made, as ``(x - mean) / scale`` in the
    dtype of the buffer it is taken into (in float64 the very numbers of the dense array).

    Parameters
    ----------
    images : array (m, n)
        Raw inputs: uint8 pixels, a memory map, or any real array (kept, not copied).
    mean, scale : array (n,)
        The scaler's: inputs become (x - mean) / scale.
    shifts : bool
        Add the four one-pixel shifts of each (square) image: 5 m rows.
    """

    ndim = 2

    def __init__(self, images: np.ndarray, mean: np.ndarray, scale: np.ndarray,
                 shifts: bool = False) -> None:
        if images.ndim != 2:
            raise ValueError(f"images must be (m, n), got shape {images.shape}")
        self.images, self.m = images, images.shape[0]
        n = images.shape[1]
        self.mean = np.asarray(mean, np.float64).reshape(n)
        self.scale = np.asarray(scale, np.float64).reshape(n)
        if not (np.isfinite(self.mean).all() and np.isfinite(self.scale).all()):
            raise ValueError("the scaler's mean and scale must be finite")
        if images.dtype.kind == "f" and not all(np.isfinite(images.min(axis=0))
                                               & np.isfinite(images.max(axis=0))):
            raise ValueError("X and Y must hold finite numbers only (no NaN or infinity)")
        self.copies = len(SHIFTS) if shifts else 1
        self.side = int(round(np.sqrt(n)))
        if shifts and self.side ** 2 != n:
            raise ValueError(f"shifts need square images, got {n} pixels")
        self.shape = (self.m * self.copies, n)
        self._centred = bool(np.any(self.mean))
        # copy k reads pixel p - step of the original, step a row (axis 1) or a column
        self._offsets = np.array([self.side - step * (self.side if axis == 1 else 1)
                                  for axis, step in SHIFTS])
        self._scalers: dict = {}
        self._buffers: dict = {}

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes this holds: the images as stored (memory-mapped ones are the file's)."""
        return int(self.images.nbytes)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """All rows, dense (what the dense pipeline made): for small sets and tests only."""
        out = np.empty(self.shape, dtype or np.float64)
        for start in range(0, self.shape[0], 8192):
            rows = np.arange(start, min(start + 8192, self.shape[0]))
            self.take_rows(rows, out[start:start + len(rows)])
        return out

    def _scaler(self, dtype):
        key = np.dtype(dtype)
        if key not in self._scalers:
            self._scalers[key] = (self.mean.astype(key), self.scale.astype(key))
        return self._scalers[key]

    def _buffer(self, b):
        """(gathered raw rows padded by one row of zeros on each side, copy kind, image)."""
        if b not in self._buffers:
            n, side = self.shape[1], self.side
            pad = side if self.copies > 1 else 0
            raw = np.zeros((b, n + 2 * pad), self.images.dtype)
            self._buffers[b] = (raw, np.empty(b, np.intp), np.empty(b, np.intp),
                                np.empty((b, n), self.images.dtype))
        return self._buffers[b]

    def take_rows(self, rows: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (len(rows), n) with rows ``rows`` (all rows in order when None),
        scaled in out's dtype; returns ``out``."""
        if rows is None and self.copies == 1:
            source = self.images  # all of them in order: no gather
        elif rows is None:
            source = self._shifted(np.arange(self.shape[0]))
        elif self.copies == 1:
            raw = self._buffer(len(rows))[0]
            source = np.take(self.images, rows, axis=0, out=raw, mode="clip")
        else:
            source = self._shifted(rows)
        mean, scale = self._scaler(out.dtype)
        if self._centred:
            np.subtract(source, mean, out=out)
        else:
            np.copyto(out, source, casting="unsafe")  # x - 0 is x: one pass fewer
        np.divide(out, scale, out=out)
        return out

    def _shifted(self, rows):
        """The raw rows' copies: a slice of each zero-padded row, wrapped columns zeroed."""
        b, n, side = len(rows), self.shape[1], self.side
        raw, kind, image, moved = self._buffer(b)
        np.divmod(rows, self.m, out=(kind, image))
        np.take(self.images, image, axis=0, out=raw[:, side:side + n], mode="clip")
        # windows[i, j] is raw[i, j:j + n]: row i moved by j - side pixels of the flat image
        item = raw.strides[1]
        windows = np.lib.stride_tricks.as_strided(raw, (b, 2 * side + 1, n),
                                                  (raw.strides[0], item, item), writeable=False)
        offset = self._offsets[kind]  # where copy k of a row starts reading
        np.copyto(moved, windows[np.arange(b), offset])
        grid = moved.reshape(b, side, side)
        for k, (axis, step) in enumerate(SHIFTS):
            if axis == 2:  # a left or right move wraps the next row's first pixel round
                grid[kind == k, :, -1 if step == -1 else 0] = 0
        return moved


class OneHotRows:
    """One-hot targets of ``ImageRows``' rows: row r is the label of image r % m."""

    ndim = 2

    def __init__(self, y: np.ndarray, classes: np.ndarray, copies: int = 1) -> None:
        self.index = np.searchsorted(classes, y).astype(np.intp)  # (m,) class per image
        self.m, self.k = len(y), len(classes)
        self.shape = (self.m * copies, self.k)
        self._eye: dict = {}
        self._image: dict = {}

    def __len__(self) -> int:
        return self.shape[0]

    def labels(self) -> np.ndarray:
        """The class index of every row, (copies * m,)."""
        return np.tile(self.index, self.shape[0] // self.m)

    def take_rows(self, rows: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        if rows is None:
            rows = np.arange(self.shape[0])
        eye = self._eye.get(out.dtype)
        if eye is None:
            eye = self._eye[out.dtype] = np.eye(self.k, dtype=out.dtype)
        b = len(rows)
        if b not in self._image:
            self._image[b] = (np.empty(b, np.intp), np.empty(b, np.intp))
        image, cls = self._image[b]
        np.remainder(rows, self.m, out=image)
        np.take(self.index, image, out=cls)
        return np.take(eye, cls, axis=0, out=out)
