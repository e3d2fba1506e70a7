"""The command line through main(argv): exit codes, stdout/stderr, files written."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_run import run
from PIL import Image, ImageDraw

from neuralpath import load

JSON_KEYS = {"preset", "layer_sizes", "seed", "iterations", "epochs", "train_accuracy",
             "test_accuracy", "final_cost", "train_seconds", "model_path"}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "model.npz"
    code, out, err = run(["train", "--seed", "2", "--out", str(path),
                          "--no-progress"])
    assert code == 0, err
    return path


def test_train_json_prints_one_object_with_the_design_keys(tmp_path):
    path = tmp_path / "m.npz"
    code, out, err = run(["train", "--iterations", "40", "--seed", "3", "--json",
                          "--out", str(path), "--plot", str(tmp_path / "cost.png")])
    assert code == 0, err
    result = json.loads(out)  # stdout is exactly one JSON object
    assert JSON_KEYS <= set(result)
    assert result["preset"] == "tutorial" and result["seed"] == 3
    assert result["layer_sizes"] == [64, 30, 10] and result["iterations"] == 40
    assert 0 <= result["test_accuracy"] <= 1 and result["model_path"] == str(path)
    assert "confusion matrix" in err  # tables go to stderr with --json
    assert load(path).config.seed == 3
    assert (tmp_path / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_writes_a_run_folder_and_latest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["train", "--iterations", "20", "--no-progress"])
    assert code == 0, err
    assert "test accuracy" in out and "confusion matrix" in out and "precision" in out
    assert os.path.exists("runs/latest/model.npz") and os.path.exists("runs/latest/cost.png")
    runs = [d for d in os.listdir("runs") if d != "latest"]
    assert len(runs) == 1 and f"runs/{runs[0]}/model.npz" in out


def test_seed_sets_split_and_weights(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    for p in (a, b):
        assert run(["train", "--iterations", "10", "--seed", "4", "--out", str(p),
                    "--no-progress"])[0] == 0
    for wa, wb in zip(load(a).network.params, load(b).network.params):
        np.testing.assert_array_equal(wa, wb)


def test_early_stopping_with_augmentation_and_plot(tmp_path):
    path, plot = tmp_path / "es.npz", tmp_path / "es.png"
    code, out, err = run(["train", "--preset", "best", "--epochs", "4", "--early-stopping",
                          "--patience", "2", "--validation-fraction", "0.2", "--json",
                          "--no-progress", "--out", str(path), "--plot", str(plot)])
    assert code == 0, err
    result = json.loads(out)
    assert result["epochs"] <= 4 and result["test_accuracy"] > 0.5
    with Image.open(plot) as img:
        assert img.size[0] > 600  # cost curve and the validation panel beside it
    _assert_usage_error(["train", "--validation-fraction", "1.5"], "validation-fraction")
    _assert_usage_error(["train", "--patience", "0"], "positive integer")


def test_evaluate(model_path):
    code, out, err = run(["evaluate", str(model_path)])
    assert code == 0, err
    assert "test accuracy" in out and "719 test images" in out and "confusion" in out


def test_predict_index(model_path):
    code, out, err = run(["predict", str(model_path), "--index", "0", "--index", "1", "--json"])
    assert code == 0, err
    results = json.loads(out)
    assert [r["input"] for r in results] == ["index 0", "index 1"]
    assert results[0]["digit"] == 0
    assert sum(results[0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


def _png(path, draw, background="white", ink="black", size=(120, 160)):
    img = Image.new("RGB", size, background)
    draw(ImageDraw.Draw(img), ink)
    img.save(path)
    return str(path)


def test_predict_image_files(model_path, tmp_path):
    zero = _png(tmp_path / "zero.png", lambda d, ink: d.ellipse([25, 15, 95, 145], outline=ink,
                                                                 width=12))
    dark = _png(tmp_path / "zero_dark.jpg", lambda d, ink: d.ellipse([25, 15, 95, 145],
                                                                      outline=ink, width=12),
                background="black", ink="white")
    code, out, err = run(["predict", str(model_path), zero, dark])
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(zero) and lines[1].startswith(dark)


def _assert_usage_error(argv, fragment):
    code, out, err = run(argv)
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err
    return err


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--layer-sizes", "32,30,10", "--iterations", "5"],
     "start with the number of input features (64), got 32"),
    (["train", "--layer-sizes", "64,30,9", "--iterations", "5"],
     "end with the number of classes (10), got 9"),
    (["train", "--layer-sizes", "64,x,10"], "comma-separated integers like 64,30,10"),
    (["train", "--learning-rate", "-0.5"], "positive number"),
    (["train", "--iterations", "0"], "positive integer"),
    (["train", "--preset", "fastest"], "invalid choice"),
    (["train", "--seed", "-1", "--iterations", "5"], "seed"),
    (["train", "--dropout", "1.5", "--iterations", "5"], "dropout"),
    (["train", "--frobnicate"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_train_arguments_exit_2_with_one_line(argv, fragment):
    _assert_usage_error(argv, fragment)


def test_missing_model_file(tmp_path):
    _assert_usage_error(["evaluate", str(tmp_path / "missing.npz")], "not found")
    _assert_usage_error(["predict", str(tmp_path / "missing.npz"), "--index", "0"], "not found")


def test_not_a_model_file(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    _assert_usage_error(["evaluate", str(path)], "not a neuralpath model")


def test_predict_refuses_a_file_that_is_not_an_image(model_path, tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not a picture")
    _assert_usage_error(["predict", str(model_path), str(bogus)], "not a readable image")
    _assert_usage_error(["predict", str(model_path), str(tmp_path / "gone.png")], "gone.png")


def test_predict_bad_index_and_nothing_to_predict(model_path):
    _assert_usage_error(["predict", str(model_path), "--index", "5000"], "--index")
    _assert_usage_error(["predict", str(model_path)], "needs --index")


def test_divergence_saves_the_last_finite_weights(tmp_path):
    path = tmp_path / "diverged.npz"
    code, out, err = run(["train", "--activation", "relu", "--output-activation", "identity",
                          "--initializer", "he", "--learning-rate", "1e9", "--iterations",
                          "200", "--out", str(path), "--no-progress"])
    assert code == 1
    assert "smaller learning rate" in err and "iteration" in err and str(path) in err
    model = load(path)
    assert model.metadata["stopped"] == "diverged"
    assert all(np.all(np.isfinite(p)) for p in model.network.params)


def test_ctrl_c_saves_the_weights_reached(tmp_path):
    """A real SIGINT to a real process: exit 130, the model is saved and loadable."""
    path = tmp_path / "interrupted.npz"
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuralpath.cli", "train", "--iterations", "1000000",
         "--out", str(path), "--progress"],  # stderr is a pipe: no bar unless asked
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    # wait until the progress bar shows iterations done: training is under way, however
    # slow the machine is today
    seen, deadline = b"", time.monotonic() + 300
    while not re.search(rb"\|\s*[1-9]\d*/1000000", seen):
        chunk = proc.stderr.read1(256) if hasattr(proc.stderr, "read1") else proc.stderr.read(1)
        assert chunk and time.monotonic() < deadline, seen.decode(errors="replace")
        seen += chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = (seen + err).decode(errors="replace")
    assert proc.returncode == 130, err
    assert "interrupted at iteration" in err and str(path) in err
    assert "Traceback" not in err
    model = load(path)
    assert model.metadata["stopped"] == "interrupted"
    assert 0 < model.metadata["iterations_run"] < 1000000
