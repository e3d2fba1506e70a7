"""data.affine_augment / drawing_augment and synthetic.synthetic_digits: varied copies in the
digits' own form (4x4 block counts 0..16 of a 32x32 bitmap)."""
import numpy as np
import pytest

from neuralpath import data
from neuralpath.synthetic import synthetic_digits


def test_affine_copies_are_block_counts_of_the_same_digit():
    X, y = data.digits()
    X_aug, y_aug = data.affine_augment(X[:50], y[:50], copies=2, random_state=1)
    assert X_aug.shape == (150, 64) and np.array_equal(y_aug, np.tile(y[:50], 3))
    assert np.array_equal(X_aug[:50], X[:50])  # originals first
    copies = X_aug[50:]
    assert np.all(copies == np.round(copies)) and copies.min() >= 0 and copies.max() <= 16
    assert not np.array_equal(copies[:50], X[:50])  # varied
    # each copy is still most like an original of its own digit among 500 (its 1-NN label)
    corr = np.corrcoef(np.vstack([X[:500], copies[:50]]))[500:, :500]  # (50, 500)
    assert np.mean(y[corr.argmax(axis=1)] == y[:50]) >= 0.9
    again, _ = data.affine_augment(X[:50], y[:50], copies=2, random_state=1)
    assert np.array_equal(again, X_aug)  # seeded


def test_no_variation_keeps_the_digit():
    X, y = data.digits()
    same, _ = data.affine_augment(X[:30], y[:30], copies=1, rotation=0, shear=0, stretch=0,
                                  thickness=0)
    assert np.abs(same[30:] - X[:30]).mean() < 2.0  # re-counted from 32x32: close to the data


def test_drawing_augment_adds_made_up_drawings_of_every_digit():
    X, y = data.digits()
    X_aug, y_aug = data.drawing_augment(X[:20], y[:20], copies=1, per_style=2)
    X_syn, y_syn = synthetic_digits(2)
    assert len(X_aug) == 40 + len(X_syn) and set(y_syn) == set(range(10))
    assert X_syn.min() >= 0 and X_syn.max() <= 16 and abs(X_syn.mean() - X.mean()) < 1.5


@pytest.mark.parametrize("call, fragment", [
    (lambda: data.affine_augment(np.zeros((2, 63)), np.zeros(2)), "shape"),
    (lambda: data.affine_augment(np.zeros((2, 64)), np.zeros(2), copies=-1), "copies"),
    (lambda: synthetic_digits(-1), "per_style"),
])
def test_bad_arguments_are_named(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()
