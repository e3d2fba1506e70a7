"""What a new user trips over (issue 24): --index counted from the end as its help says, no
progress bar with escape codes in a pipe, whole epochs and percent on the early-stopping
plot, and `make serve`/`make bench` installing only what they need."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from cli_run import run
from idx_sets import idx_bytes
from loopback import serving_files

from neuralpath import load, mnist
from neuralpath.cli import main
from neuralpath.training import History

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", seed=0, iterations=5)
    return model.save(tmp_path_factory.mktemp("model") / "m.npz")


def test_predict_index_counts_from_the_end_as_its_help_says(model_file, capsys):
    from neuralpath import data
    X, _ = data.digits()
    code, out, err = run(["predict", model_file, "--index", "-1", "--index", "-1797",
                          "--index", "1796", "--json"])
    assert code == 0, err
    results = json.loads(out)
    expected = load(model_file).predict(X[[-1, 0, 1796]]).tolist()
    assert [r["digit"] for r in results] == expected
    assert results[0]["input"] == "index -1 (row 1796)" and results[2]["input"] == "index 1796"
    assert main(["predict", "--help"]) == 0
    assert "negative: from the end" in " ".join(capsys.readouterr().out.split())
    code, out, err = run(["predict", model_file, "--index", "-1798"])
    assert code == 2 and "-1797..-1" in err and len(err.strip().splitlines()) == 1


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty", [False, True])
def test_data_download_draws_a_bar_only_on_a_terminal(tmp_path, monkeypatch, tty):
    rng = np.random.default_rng(0)
    bodies = {name + ".gz": gzip.compress(idx_bytes(
        rng.integers(0, 256, (5, 28, 28)) if "images" in name else rng.integers(0, 10, 5)))
        for name in mnist.NAMES}
    monkeypatch.setattr(mnist, "CHECKSUMS",
                        {k: hashlib.sha256(v).hexdigest() for k, v in bodies.items()})
    out, err = io.StringIO(), (_Terminal() if tty else io.StringIO())
    with serving_files(bodies) as url:
        code = main(["data", "mnist", "--download", "--mirror", url, "--data-dir",
                     str(tmp_path)], out=out, err=err)
    assert code == 0, err.getvalue()
    assert "all four MNIST files are in place" in out.getvalue()
    if tty:
        assert "\r" in err.getvalue() and mnist.TRAIN_IMAGES in err.getvalue()
    else:
        assert err.getvalue() == ""  # nothing for a pipe or a file: no \r, no escape codes


def test_the_early_stopping_plot_has_whole_epochs_and_accuracy_in_percent():
    from neuralpath.plots import cost_curve
    history = History(cost=list(np.linspace(1, 0.2, 30)), train_cost=[0.9, 0.6, 0.5],
                      val_cost=[0.8, 0.55, 0.6], val_accuracy=[0.81, 0.9, 0.88],
                      learning_rate=[0.1] * 3, iterations=30, epochs=3, best_epoch=1)
    fig = cost_curve(history)
    fig.canvas.draw()  # tick labels are made when the figure is drawn
    epochs_ax, accuracy_ax = fig.axes[1], fig.axes[2]
    ticks = [t for t in epochs_ax.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
    labels = [t.get_text() for t in accuracy_ax.get_yticklabels() if t.get_text()]
    assert labels and all(label.endswith("%") for label in labels)
    values = [float(label.rstrip("%").replace("\u2212", "-")) for label in labels]
    assert max(values) > 1  # 90%, not 0.9%


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target, extra", [("serve", "'.[web]'"), ("bench", "'.[torch]'")])
def test_make_serve_and_bench_install_only_their_extra(tmp_path, target, extra):
    done = subprocess.run(["make", "-n", "-C", ROOT, target, f"VENV={tmp_path}/venv"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    installs = [line for line in done.stdout.splitlines() if " install " in line]
    assert len(installs) == 1 and installs[0].endswith(f"install -e {extra}"), installs
    assert "test" not in installs[0].split("install -e")[1]
