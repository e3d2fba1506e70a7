"""examples/ddp_continue.py: a saved model trained on with torch DDP, two processes over gloo
on loopback: the loss falls and both processes end with the same weights."""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neuralpath import load  # noqa: E402
from neuralpath.pipeline import prepare, train_config  # noqa: E402
from neuralpath.presets import resolve  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "ddp_continue.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_continues_a_saved_model_on_two_gloo_processes(tmp_path):
    model, _, _ = train_config(resolve("tutorial", iterations=100, seed=1))
    path = model.save(tmp_path / "model.npz")
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port, GLOO_SOCKET_IFNAME="lo",
                   OMP_NUM_THREADS="1")
        argv = [sys.executable, EXAMPLE, str(path), "--epochs", "4", "--lr", "0.5",
                "--batch-size", "32", "--report", str(tmp_path / "report-{rank}.json")]
        if rank == 0:
            argv += ["--out", str(tmp_path / "continued.npz")]
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    reports = [json.loads((tmp_path / f"report-{r}.json").read_text()) for r in range(2)]
    assert [r["world"] for r in reports] == [2, 2]
    losses = reports[0]["losses"]
    assert losses == reports[1]["losses"]  # all-reduced: the same numbers on both
    assert losses[-1] < 0.8 * losses[0], losses  # the loss falls
    for a, b in zip(reports[0]["weights"], reports[1]["weights"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)  # the same weights on both
    # the continued model is a neuralpath model again, with the weights DDP reached: its
    # cost J on the training part is the last loss the processes reported
    continued = load(tmp_path / "continued.npz")
    assert continued.config == model.config
    parts = prepare(model.config)
    h = continued.network.predict_output(parts["X_train"])  # (m, 10)
    Y = parts["y_train"][:, None] == continued.classes[None, :]
    np.testing.assert_allclose(0.5 * np.mean(np.sum((h - Y) ** 2, axis=1)), losses[-1],
                               rtol=1e-9)
    assert "epoch 4: loss" in outputs[0][0]

