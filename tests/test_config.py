"""TrainConfig: one typed, validated record of a run, from the command line to the optimizer
and into the model file; presets are configs; old model files still load."""
import dataclasses
import json

import numpy as np
import pytest
from cli_run import run

from neuralpath import Network, TrainConfig, load, save
from neuralpath import optimizers as optimizers_module
from neuralpath.cli import build_parser
from neuralpath.costs import OUTPUT_LAYERS
from neuralpath.data import DATASETS, digits
from neuralpath.pipeline import train_preset
from neuralpath.presets import PRESETS, resolve


def test_defaults_are_the_tutorial_section_5():
    cfg = TrainConfig()
    assert cfg.layer_sizes == [64, 30, 10] and cfg.learning_rate == 0.25
    assert cfg.iterations == 3000 and cfg.epochs is None and cfg.batch_size is None
    assert (cfg.activation, cfg.output_activation, cfg.cost) == ("sigmoid", "sigmoid",
                                                                 "quadratic")
    assert (cfg.initializer, cfg.optimizer, cfg.scaler, cfg.test_size) == ("tutorial", "gd",
                                                                           "all", 0.4)
    assert PRESETS["tutorial"] == cfg


def test_every_preset_is_a_valid_config_of_a_known_dataset():
    for name, cfg in PRESETS.items():
        assert isinstance(cfg, TrainConfig), name
        assert cfg.dataset in DATASETS
        assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("changes, message", [
    (dict(learning_rate=-1), "learning_rate must be a positive number, got -1"),
    (dict(learning_rate=float("inf")), "learning_rate"),
    (dict(layer_sizes=[64]), "layer_sizes must be a list of two or more positive integers"),
    (dict(layer_sizes=[64, 0, 10]), "layer_sizes"),
    (dict(activation="swish"), r"activation must be one of .*got 'swish'"),
    (dict(cost="cross_entropy", output_activation="identity"),
     r"cost 'cross_entropy' needs an output_activation in \['softmax', 'sigmoid'\]"),
    (dict(optimizer="lbfgs"), "optimizer"),
    (dict(beta_1=1.0), r"beta_1 must be a number in \[0, 1\), got 1.0"),
    (dict(momentum=-0.1), "momentum"),
    (dict(epsilon=0.0), "epsilon"),
    (dict(iterations=None), "give exactly one of iterations or epochs"),
    (dict(epochs=5), "give exactly one of iterations or epochs"),
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(patience=True), "patience"),
    (dict(seed=-1), "seed must be an integer >= 0, got -1"),
    (dict(test_size=1.0), "test_size"),
    (dict(dropout=1.0), r"dropout must be a number in \[0, 1\), got 1.0"),
    (dict(early_stopping="yes"), "early_stopping must be True or False"),
    (dict(dataset="cifar"), "dataset"),
    (dict(scaler="robust"), "scaler"),
    (dict(dtype="float16"), "dtype"),
])
def test_bad_settings_are_refused_naming_the_setting(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_replace_switches_between_iterations_and_epochs_and_refuses_unknown_names():
    cfg = TrainConfig()
    assert cfg.replace(epochs=4).iterations is None
    assert cfg.replace(epochs=4).replace(iterations=9).epochs is None
    assert cfg.replace(learning_rate=None) == cfg  # None: keep the value
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['alpha'\]"):
        cfg.replace(alpha=0.1)
    with pytest.raises(ValueError, match="unknown setting"):
        TrainConfig.from_dict({**cfg.to_dict(), "lr": 1})


def test_the_config_is_plain_json():
    cfg = resolve("best", seed=np.int64(3))
    text = json.dumps(cfg.to_dict())
    assert TrainConfig.from_dict(json.loads(text)) == cfg
    assert cfg.differences(PRESETS["best"]) == {"seed": (3, 0)}


def test_every_setting_is_a_train_option_with_help():
    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.items()
                 if a[0] == "train")[1]
    options = {o: a for a in train._actions for o in a.option_strings}
    for f in dataclasses.fields(TrainConfig):
        action = options["--" + f.name.replace("_", "-")]
        assert action.help and f.metadata["help"] in action.help, f.name


