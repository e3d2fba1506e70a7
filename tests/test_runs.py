"""Run folders, checkpoints and resume: the files' contents, and a resumed run that ends
with the same weights as the run left uninterrupted."""
import csv
import json
import os

import numpy as np
import pytest
from cli_run import run
from PIL import Image

from neuralpath import load
from neuralpath.config import TrainConfig
from neuralpath.data import get_dataset, one_hot
from neuralpath.network import Network
from neuralpath.pipeline import train_config
from neuralpath.presets import PRESETS
from neuralpath.runs import load_checkpoint, read_metrics, save_checkpoint, write_metrics
from neuralpath.training import History, train


@pytest.fixture(scope="module")
def digits():
    X, y, _ = get_dataset("digits").load(None)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-9)
    return X[:600], one_hot(y[:600], np.arange(10))


# -- resume equals uninterrupted, in the engine -------------------------------------------

CASES = {
    # the tutorial's full-batch gradient descent: a checkpoint every iteration
    "full-batch gd": (TrainConfig(iterations=60), 25),
    # mini-batch Adam with dropout, shuffling every epoch and a cosine schedule
    "mini-batch adam, dropout": (PRESETS["best"].replace(
        layer_sizes=[64, 40, 20, 10], epochs=7, batch_size=64, augment=False,
        dtype="float64"), 3),
    "momentum, early stopping": (TrainConfig().replace(
        optimizer="momentum", epochs=8, batch_size=100, early_stopping=True, patience=3,
        learning_rate=0.1, dropout=0.2), 4),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_resumed_run_ends_with_the_uninterrupted_weights(digits, case):
    cfg, k = CASES[case]
    X, Y = digits
    validation = (X[500:], Y[500:]) if cfg.early_stopping else None
    X, Y = (X[:500], Y[:500]) if cfg.early_stopping else (X, Y)

    def fresh():
        return Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                       cfg.initializer, random_state=cfg.seed, dtype=cfg.dtype)

    whole = fresh()
    h_whole = train(whole, X, Y, cfg, validation_data=validation, handle_interrupt=False)
    states = []
    first = fresh()
    train(first, X, Y, cfg, validation_data=validation, handle_interrupt=False,
          checkpoint=states.append, checkpoint_every=k)
    state = states[0]
    assert state.history.epochs == k
    # the state is a snapshot: the later epochs did not change it
    assert not np.array_equal(state.params[0], first.W[0])
    resumed = Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                      cfg.initializer, random_state=cfg.seed + 99, dtype=cfg.dtype)
    h_resumed = train(resumed, X, Y, cfg, validation_data=validation, handle_interrupt=False,
                      resume=state)
    for a, b in zip(whole.params, resumed.params):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)
    assert h_resumed.iterations == h_whole.iterations
    assert h_resumed.cost == pytest.approx(h_whole.cost, abs=1e-12)
    assert [r["epoch"] for r in h_resumed.log] == [r["epoch"] for r in h_whole.log]


def test_resuming_from_a_state_with_a_fresh_optimizer_state_differs(digits):
    """The test above can fail: without the optimizer's moments the weights differ."""
    cfg, k = CASES["mini-batch adam, dropout"]
    X, Y = digits
    whole = Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                    cfg.initializer, random_state=cfg.seed, dtype=cfg.dtype)
    train(whole, X, Y, cfg, handle_interrupt=False)
    states = []
    net = Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                  cfg.initializer, random_state=cfg.seed, dtype=cfg.dtype)
    train(net, X, Y, cfg, handle_interrupt=False, checkpoint=states.append, checkpoint_every=k)
    states[0].optimizer = {"buffers": [], "t": 0}
    train(net, X, Y, cfg, handle_interrupt=False, resume=states[0])
    assert np.abs(net.W[0] - whole.W[0]).max() > 1e-6


# -- checkpoint files and the command line ------------------------------------------------


def test_checkpoint_file_round_trip_and_cli_resume(tmp_path, monkeypatch):
    """A checkpoint written at epoch 2 of 5 (as a Ctrl-C after it would leave it), resumed
    with ``neuralpath train --resume``, gives the uninterrupted run's model."""
    monkeypatch.chdir(tmp_path)
    cfg = PRESETS["best"].replace(layer_sizes=[64, 32, 10], epochs=5, augment=False)
    assert cfg.dropout > 0 and cfg.optimizer == "adam" and cfg.dtype == "float32"
    whole, _, _ = train_config(cfg, preset="best")
    folder = tmp_path / "runs" / "stopped"

    def save_at_2(model, state):
        if state.history.epochs == 2:
            save_checkpoint(model, state, str(folder))
    train_config(cfg, preset="best", checkpoint=save_at_2, checkpoint_every=1)
    model, state = load_checkpoint(str(folder))
    assert state.history.epochs == 2 and state.optimizer["t"] == state.history.iterations
    assert model.config == cfg and model.metadata["preset"] == "best"
    assert load(folder / "checkpoint.npz").network.layer_sizes == [64, 32, 10]

    code, out, err = run(["train", "--resume", str(folder), "--json", "--quiet"])
    assert code == 0, err
    result = json.loads(out)
    assert result["epochs"] == 5 and result["run_dir"] == str(folder)
    for a, b in zip(whole.network.params, load(folder / "model.npz").network.params):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)
    rows = read_metrics(str(folder / "metrics.csv"))
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5]  # the record covers the whole run


