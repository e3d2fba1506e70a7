"""Accuracy floors of the digits presets: mean test accuracy over the splits of seeds 0..4.

These are the slow tests of the suite (about 7 s, 7 s and under 150 s on 2 cores). BLAS is
held to one thread while they train: the matrices are small, and on a busy 2-core machine
OpenBLAS's threads slow this training down many times over instead of speeding it up.
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from neuralpath import data
from neuralpath.pipeline import prepare, train_preset
from neuralpath.presets import resolve

SEEDS = range(5)


def accuracies(preset, **overrides):
    with threadpool_limits(limits=1, user_api="blas"):
        return np.array([train_preset(preset, seed=s, **overrides)[2]["test_accuracy"]
                         for s in SEEDS])


@pytest.fixture(scope="module")
def tutorial_accuracy():
    return accuracies("tutorial")


def test_tutorial_reaches_the_tutorials_86_percent(tutorial_accuracy):
    assert tutorial_accuracy.mean() >= 0.86, tutorial_accuracy


def test_tutorial_l2_improves_every_split(tutorial_accuracy):
    """The follow-up post's weight decay, W -= alpha ((1/m) Delta W + lambda W) with
    lambda = 0.001, which the post reports takes one run from 86% to 95%.

    Over these five splits it gives 93.2% on average (92.7% over seeds 0..19, none above
    94.5%), so the floor here is 92.5%, not the post's single 95%; on every split it beats
    the plain tutorial network by at least 3 points.
    """
    acc = accuracies("tutorial-l2")
    assert resolve("tutorial-l2").l2 == 0.001
    assert acc.mean() >= 0.925, acc
    assert np.all(acc >= tutorial_accuracy + 0.03), (acc, tutorial_accuracy)


def test_best_reaches_98_5_percent():
    """Mean test accuracy of ``best`` over seeds 0..4 at least 98.5% (it measures 98.9%).
    On the same splits scikit-learn's MLPClassifier gets 97.5% and an RBF support-vector
    classifier 97.6% (standardized) or 98.4% (pixels / 16, as ``best`` scales them)."""
    acc = accuracies("best")
    assert acc.mean() >= 0.985, acc
    assert acc.min() >= 0.975, acc


def test_best_scales_with_the_training_part_only():
    """Changing the test part's pixels changes nothing in what ``best`` trains on."""
    seed = 0
    cfg = resolve("best", seed=seed)
    X, y = data.digits()
    _, X_te, _, _ = data.split(X, y, seed)
    test_rows = np.isin(np.arange(len(X)), data.split(np.arange(len(X)), y, seed)[1])
    assert len(X_te) == test_rows.sum()
    X_changed = X.copy()
    X_changed[test_rows] *= 0.5  # a test part with other statistics (and a largest value of 8)
    X_changed[np.flatnonzero(test_rows)[0]] = 1000.0  # and one outlier
    a = prepare(cfg, arrays=(X, y))
    b = prepare(cfg, arrays=(X_changed, y))
    np.testing.assert_array_equal(a["X_train"], b["X_train"])
    np.testing.assert_array_equal(a["mean"], b["mean"])
    np.testing.assert_array_equal(a["scale"], b["scale"])
