"""Saved models: identical predictions after a round trip; anything else is refused clearly."""
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from neuralpath import ModelFileError, load, save
from neuralpath.data import digits
from neuralpath.persist import FORMAT_VERSION, atomic_write
from neuralpath.pipeline import train_preset


@pytest.fixture(scope="module")
def model():
    return train_preset("tutorial", seed=1, iterations=30)[0]


def test_round_trip_predicts_identically(model, tmp_path):
    path = save(model, tmp_path / "m.npz")
    back = load(path)
    X, _ = digits()
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back.network.layer_sizes == [64, 30, 10]
    assert back.metadata["preset"] == "tutorial" and back.config.seed == 1
    assert back.config == model.config  # the whole TrainConfig travels in the file
    assert back.metadata["format_version"] == FORMAT_VERSION
    for a, b in zip(back.network.params, model.network.params):
        np.testing.assert_array_equal(a, b)


def test_model_predicts_on_raw_pixels(model):
    X, _ = digits()
    manual = model.network.predict_output((X[:5] - model.scaler_mean) / model.scaler_scale)
    np.testing.assert_array_equal(model.output(X[:5]), manual)
    proba = model.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.predict(X[:5])) == list(manual.argmax(axis=1))


def test_string_labels_survive(model, tmp_path):
    model.classes = np.array(list("abcdefghij"))
    try:
        back = load(save(model, tmp_path / "s.npz"))
        assert back.classes.tolist() == list("abcdefghij")
    finally:
        model.classes = np.arange(10)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load(tmp_path / "nope.npz")


def test_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(os.urandom(2000))
    with pytest.raises(ModelFileError, match="not a neuralpath model"):
        load(path)


def test_truncated_file_is_refused(model, tmp_path):
    path = save(model, tmp_path / "whole.npz")
    data = Path(path).read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load(cut)


def test_foreign_npz_is_refused(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ModelFileError, match="no metadata"):
        load(path)


def _rewrite_metadata(src, dst, change):
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["metadata"]))
    change(meta)
    arrays["metadata"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)


def test_unknown_format_version_is_refused(model, tmp_path):
    src = save(model, tmp_path / "m.npz")
    _rewrite_metadata(src, tmp_path / "v99.npz", lambda m: m.update(format_version=99))
    with pytest.raises(ModelFileError, match="format version 99"):
        load(tmp_path / "v99.npz")


def test_wrong_shapes_are_refused(model, tmp_path):
    src = save(model, tmp_path / "m.npz")
    _rewrite_metadata(src, tmp_path / "bad.npz", lambda m: m.update(layer_sizes=[64, 20, 10]))
    with pytest.raises(ModelFileError, match="wrong shape"):
        load(tmp_path / "bad.npz")


def test_pickled_content_is_never_loaded(tmp_path):
    path = tmp_path / "pickle.npz"
    np.savez(path, metadata=np.array([{"format": "neuralpath-model"}], dtype=object))
    with pytest.raises(ModelFileError):
        load(path)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old content")

    def fail(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_saved_file_is_a_plain_npz(model, tmp_path):
    path = save(model, tmp_path / "m.npz")
    names = zipfile.ZipFile(path).namelist()
    assert {"W0.npy", "W1.npy", "b0.npy", "b1.npy", "metadata.npy", "classes.npy"} <= set(names)


def test_saved_files_get_the_usual_permissions(model, tmp_path):
    umask = os.umask(0o022)
    try:
        path = save(model, tmp_path / "perm.npz")
    finally:
        os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o644
