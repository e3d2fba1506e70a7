"""Issue 24, the command line's part: --force never replaces a device, FIFO, socket or folder;
the run folder is checked before training and written whole or not at all (weights kept in a
temporary file when even that fails); ``latest`` updated race-free; names as long as the file
system takes and no longer; evaluate never calls rows it may have trained on a test; resume
of a finished run refused; one error style, "no such file", on/off, N."""
import errno
import os
import shutil
import socket
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_run import leftovers, one_line, run

import neuralpath
import neuralpath.runs as runs
from neuralpath import load
from neuralpath.cli import main
from neuralpath.persist import atomic_write

SRC = str(Path(neuralpath.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("issue24") / "model.npz"
    code, _, err = run(["train", "--iterations", "20", "--out", path, "--no-progress"])
    assert code == 0, err
    return path


# --- 1: --force replaces only regular files --------------------------------------------------

def _make(kind, path, tmp_path):
    if kind == "character device":
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # the kernel's /dev/null
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "folder":
        os.mkdir(path)
    elif kind == "link to a fifo":
        os.mkfifo(tmp_path / "real-fifo")
        os.symlink(tmp_path / "real-fifo", path)
    elif kind == "link to a folder":
        os.mkdir(tmp_path / "real-folder")
        os.symlink(tmp_path / "real-folder", path)
    return os.stat(path).st_mode


KINDS = ["character device", "fifo", "socket", "folder", "link to a fifo", "link to a folder"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_force_never_replaces_what_is_not_a_regular_file(tmp_path, no_training, kind, option):
    if kind == "character device" and os.geteuid() != 0:
        pytest.skip("mknod of a device needs root")
    target = tmp_path / "target"
    mode = _make(kind, target, tmp_path)
    argv = ["train", "--iterations", "5", option, target, "--force", "--no-progress"]
    if option == "--plot":
        argv += ["--out", tmp_path / "m.npz"]
    code, out, err = run(argv)
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("neuralpath train: ") and f"{option} {target}" in line
    assert "not a regular file" in line or "is a folder" in line
    assert os.stat(target).st_mode == mode  # still what it was: nothing replaced it
    assert not leftovers(tmp_path) and not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("kind", ["character device", "fifo", "folder"])
def test_export_force_never_replaces_what_is_not_a_regular_file(tmp_path, model_file, kind):
    if kind == "character device" and os.geteuid() != 0:
        pytest.skip("mknod of a device needs root")
    target = tmp_path / "model.onnx"
    mode = _make(kind, target, tmp_path)
    code, out, err = run(["export", model_file, "--out", target, "--force"])
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("neuralpath export: --out ") and str(target) in line
    assert os.stat(target).st_mode == mode


def test_force_replaces_a_regular_file_and_a_link_to_one(tmp_path):
    """The control: what --force is for still works."""
    target, real, link = tmp_path / "old.npz", tmp_path / "real.png", tmp_path / "plot.png"
    target.write_text("old")
    real.write_text("old")
    os.symlink(real, link)
    code, _, err = run(["train", "--iterations", "5", "--out", target, "--plot", link,
                        "--force", "--no-progress"])
    assert code == 0, err
    assert zipfile.is_zipfile(target) and link.read_bytes()[:4] == b"\x89PNG"


def test_export_force_replaces_a_regular_file(tmp_path, model_file):
    pytest.importorskip("onnx")
    target = tmp_path / "model.onnx"
    target.write_text("old")
    code, _, err = run(["export", model_file, "--out", target, "--force"])
    assert code == 0, err
    assert target.read_bytes() != b"old"


def test_atomic_write_itself_never_replaces_a_fifo(tmp_path):
    """Behind the command line's check: every write of the package refuses too."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write(fifo, lambda f: f.write(b"x"))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and not leftovers(tmp_path)
    atomic_write(tmp_path / "file", lambda f: f.write(b"x"))  # the control
    assert (tmp_path / "file").read_bytes() == b"x"


# --- 2: the run folder: checked before training, written whole or not at all ----------------

def _cli(cwd, *argv, env=None):
    return subprocess.run([sys.executable, "-m", "neuralpath", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": SRC, **(env or {})})


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare and root for a private read-only mount")
def test_a_read_only_folder_is_refused_before_training(tmp_path):
    """As root chmod stops nothing: a read-only tmpfs mounted in a private mount namespace."""
    folder = tmp_path / "ro"
    folder.mkdir()
    script = (f"mount -t tmpfs -o ro tmpfs {folder} && cd {folder} && "
              f"{sys.executable} -m neuralpath train --iterations 5 --no-progress")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": SRC})
    if "mount" in done.stderr and done.returncode != 2:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert line.startswith("neuralpath train: the run folder runs/")
    assert "Read-only file system" in line and "preset tutorial" not in done.stdout
    # the control: the same command where the folder can be written
    done = _cli(tmp_path, "train", "--iterations", "5", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert load(tmp_path / "runs" / "latest" / "model.npz").metadata["iterations_run"] == 5


def test_an_unwritable_run_folder_is_refused_before_training(tmp_path, monkeypatch,
                                                              no_training):
    """The same without a mount: the probe file cannot be made where runs/ goes."""
    import neuralpath.commands.common as common
    monkeypatch.chdir(tmp_path)
    real = common.tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(common.tempfile, "mkstemp", read_only)
    code, out, err = run(["train", "--iterations", "5", "--no-progress"])
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("neuralpath train: the run folder runs/") and "Read-only" in line
    assert not (tmp_path / "runs").exists()


def test_runs_being_a_file_is_refused_before_training(tmp_path, monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("not a folder")
    code, _, err = run(["train", "--iterations", "5", "--no-progress"])
    assert code == 2 and "runs is not a folder" in one_line(err)


@pytest.fixture
def earlier_run(tmp_path, monkeypatch):
    """A finished run in tmp_path/runs, with latest pointing at it."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["train", "--iterations", "5", "--no-progress"])
    assert code == 0, err
    return os.readlink(tmp_path / "runs" / "latest")


@pytest.mark.parametrize("failing", ["write_metrics", "write_test_figures"])
def test_a_full_disk_at_save_keeps_the_weights_and_leaves_no_partial_run(
        tmp_path, monkeypatch, earlier_run, failing):
    real = getattr(runs, failing)

    def full(*args, **kwargs):
        real(*args, **kwargs)  # part of the folder is written: then the disk is full
        raise OSError(f"cannot write {args[-1]}: No space left on device")

    monkeypatch.setattr(runs, failing, full)
    code, out, err = run(["train", "--iterations", "7", "--no-progress"])
    assert code == 1
    line = one_line(err)
    assert line.startswith("neuralpath train: cannot write runs/") and "No space left" in line
    assert ".tmp-" not in line
    saved = line.split("the model is saved in ")[1].split()[0]
    try:
        assert load(saved).metadata["iterations_run"] == 7  # the weights are kept
    finally:
        os.unlink(saved)
    assert sorted(os.listdir(tmp_path / "runs")) == sorted([earlier_run, "latest"])
    assert os.readlink(tmp_path / "runs" / "latest") == earlier_run  # latest: untouched
    assert "run written to" not in out and not leftovers(tmp_path)


def test_a_run_folder_appears_whole(tmp_path, monkeypatch, earlier_run):
    """The control: a save that works gives the whole folder and moves latest."""
    code, _, err = run(["train", "--iterations", "7", "--no-progress"])
    assert code == 0, err
    now = os.readlink(tmp_path / "runs" / "latest")
    assert now != earlier_run and not leftovers(tmp_path)
    assert sorted(os.listdir(tmp_path / "runs" / now)) == [
        "config.json", "confusion.png", "cost.png", "errors.png", "metrics.csv", "model.npz"]
    assert oct(os.stat(tmp_path / "runs" / now).st_mode & 0o777) != oct(0o700)


def test_a_failed_save_into_an_existing_folder_changes_none_of_its_files(tmp_path,
                                                                        monkeypatch):
    """A run with checkpoints has its folder already: a failing save leaves it as it was."""
    run_dir = tmp_path / "runs" / "one"
    run_dir.mkdir(parents=True)
    (run_dir / "checkpoint.npz").write_text("kept")
    model_path = tmp_path / "m.npz"
    code, _, err = run(["train", "--iterations", "5", "--out", model_path, "--no-progress"])
    assert code == 0, err
    model = load(model_path)

    def full(*args, **kwargs):
        raise OSError("cannot write metrics.csv: No space left on device")

    monkeypatch.setattr(runs, "write_metrics", full)
    from neuralpath.training import History
    with pytest.raises(OSError, match="No space left"):
        runs.save_run(model, str(run_dir), History())
    assert os.listdir(run_dir) == ["checkpoint.npz"] and not leftovers(tmp_path)
    assert not os.path.lexists(tmp_path / "runs" / "latest")


# --- 3: latest updated by two processes at once; names as long as the file system takes -----

def test_two_processes_updating_latest_never_collide(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    code = ("import sys\nfrom neuralpath.runs import link_latest\n"
            "for _ in range(300):\n    link_latest(sys.argv[1])\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / name)],
                              env={**os.environ, "PYTHONPATH": SRC}, stderr=subprocess.PIPE,
                              text=True) for name in ("a", "b")]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert results == [(0, ""), (0, "")]
    assert os.readlink(tmp_path / "latest") in ("a", "b")
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "latest"]  # no temporary link left


NAME_MAX = os.pathconf("/tmp", "PC_NAME_MAX")


def test_an_out_name_as_long_as_the_file_system_takes_is_saved(tmp_path):
    """The control: 255 bytes (the temporary name beside it is short whatever the name)."""
    for length in (NAME_MAX - 1, NAME_MAX):
        path = tmp_path / ("m" * (length - 4) + ".npz")
        code, _, err = run(["train", "--iterations", "5", "--out", path, "--no-progress",
                            "--quiet"])
        assert code == 0, err
        assert load(path).metadata["iterations_run"] == 5
    assert not leftovers(tmp_path)


def test_an_out_name_too_long_is_refused_before_training(tmp_path, no_training):
    for path in (tmp_path / ("m" * (NAME_MAX - 3) + ".npz"),
                 tmp_path / ("d" * (NAME_MAX + 1)) / "m.npz"):
        code, _, err = run(["train", "--iterations", "5", "--out", path, "--no-progress"])
        assert code == 2
        line = one_line(err)
        assert line.startswith("neuralpath train: --out ")
        assert "too long" in line.lower() or f"at most {NAME_MAX}" in line


# --- 5: evaluate, resume, words ------------------------------------------------------------

@pytest.fixture(scope="module")
def estimator_on_all_digits(tmp_path_factory):
    from sklearn.datasets import load_digits

    from neuralpath.estimator import NeuralNetworkClassifier
    X, y = load_digits(return_X_y=True)
    clf = NeuralNetworkClassifier(hidden_layer_sizes=(30,), max_iter=60, random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    path = tmp_path_factory.mktemp("estimator") / "all.npz"
    clf.save(path)
    return path, X, y


def test_evaluate_never_calls_rows_it_may_have_trained_on_a_test(estimator_on_all_digits):
    path, X, y = estimator_on_all_digits
    code, out, err = run(["evaluate", path])
    assert code == 0, err
    assert "test accuracy" not in out and "may have been trained on" in out
    assert f"on the {len(y)} images of the digits data set" in out and "--data" in out


def test_evaluate_a_run_says_test_accuracy_on_its_held_out_part(model_file):
    """The control: a model with its config has held-out rows, named as such."""
    code, out, err = run(["evaluate", model_file])
    assert code == 0, err
    assert "test accuracy" in out and "719 test images" in out and "not a test" not in out


def _csv(path, X, y, header=True):
    lines = [",".join([f"p{i}" for i in range(X.shape[1])] + ["label"])] if header else []
    lines += [",".join([*(f"{v:g}" for v in row), str(label)]) for row, label in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("header", [True, False])
def test_evaluate_data_scores_the_rows_given(tmp_path, estimator_on_all_digits, header):
    path, X, y = estimator_on_all_digits
    rows = _csv(tmp_path / "held.csv", X[-40:], y[-40:], header)
    code, out, err = run(["evaluate", path, "--data", rows])
    assert code == 0, err
    expected = np.mean(load(path).predict(X[-40:]) == y[-40:])
    assert f"accuracy {expected:.2%} on the 40 rows of {rows}" in out
    assert "test accuracy" not in out


@pytest.mark.parametrize("content,says", [
    ("1,2,3\n", "row 1 has 3 values"),
    (",".join(["0"] * 64 + ["11"]) + "\n", "label '11' is not one of the model's"),
    (",".join(["0"] * 64 + ["1"]) + "\n" + ",".join(["x"] * 64 + ["1"]) + "\n",
     "row 2 has a value that is not a number"),
    (",".join(["nan"] * 64 + ["1"]) + "\n", "not a finite number"),
    ("\n", "holds no rows"),
])
def test_evaluate_data_refuses_a_bad_file_in_one_line(tmp_path, model_file, content, says):
    rows = tmp_path / "rows.csv"
    rows.write_text(content)
    code, out, err = run(["evaluate", model_file, "--data", rows])
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"neuralpath evaluate: --data {rows}") and says in line


@pytest.fixture
def finished_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["train", "--iterations", "20", "--checkpoint-every", "10",
                        "--no-progress"])
    assert code == 0, err
    return Path("runs") / os.readlink(tmp_path / "runs" / "latest")


def test_resuming_a_finished_run_is_refused_unless_force(tmp_path, finished_run):
    model = finished_run / "model.npz"
    before = model.read_bytes()
    code, out, err = run(["train", "--resume", "runs/latest", "--no-progress"])
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"neuralpath train: --resume {finished_run}: that run finished")
    assert "--force" in line and model.read_bytes() == before
    code, out, err = run(["train", "--resume", "runs/latest", "--force", "--no-progress"])
    assert code == 0, err
    assert f"model written to {finished_run / 'model.npz'}" in out  # the folder, not the link
    assert "runs/latest/model.npz" not in out


def test_resuming_an_unfinished_run_needs_no_force(tmp_path, finished_run):
    """The control: a run that never wrote its model (killed) resumes as before."""
    (finished_run / "model.npz").unlink()
    code, out, err = run(["train", "--resume", "runs/latest", "--no-progress"])
    assert code == 0, err
    assert f"model written to {finished_run / 'model.npz'}" in out
    assert load(finished_run / "model.npz").metadata["iterations_run"] == 20


def test_presets_shows_switches_as_train_takes_them():
    code, out, err = run(["presets"])
    assert code == 0, err
    assert "True" not in out and "False" not in out
    import dataclasses

    from neuralpath.config import TrainConfig
    switches = {"--" + f.name.replace("_", "-") for f in dataclasses.fields(TrainConfig)
                if isinstance(getattr(TrainConfig(), f.name), bool)}
    rows = [ln.split() for ln in out.splitlines() if ln.split()[0] in switches]
    assert len(rows) == len(switches) >= 2
    values = {v for row in rows for v in row[1:]}
    assert values == {"on", "off"}  # both appear: the check could not pass on one alone


@pytest.mark.parametrize("argv", [
    ["train", "--learning-rate", "x"],  # argparse's
    ["train", "--learning-rate", "-1"],  # the setting's check
    ["train", "--out", "{tmp}"],  # the command's
    ["evaluate", "{tmp}/missing.npz"],
    ["predict", "{model}", "{tmp}/missing.png"],
    ["train", "--config", "{tmp}/missing.toml"],
    ["evaluate", "{model}", "--data", "{tmp}/missing.csv"],
    ["export", "{model}", "--out", "{tmp}"],
])
def test_every_error_is_one_line_in_one_style(tmp_path, model_file, argv):
    argv = [a.format(tmp=tmp_path, model=model_file) for a in argv]
    code, out, err = run(argv)
    assert code == 2, err
    line = one_line(err)
    assert line.startswith(f"neuralpath {argv[0]}: ") and "error:" not in line
    assert line.count("neuralpath") == 1
    if "missing" in " ".join(argv):
        assert "[Errno" not in line and ("no such file" in line or "not found" in line)


def test_iteration_counts_are_n_in_every_help(capsys):
    for command in ("tutorial", "bench", "train"):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        assert "--iterations N" in text and "ITERATIONS" not in text, command