def test_a_setting_travels_from_the_command_line_to_the_optimizer(tmp_path, monkeypatch):
    """--learning-rate and --beta-1 reach Adam through TrainConfig alone, and the model file
    keeps them."""
    seen = {}
    real_init, real_update = optimizers_module.Adam.__init__, optimizers_module.Adam.update

    def spy_init(self, **options):
        seen.update(options)
        real_init(self, **options)

    def spy_update(self, params, grads, learning_rate):
        seen.update(learning_rate=learning_rate)  # the loop hands the rate to every step
        real_update(self, params, grads, learning_rate)

    monkeypatch.setattr(optimizers_module.Adam, "__init__", spy_init)
    monkeypatch.setattr(optimizers_module.Adam, "update", spy_update)
    path = tmp_path / "m.npz"
    code, out, err = run(["train", "--optimizer", "adam", "--learning-rate", "0.02",
                          "--beta-1", "0.7", "--iterations", "3", "--no-progress",
                          "--out", str(path)])
    assert code == 0, err
    assert seen == dict(learning_rate=0.02, beta_1=0.7, beta_2=0.999, epsilon=1e-8)
    cfg = load(path).config
    assert (cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.iterations) == ("adam", 0.02,
                                                                               0.7, 3)


def test_a_bad_option_value_names_the_option():
    code, out, err = run(["train", "--beta-2", "1.5"])
    assert code == 2 and err.strip() == (
        "neuralpath train: --beta-2 must be a number in [0, 1), got 1.5")


def test_the_model_file_keeps_the_whole_config(tmp_path):
    model, _, _ = train_preset("tutorial", seed=5, iterations=7, l2=0.01, momentum=0.5)
    back = load(save(model, tmp_path / "m.npz"))
    assert back.config == resolve("tutorial", seed=5, iterations=7, l2=0.01, momentum=0.5)
    assert back.metadata["preset"] == "tutorial"


def _write_v1(path, model):
    """A model file in neuralpath 0.1.0's layout: the settings flat in the metadata."""
    net = model.network
    meta = {"format": "neuralpath-model", "format_version": 1, "neuralpath_version": "0.1.0",
            "layer_sizes": net.layer_sizes, "activation": "sigmoid",
            "output_activation": "sigmoid", "cost": "quadratic", "initializer": "tutorial",
            "dtype": "float64", "preset": "tutorial-l2", "dataset": "digits",
            "optimizer": "gd", "learning_rate": 0.25, "iterations": 30, "epochs": None,
            "batch_size": None, "l2": 0.001, "dropout": 0.0, "scaler": "all",
            "test_size": 0.4, "seed": 4, "iterations_run": 30, "stopped": "completed",
            "test_accuracy": 0.5, "train_accuracy": 0.5}
    arrays = {f"W{l}": W for l, W in enumerate(net.W)}
    arrays.update({f"b{l}": b for l, b in enumerate(net.b)})
    arrays.update(scaler_mean=model.scaler_mean, scaler_scale=model.scaler_scale,
                  classes=model.classes, metadata=np.array(json.dumps(meta)))
    np.savez(path, **arrays)


def test_a_model_file_of_neuralpath_0_1_0_still_loads(tmp_path):
    model, _, _ = train_preset("tutorial-l2", seed=4, iterations=30)
    path = tmp_path / "old.npz"
    _write_v1(path, model)
    back = load(path)
    X, _ = digits()
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    assert back.config == model.config  # rebuilt from the preset and the flat settings
    assert back.metadata["stopped"] == "completed" and back.metadata["preset"] == "tutorial-l2"
    code, out, err = run(["evaluate", str(path)])  # and the CLI reads it as before
    assert code == 0 and "seed 4" in out and "719 test images" in out, err


def test_network_from_weights_is_the_same_network():
    net = Network([5, 4, 3], "tanh", "softmax", "cross_entropy", "xavier", random_state=2)
    copy = Network.from_weights(net.W, net.b, "tanh", "softmax", "cross_entropy", "xavier")
    X = np.random.default_rng(0).normal(size=(6, 5))
    np.testing.assert_array_equal(copy.predict_output(X), net.predict_output(X))
    assert copy.layer_sizes == [5, 4, 3] and copy.W[0] is not net.W[0]
    assert Network.from_weights([w.astype(np.float32) for w in net.W],
                                [b.astype(np.float32) for b in net.b]).dtype == np.float32
    with pytest.raises(ValueError, match=r"W\[1\] must have 4 columns.*got shape \(4, 3\)"):
        Network.from_weights([net.W[0], net.W[1].T], net.b)
    with pytest.raises(ValueError, match=r"b\[0\] must have shape \(4,\)"):
        Network.from_weights(net.W, [net.b[1], net.b[1]])


def test_every_cost_and_output_pair_is_gradient_checked():
    from test_gradients import COST_OUTPUTS
    assert set(COST_OUTPUTS) == set(OUTPUT_LAYERS)
