"""--tensorboard DIR: event files that a reader reads back with the logged values."""
import csv
import os
import struct
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
from cli_run import run
from tensorboardX.proto import event_pb2  # noqa: E402


def read_events(folder):
    """{tag: [(step, value)]} from the event files in ``folder``: TFRecord framing (length,
    its CRC, the Event protobuf, its CRC), parsed with tensorboardX's own protobuf classes."""
    scalars = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        at = 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at:at + 8])
            event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
            at += 12 + length + 4
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


def test_train_writes_each_logged_epochs_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["train", "--iterations", "30", "--tensorboard", "tb", "--quiet"])
    assert code == 0, err
    [run_dir] = [d for d in os.listdir("runs") if d != "latest"]
    scalars = read_events(os.path.join("tb", run_dir))  # one subfolder per run, its name
    with open(os.path.join("runs", run_dir, "metrics.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [s for s, _ in scalars["cost/train"]] == [int(r["epoch"]) for r in rows] == [10, 20,
                                                                                        30]
    for tag, column in (("cost/train", "cost"), ("accuracy/train", "accuracy"),
                        ("learning_rate", "learning_rate")):
        np.testing.assert_allclose([v for _, v in scalars[tag]],
                                   [float(r[column]) for r in rows], rtol=1e-6)  # float32
    assert "cost/validation" not in scalars


def test_validation_values_are_logged_when_there_are_some(tmp_path):
    from neuralpath.pipeline import train_config
    from neuralpath.presets import resolve
    from neuralpath.tensorboard import TensorBoardLogger
    board = TensorBoardLogger(tmp_path / "tb")
    _, history, _ = train_config(resolve("tutorial", epochs=3, batch_size=64,
                                         early_stopping=True), [board])
    scalars = read_events(tmp_path / "tb")
    np.testing.assert_allclose([v for _, v in scalars["cost/validation"]], history.val_cost,
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars["accuracy/validation"]],
                               history.val_accuracy, rtol=1e-6)
    assert [s for s, _ in scalars["learning_rate"]] == [1, 2, 3]


def test_without_tensorboardx_the_option_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    for command in ("train", "sweep"):
        code, out, err = run([command, "--iterations", "5", "--tensorboard",
                              str(tmp_path / "tb"), "--out", str(tmp_path / "x")])
        assert code == 2 and "pip install 'neuralpath[tensorboard]'" in err, err
        assert "Traceback" not in err
