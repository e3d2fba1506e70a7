"""Shared fixtures: the tutorial's data, scaled and split as sections 5.1-5.3 do."""
import numpy as np
import pytest

from neuralpath import data


@pytest.fixture(scope="session")
def digits_split():
    """Seed-0 split of the digits, scaled on all the data (the tutorial's way)."""
    X, y = data.digits()
    mean, scale = data.fit_scaler(X)
    X_tr, X_te, y_tr, y_te = data.split((X - mean) / scale, y, seed=0)
    classes = np.arange(10)
    return dict(X_train=X_tr, X_test=X_te, y_train=y_tr, y_test=y_te,
                Y_train=data.one_hot(y_tr, classes), Y_test=data.one_hot(y_te, classes))


@pytest.fixture
def held_training(monkeypatch):
    """Hold the web page's start-up training part way: ``hold(total, done)`` makes
    ``pipeline.train_preset`` report ``done`` of ``total`` steps, set ``reached`` and wait for
    ``release`` before training for real. Returns ``(reached, release)`` events."""
    import threading

    import neuralpath.pipeline as pipeline
    real = pipeline.train_preset

    def hold(total, done):
        reached, release = threading.Event(), threading.Event()

        def held(preset, seed, callbacks, **overrides):
            for cb in callbacks:
                cb.on_train_begin(total)
                cb.on_iteration(done, 0.5)
            reached.set()
            assert release.wait(20)
            return real(preset, seed=seed, callbacks=callbacks, **overrides)

        monkeypatch.setattr(pipeline, "train_preset", held)
        return reached, release

    return hold
