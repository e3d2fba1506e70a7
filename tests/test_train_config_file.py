"""neuralpath train --config FILE: a run's config.json (or TOML with the same keys) trains the
same network again, to the same final cost; options beside it override it."""
import json
import os

import numpy as np
import pytest
from cli_run import run

from neuralpath import load


def train_json(argv):
    code, out, err = run(["train", "--json", "--quiet", *argv])
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("settings", [
    ["--iterations", "60", "--seed", "3"],  # the tutorial's full batch
    ["--optimizer", "adam", "--batch-size", "32", "--epochs", "2", "--learning-rate",
     "0.01", "--activation", "relu", "--output-activation", "softmax", "--cost",
     "cross_entropy", "--initializer", "he", "--dropout", "0.1", "--seed", "5"],
])
def test_a_runs_config_json_reproduces_its_final_cost(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = train_json(settings)
    again = train_json(["--config", os.path.join(first["run_dir"], "config.json")])
    assert again["run_dir"] != first["run_dir"]
    np.testing.assert_allclose(again["final_cost"], first["final_cost"], rtol=0, atol=1e-9)
    assert load(again["model_path"]).config == load(first["model_path"]).config
    # the run folder itself, and the model file, are config files too
    for source in (first["run_dir"], first["model_path"]):
        same = train_json(["--config", source])
        np.testing.assert_allclose(same["final_cost"], first["final_cost"], atol=1e-9)


def test_options_beside_the_file_override_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = train_json(["--iterations", "20", "--seed", "1"])
    config = os.path.join(first["run_dir"], "config.json")
    changed = train_json(["--config", config, "--seed", "2", "--epochs", "3"])
    cfg = load(changed["model_path"]).config
    assert (cfg.seed, cfg.epochs, cfg.iterations) == (2, 3, None)
    assert cfg.learning_rate == 0.25 and cfg.layer_sizes == [64, 30, 10]


def test_a_toml_file_with_the_same_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small.toml").write_text('layer_sizes = [64, 20, 10]\niterations = 15\n'
                                         'learning_rate = 0.5\nseed = 4\n')
    result = train_json(["--config", "small.toml"])
    cfg = load(result["model_path"]).config
    assert (cfg.layer_sizes, cfg.iterations, cfg.learning_rate, cfg.seed) == (
        [64, 20, 10], 15, 0.5, 4)
    assert cfg.activation == "sigmoid"  # what the file leaves out: the tutorial's
    # on top of a preset: the preset's settings, then the file's
    (tmp_path / "tweak.toml").write_text('epochs = 1\nbatch_size = 256\n')
    cfg = load(train_json(["--config", "tweak.toml", "--preset", "best"])["model_path"]).config
    assert (cfg.optimizer, cfg.epochs, cfg.batch_size) == ("adam", 1, 256)


@pytest.mark.parametrize("text, name, message", [
    (None, "missing.json", "--config missing.json: missing.json: no such file"),
    ('{"learning_rate": 0.1, "speed": 3}', "c.json", "unknown setting(s) ['speed']"),
    ('{"learning_rate": -1}', "c.json", "learning_rate must be a positive number"),
    ("[1, 2]", "c.json", "must hold a table of settings"),
    ("{not json", "c.json", "cannot be read as a config"),
    ("iterations = ", "c.toml", "cannot be read as a config"),
])
def test_a_bad_config_file_exits_2(text, name, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if text is not None:
        (tmp_path / name).write_text(text)
    code, out, err = run(["train", "--config", name])
    assert code == 2 and message in err and "Traceback" not in err, err
    assert err.startswith("neuralpath train: --config")


def test_config_and_resume_together_are_refused(tmp_path):
    (tmp_path / "c.json").write_text("{}")
    code, out, err = run(["train", "--config", str(tmp_path / "c.json"), "--resume",
                          str(tmp_path)])
    assert code == 2 and "give --config or --resume, not both" in err


def test_options_beside_a_config_file_are_refused_as_without_one(tmp_path, monkeypatch):
    """A value or a pair refused beside --config reads as it does without it: the option the
    user typed named for a value, the config's words for two settings that do not go
    together (not a '--' put before whatever word comes first)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.json").write_text(json.dumps({"iterations": 5}))
    for extra, expected in ((["--learning-rate", "-1"],
                             "neuralpath train: --learning-rate must be a positive number"),
                            (["--cost", "quadratic", "--output-activation", "exp"],
                             "neuralpath train: cost 'quadratic' needs an output_activation")):
        alone = run(["train", "--iterations", "5", *extra])
        beside = run(["train", "--config", "c.json", *extra])
        for code, _, err in (alone, beside):
            assert code == 2 and err.strip().startswith(expected), err