def test_resume_refuses_changed_settings_and_a_folder_without_checkpoint(tmp_path):
    code, out, err = run(["train", "--resume", str(tmp_path), "--learning-rate", "1"])
    assert code == 2 and "--learning-rate" in err and "Traceback" not in err
    code, out, err = run(["train", "--resume", str(tmp_path)])
    assert code == 2 and "no checkpoint" in err and "--checkpoint-every" in err
    code, out, err = run(["train", "--checkpoint-every", "2", "--out", str(tmp_path / "m.npz")])
    assert code == 2 and "--out" in err and not os.listdir(tmp_path)


def test_checkpoint_every_writes_into_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["train", "--iterations", "30", "--checkpoint-every", "10",
                          "--quiet"])
    assert code == 0, err
    assert out == "" and err == ""  # --quiet: nothing but errors
    model, state = load_checkpoint("runs/latest")
    assert state.history.iterations == 30 and state.optimizer["buffers"]
    for a, b in zip(model.network.params, load("runs/latest/model.npz").network.params):
        np.testing.assert_array_equal(a, b)


# -- the run folder's files, by content ---------------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    home = tmp_path_factory.mktemp("runs")
    cwd = os.getcwd()
    os.chdir(home)
    try:
        code, out, err = run(["train", "--iterations", "45", "--seed", "1", "--learning-rate",
                              "0.5", "--json", "--no-progress"])
    finally:
        os.chdir(cwd)
    assert code == 0, err
    result = json.loads(out)
    return home / result["run_dir"], result


def test_run_folder_holds_the_whole_record(run_folder):
    folder, result = run_folder
    assert sorted(os.listdir(folder)) == ["config.json", "confusion.png", "cost.png",
                                          "errors.png", "metrics.csv", "model.npz"]
    assert os.path.realpath(folder.parent / "latest") == os.path.realpath(folder)


def test_config_json_is_the_models_config(run_folder):
    folder, _ = run_folder
    saved = json.loads((folder / "config.json").read_text())
    model = load(folder / "model.npz")
    assert saved == model.config.to_dict()
    assert saved["learning_rate"] == 0.5 and saved["iterations"] == 45 and saved["seed"] == 1
    assert TrainConfig.from_dict(saved) == model.config


def test_metrics_csv_has_a_row_per_ten_iterations_with_every_column(run_folder):
    folder, result = run_folder
    with open(folder / "metrics.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["epoch", "iteration", "cost", "val_cost", "accuracy", "learning_rate",
                      "seconds"]
    rows = read_metrics(str(folder / "metrics.csv"))
    # full-batch: every 10 iterations, and the last
    assert [r["iteration"] for r in rows] == [10, 20, 30, 40, 45]
    assert all(r["learning_rate"] == 0.5 and r["val_cost"] is None for r in rows)
    seconds = [r["seconds"] for r in rows]
    assert seconds == sorted(seconds) and seconds[0] > 0
    assert rows[-1]["cost"] < rows[0]["cost"]  # it learned
    # a full-batch row is iteration k's batch, all the training part, before step k: its cost
    # is the run's final J (no L2 here), its accuracy that of the weights after k - 1 steps
    assert rows[-1]["cost"] == pytest.approx(result["final_cost"], abs=1e-12)
    code, out, err = run(["train", "--iterations", "44", "--seed", "1", "--learning-rate",
                          "0.5", "--json", "--out", str(folder.parent / "44.npz")])
    assert rows[-1]["accuracy"] == json.loads(out)["train_accuracy"]


def test_confusion_png_is_the_matrix_picture(run_folder):
    folder, _ = run_folder
    with Image.open(folder / "confusion.png") as img:
        width, height = img.size
        pixels = np.asarray(img.convert("RGB"), dtype=float)
    assert 300 < width < 800 and 300 < height < 800
    blue = (pixels[..., 2] - pixels[..., 0]) > 60  # the Blues colour map: the diagonal
    assert blue.mean() > 0.02


def test_errors_png_shows_the_misclassified_test_images(run_folder, monkeypatch):
    folder, result = run_folder
    shown = {}
    import neuralpath.runs as runs
    original = runs.errors_figure

    def spy(images, labels, answers, total=None, limit=40):
        shown.update(images=images, labels=labels, answers=answers, total=total)
        return original(images, labels, answers, total, limit)
    monkeypatch.setattr(runs, "errors_figure", spy)
    model = load(folder / "model.npz")
    from neuralpath.pipeline import test_part
    X_te, y_te = test_part(model)
    runs.write_test_figures(model, X_te, y_te, str(folder.parent / "again"))
    wrong = model.predict(X_te) != y_te
    assert shown["total"] == len(y_te) == 719
    assert len(shown["images"]) == wrong.sum() == round((1 - result["test_accuracy"]) * 719)
    np.testing.assert_array_equal(shown["labels"], y_te[wrong])
    np.testing.assert_array_equal(shown["answers"], model.predict(X_te)[wrong])
    assert not np.any(np.asarray(shown["labels"]) == np.asarray(shown["answers"]))
    # the figure the run wrote is the one made again from the same model
    assert (folder / "errors.png").read_bytes() == (folder.parent / "again" /
                                                    "errors.png").read_bytes()
    with Image.open(folder / "errors.png") as img:
        assert img.size[0] > 600  # ten images a row


def test_metrics_csv_writes_none_as_empty(tmp_path):
    h = History(log=[{"epoch": 1, "iteration": 3, "cost": 0.5, "val_cost": None,
                      "accuracy": None, "learning_rate": 0.1, "seconds": 0.25}])
    path = write_metrics(h, str(tmp_path / "m.csv"))
    with open(path) as f:
        assert f.read().splitlines()[1] == "1,3,0.5,,,0.1,0.25"
