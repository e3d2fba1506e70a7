"""What the command line says, and where: quiet, verbose, progress only at a terminal, one
JSON object, presets as train commands, evaluate naming the settings that differ."""
import io
import json
import shlex

import pytest
from cli_run import run

from neuralpath.cli import build_parser
from neuralpath.commands.presets import as_command
from neuralpath.commands.train import config_from_args
from neuralpath.presets import PRESETS


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_show_prints_the_train_command_that_equals_the_preset(name):
    code, out, err = run(["presets", "--show", name])
    assert code == 0 and out == as_command(name) + "\n"
    argv = shlex.split(out)
    assert argv[:2] == ["neuralpath", "train"]
    args = build_parser().parse_args(argv[1:])
    assert config_from_args(args) == (name, PRESETS[name])
    # every setting is spelled out: without --preset the command still gives the preset
    i = argv.index("--preset")
    args = build_parser().parse_args(argv[1:i] + argv[i + 2:])
    assert config_from_args(args)[1] == PRESETS[name]


def test_presets_lists_every_setting_of_every_preset():
    code, out, err = run(["presets"])
    lines = out.splitlines()
    assert lines[0].split() == ["option", *PRESETS]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["--learning-rate"] == [str(PRESETS[n].learning_rate) for n in PRESETS]
    assert rows["--layer-sizes"][2] == "64,256,256,10"
    assert len(rows) == len(PRESETS["tutorial"].to_dict())


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    # --force: each run writes the same model file again
    argv = ["train", "--iterations", "30", "--out", str(tmp_path / "m.npz"), "--force"]
    code, out, err = run(argv)
    assert code == 0 and "it/s" not in err and "30/30" not in err and err == ""
    code, out, err = run(argv + ["--progress"])
    assert code == 0 and "30/30" in err
    code, out, err = run(argv, err=Terminal())
    assert code == 0 and "30/30" in err
    code, out, err = run(argv + ["--no-progress"], err=Terminal())
    assert code == 0 and "30/30" not in err


def test_quiet_prints_nothing_and_json_stays_one_object(tmp_path):
    argv = ["train", "--iterations", "30", "--out", str(tmp_path / "m.npz"), "--progress",
            "--force"]
    code, out, err = run(argv + ["--quiet"])
    assert code == 0 and out == ""
    code, out, err = run(argv + ["--quiet", "--json"])
    assert code == 0 and json.loads(out)["iterations"] == 30 and out.count("\n") == 1
    code, out, err = run(argv + ["--verbose", "--json"])
    assert code == 0 and json.loads(out)["iterations"] == 30 and out.count("\n") == 1
    assert "confusion matrix" in err and "epoch 30: cost" in err
    assert "--quiet" in run(argv + ["--quiet", "--verbose"])[2]  # one or the other


def test_verbose_names_the_changed_settings_and_logs_epochs(tmp_path):
    code, out, err = run(["train", "--iterations", "20", "--activation", "relu",
                          "--learning-rate", "0.05", "--out", str(tmp_path / "m.npz"),
                          "--verbose"])
    assert code == 0, err
    assert ("settings that differ from the tutorial preset: activation relu (preset: "
            "sigmoid), learning_rate 0.05 (preset: 0.25), iterations 20 (preset: 3000)") in out
    assert [line.split(":")[0] for line in err.splitlines()] == ["epoch 10", "epoch 20"]


def test_evaluate_prints_the_settings_that_differ_from_the_preset(tmp_path):
    path = str(tmp_path / "m.npz")
    assert run(["train", "--iterations", "20", "--activation", "relu", "--learning-rate",
                "50", "--out", path])[0] in (0, 1)
    code, out, err = run(["evaluate", path])
    assert code == 0, err
    assert "preset tutorial" in out
    assert "activation relu (preset: sigmoid)" in out and "learning_rate 50.0 (preset: " \
        "0.25)" in out
    plain = str(tmp_path / "plain.npz")
    assert run(["train", "--out", plain, "--iterations", "3000"])[0] == 0
    assert "settings: those of the tutorial preset" in run(["evaluate", plain])[1]
