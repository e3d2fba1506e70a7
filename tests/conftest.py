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


# `make test` runs the suite on every core (pytest-xdist, `-n auto --dist loadgroup`). The
# modules below keep all their tests on one worker: the browser tests (one chromium at a time),
# the server's (a real uvicorn on loopback, with header and body deadlines measured in
# seconds), the sweep's (a Dask cluster, a Ctrl-C sent to a child), the notebook's (a kernel)
# and the speed checks (BLAS thread counts, allocation tracing); their module-wide fixtures
# are then made once. Without xdist the marks do nothing.
ONE_WORKER = {"browser": "browser", "test_server.py": "server", "test_sweep.py": "sweep",
              "test_tutorial_notebook.py": "notebook", "test_speed.py": "speed"}


def pytest_configure(config):
    config.addinivalue_line("markers", "xdist_group(name): run on one pytest-xdist worker")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path
        group = ONE_WORKER.get(path.name) or ONE_WORKER.get(path.parent.name)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: the checks must come first."""
    import neuralpath.pipeline as pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(pipeline, "train_config", refuse)


@pytest.fixture
def app(served_model, tmp_path):
    """The web app serving ``served_model`` (a fixture of the module that uses this one), its
    page runs' folders under tmp_path."""
    from neuralpath.web.app import create_app
    return create_app(model=served_model, runs_dir=str(tmp_path / "runs"))


@pytest.fixture
def client(app):
    """A browser of ``app`` (its cookie jar), with the app's lifespan running."""
    import warnings
    with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns at httpx
        warnings.filterwarnings("ignore", message=".*install `httpx2`")
        from fastapi.testclient import TestClient
    with TestClient(app) as client:
        yield client
