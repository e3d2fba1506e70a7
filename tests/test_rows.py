"""web/rows.py: a live run's training rows and steps, known before its data is read.

Every count is held equal to what ``pipeline.prepare`` makes (the digits and a small IDX set
written here), and a run of too many optimizer steps is refused with a 422 before the 202.
"""
import os
import warnings

import numpy as np
import pytest
from idx_sets import TRAIN_IMAGES, idx_bytes, write, write_set

from neuralpath import data, pipeline
from neuralpath.presets import resolve
from neuralpath.web import rows, settings
from neuralpath.web.app import create_app

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory):
    """A 300/60 IDX set of 28x28 noise with every digit, gzipped."""
    rng = np.random.default_rng(0)
    folder = str(tmp_path_factory.mktemp("idx"))
    images = rng.integers(0, 256, (360, 28, 28), dtype=np.uint8)
    labels = np.arange(360, dtype=np.uint8) % 10
    return write_set(folder, (images[:300], labels[:300]), (images[300:], labels[300:]))


@pytest.fixture
def client(tmp_path):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", iterations=5, layer_sizes=[64, 5, 10])
    with TestClient(create_app(model=model, runs_dir=str(tmp_path / "runs"))) as client:
        yield client


def test_the_digits_count():
    assert rows.DIGITS_ROWS == len(data.digits()[0])


@pytest.mark.parametrize("preset, overrides", [
    ("tutorial", {}),
    ("tutorial", {"test_size": 0.25, "seed": 3}),
    ("tutorial", {"test_size": 0.33}),
    ("tutorial", {"early_stopping": True, "validation_fraction": 0.15, "epochs": 1,
                  "iterations": None}),
    ("tutorial", {"augment": True}),
    ("best", {"test_size": 0.3}),  # drawing-style copies and made-up drawings
    ("best", {"augment_drawings": False, "augment": True, "early_stopping": True}),
])
def test_training_rows_are_prepares(preset, overrides):
    cfg = resolve(preset, **overrides)
    assert rows.training_rows(cfg) == pipeline.prepare(cfg)["X_train"].shape[0]


@pytest.mark.parametrize("overrides", [{}, {"augment": False},
                                       {"augment": False, "early_stopping": True}])
def test_training_rows_of_an_idx_set_read_its_header_only(idx_folder, overrides):
    cfg = resolve("mnist", **overrides)
    assert rows.training_rows(cfg, idx_folder) == \
        pipeline.prepare(cfg, idx_folder)["X_train"].shape[0]
    # a file cut after its header still gives its count: nothing past the header is read
    cut = os.path.join(idx_folder, "cut")
    os.makedirs(cut, exist_ok=True)
    write(cut, TRAIN_IMAGES, idx_bytes(np.zeros((7000, 28, 28), np.uint8))[:8], gz=False)
    assert rows.data_rows("mnist", cut) == 7000


def test_an_idx_set_that_is_not_there_has_no_count(tmp_path):
    assert rows.data_rows("mnist", str(tmp_path)) is None
    assert rows.training_rows(resolve("mnist"), str(tmp_path)) is None
    write(str(tmp_path), TRAIN_IMAGES, b"not an IDX file", gz=False)
    assert rows.data_rows("mnist", str(tmp_path)) is None


def test_the_worker_still_counts_the_rows_it_read():
    cfg = resolve("tutorial", epochs=20, iterations=None, batch_size=1)
    with pytest.raises(ValueError, match="at most 20000 optimizer steps"):
        rows.check_steps(cfg, 1078)
    assert rows.check_steps(cfg, 1000) == 20_000
    assert rows.check_steps(resolve("tutorial", epochs=3, iterations=None), 1078) == 3


def test_too_many_steps_are_refused_before_the_run_starts(client):
    answer = client.post("/api/train", json={"epochs": 100, "batch_size": 1})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["field"] == "epochs"
    assert body["error"] == (
        "Epochs: a live run makes at most 20000 optimizer steps, and 100 epochs of 1078 rows "
        "in batches of 1 make 107800; use fewer epochs or a larger batch size (at least 6)")
    assert client.get("/api/train/runs").json()["runs"] == []  # nothing was started
    # the smallest batch it names does fit
    assert rows.steps_of(resolve("tutorial", epochs=100, iterations=None, batch_size=6),
                         1078) <= settings.MAX_ITERATIONS
    assert rows.steps_of(resolve("tutorial", epochs=100, iterations=None, batch_size=5),
                         1078) > settings.MAX_ITERATIONS
    # the best preset's copies count: 100 epochs of 1078 x 5 + 2640 rows in batches of 16
    answer = client.post("/api/train", json={"preset": "best", "batch_size": 16})
    assert answer.status_code == 422 and "100 epochs of 8030 rows" in answer.json()["error"]
    # more epochs than steps: no batch helps
    answer = client.post("/api/train", json={"epochs": 20_001})
    assert answer.status_code == 422 and answer.json()["error"].endswith(
        "make 20001; use at most 20000 epochs")
    # 18 epochs of 1078 single rows are 19404 steps: accepted
    started = client.post("/api/train", json={"epochs": 18, "batch_size": 1})
    assert started.status_code == 202, started.text
    client.post(f"/api/train/{started.json()['id']}/stop")


def test_too_many_steps_on_an_idx_set_are_refused(client, idx_folder, monkeypatch):
    monkeypatch.setenv("NEURALPATH_DATA", idx_folder)
    answer = client.post("/api/train", json={"preset": "mnist", "epochs": 100,
                                             "batch_size": 1, "augment": False})
    assert answer.status_code == 422 and answer.json()["field"] == "epochs"
    assert "100 epochs of 300 rows in batches of 1 make 30000" in answer.json()["error"]


def test_options_give_the_page_the_rows(client, idx_folder, monkeypatch):
    """The page counts a run's steps as the server does from these counts."""
    monkeypatch.setenv("NEURALPATH_DATA", idx_folder)
    given = client.get("/api/train/options").json()
    assert given["train_rows"] == {"digits": 1078, "mnist": 300}
    assert given["preset_rows"] == {name: rows.training_rows(resolve(name), idx_folder)
                                    for name in given["presets"]}
    # the images, 80 printed glyphs 3 times and 24 skeleton styles 12 times, 5 copies each
    assert given["preset_rows"]["best"] == 1078 * 5 + 5 * (80 * 3 + 24 * 12)
    assert given["preset_rows"]["mnist"] == 300 * 5  # shifted copies
    counts = given["rows"]
    assert counts["data"] == {"digits": 1797, "mnist": 300}
    assert counts["test_share"] == {"digits": True, "mnist": False}
    for preset in ("tutorial", "best"):  # the formula of rows.rows_options' docstring
        cfg = resolve(preset)
        n = counts["data"]["digits"]
        n -= int(np.ceil(cfg.test_size * n))
        if cfg.augment_drawings:
            n = n * counts["drawing_copies"] + counts["drawings"]
        assert n == given["preset_rows"][preset]
    monkeypatch.setenv("NEURALPATH_DATA", os.path.join(idx_folder, "nothing here"))
    given = client.get("/api/train/options").json()
    assert given["train_rows"]["mnist"] is None and given["preset_rows"]["mnist"] is None
