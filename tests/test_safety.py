"""Never lose the user's work, never trust the input (issue 14, items 1-9).

Files: existing destinations refused without --force, bad destinations found before training,
a failed write after training saved in a run folder instead. Signals: SIGTERM like SIGINT,
a second signal stops at once and still saves, no write is cut half-way, no temporary file
left behind (in-process checks, and a subprocess sent signals at many offsets). Broken model
files, runaway training, huge sizes, --index -1 and models that expect preprocessed input.
"""
import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings
import zipfile

import numpy as np
import pytest
from cli_run import leftovers, one_line, run

import neuralpath.pipeline as pipeline
from neuralpath import Network, load, train
from neuralpath.cli import main
from neuralpath.errors import ModelFileError, TrainingDiverged
from neuralpath.persist import HeldSignals, atomic_write, read_model_file


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("safety") / "model.npz"
    code, _, err = run(["train", "--iterations", "30", "--out", path, "--no-progress"])
    assert code == 0, err
    return path


# --- 1, 2: destinations ---------------------------------------------------------------------

@pytest.mark.parametrize("option,name,content", [
    ("--out", "precious.npz", None), ("--out", "notes.txt", b"my notes\n"),
    ("--plot", "photo.png", b"\x89PNG not really"),
])
def test_an_existing_file_is_refused_without_force(tmp_path, model_file, no_training,
                                                   option, name, content):
    target = tmp_path / name
    target.write_bytes(content if content is not None else model_file.read_bytes())
    before = target.read_bytes()
    argv = ["train", "--iterations", "5", option, target, "--no-progress"]
    if option == "--plot":
        argv += ["--out", tmp_path / "new.npz"]
    code, out, err = run(argv)
    assert code == 2
    line = one_line(err)
    assert str(target) in line and "exists" in line and "--force" in line
    assert target.read_bytes() == before and not leftovers(tmp_path)


def test_force_overwrites(tmp_path):
    target, plot = tmp_path / "notes.txt", tmp_path / "photo.png"
    target.write_text("my notes\n")
    plot.write_bytes(b"old")
    code, _, err = run(["train", "--iterations", "5", "--out", target, "--plot", plot,
                        "--force", "--no-progress"])
    assert code == 0, err
    assert zipfile.is_zipfile(target) and load(target).metadata["iterations_run"] == 5
    assert plot.read_bytes()[:4] == b"\x89PNG" and not leftovers(tmp_path)


@pytest.mark.parametrize("option,path,says", [
    ("--out", "/proc/x.npz", "cannot be written"),
    ("--out", "{tmp}", "is a folder"),
    ("--plot", "/proc/x.png", "cannot be written"),
    ("--out", "{tmp}/afile.txt/model.npz", "not a folder"),
])
def test_a_bad_destination_is_refused_before_training(tmp_path, no_training, option, path,
                                                      says):
    (tmp_path / "afile.txt").write_text("x")
    path = path.format(tmp=tmp_path)
    argv = ["train", "--iterations", "5", option, path, "--no-progress"]
    if option == "--plot":
        argv += ["--out", tmp_path / "m.npz"]
    code, _, err = run(argv)
    assert code == 2
    line = one_line(err)
    assert path in line and says in line and ".tmp-" not in line
    assert not leftovers(tmp_path)


def test_a_new_folder_for_out_is_fine(tmp_path):
    path = tmp_path / "new" / "deeper" / "m.npz"
    code, _, err = run(["train", "--iterations", "5", "--out", path, "--no-progress"])
    assert code == 0, err
    assert load(path).metadata["iterations_run"] == 5


def test_a_write_that_fails_after_training_saves_in_a_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import neuralpath.model as model_module

    real_save = model_module.save

    def failing_save(model, path):
        if str(path).endswith("wanted.npz"):
            raise OSError(f"cannot write {path}: No space left on device")
        return real_save(model, path)

    monkeypatch.setattr(model_module, "save", failing_save)
    code, out, err = run(["train", "--iterations", "7", "--out", tmp_path / "wanted.npz",
                          "--no-progress"])
    assert code == 1
    line = [ln for ln in err.splitlines() if "wanted.npz" in ln]
    assert len(line) == 1 and "No space left" in line[0] and "saved in runs" in line[0]
    saved = line[0].split("saved in ")[1].split()[0]
    assert load(saved).metadata["iterations_run"] == 7
    assert "test accuracy" in out  # the metrics are still printed


# --- 3: signals, in process -----------------------------------------------------------------

class _SendAt:
    """A training callback that sends ``signals`` to this process at iteration ``at``."""

    def __init__(self, at, *signals):
        self.at, self.signals = at, signals

    def on_iteration(self, iteration, cost):
        if iteration == self.at:
            for s in self.signals:
                os.kill(os.getpid(), s)


def _tiny(digits_split, seed=0):
    net = Network([64, 30, 10], random_state=seed)
    return net, digits_split["X_train"], digits_split["Y_train"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_training_stops_after_the_step_on_sigint_sigterm_and_sighup(digits_split, signum):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    net, X, Y = _tiny(digits_split)
    history = train(net, X, Y, iterations=100, learning_rate=0.25,
                    callbacks=[_SendAt(4, signum)])
    assert history.stopped == "interrupted" and history.iterations == 4
    assert {s: signal.getsignal(s) for s in before} == before  # handlers put back


def test_a_second_signal_stops_inside_a_step_and_keeps_complete_weights(digits_split,
                                                                          monkeypatch):
    net, X, Y = _tiny(digits_split)
    reference, _, _ = _tiny(digits_split)
    train(reference, X, Y, iterations=4, learning_rate=0.25)
    real, calls = net.backprop, []

    def backprop(*args, **kwargs):  # two signals arrive while step 5's gradient is computed
        calls.append(1)
        if len(calls) == 5:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            raise AssertionError("the second signal did not stop the step at once")
        return real(*args, **kwargs)

    monkeypatch.setattr(net, "backprop", backprop)
    history = train(net, X, Y, iterations=100, learning_rate=0.25)
    assert history.stopped == "interrupted" and history.iterations == 4
    for w, w_ref in zip(net.params, reference.params):  # the weights of the 4th step
        np.testing.assert_array_equal(w, w_ref)


def test_a_signal_during_a_write_waits_until_the_file_is_complete(tmp_path):
    path = tmp_path / "m.npz"
    arrays = {"a": np.arange(1000.0)}

    def write(f):
        np.savez(f, **arrays)
        os.kill(os.getpid(), signal.SIGINT)  # arrives mid-write: held until the end
        f.write(b"")

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, write)
    with np.load(path) as back:
        np.testing.assert_array_equal(back["a"], arrays["a"])
    assert not leftovers(tmp_path)
    assert signal.getsignal(signal.SIGINT) is before


def test_held_signals_pass_outward_and_nothing_is_lost(tmp_path):
    with HeldSignals(redeliver=False) as outer:
        atomic_write(tmp_path / "x.bin", lambda f: (os.kill(os.getpid(), signal.SIGTERM),
                                                     f.write(b"data")))
    assert outer.received == [signal.SIGTERM]
    assert (tmp_path / "x.bin").read_bytes() == b"data" and not leftovers(tmp_path)


def test_a_failed_write_leaves_no_temporary_file_and_names_the_path(tmp_path):
    target = tmp_path / "keep.npz"
    target.write_bytes(b"old")

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="cannot write .*keep.npz: disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old" and not leftovers(tmp_path)


# --- 3: signals to a real process at many offsets -------------------------------------------

# A fork server: imports neuralpath once, then forks one child per request that runs
# main(argv) with its stderr in a file, so that each signalled run starts in milliseconds.
_SERVER = r"""
import json, os, signal, sys
import numpy, sklearn.datasets
from neuralpath.cli import main
import neuralpath.commands.train, neuralpath.pipeline, neuralpath.plots, neuralpath.runs
sklearn.datasets.load_digits()
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.chdir(req["cwd"])
        fd = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        code = main(req["argv"])
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the command has ended
            signal.signal(s, signal.SIG_IGN)
        sys.stderr.flush()
        os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
"""

# (first signal, second signal or None, seconds between them)
_PATTERNS = [(signal.SIGINT, None, 0), (signal.SIGTERM, None, 0),
             (signal.SIGINT, signal.SIGINT, 0.005), (signal.SIGTERM, signal.SIGINT, 0.05),
             (signal.SIGHUP, None, 0)]


def _catches_sigterm(pid):
    """True once process ``pid`` has a handler for SIGTERM (Linux: SigCgt in its status)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(int(ln.split()[1], 16) for ln in f if ln.startswith("SigCgt:"))
    return bool(mask & (1 << (signal.SIGTERM - 1)))


def _signalled_run(server, folder, argv, offset, pattern):
    """One run: wait for training to start (the progress bar), wait ``offset`` seconds
    (negative: as soon as the command has begun, before training), send the pattern;
    returns (status, err)."""
    folder.mkdir()
    err_path = folder / "stderr.txt"
    server.stdin.write(json.dumps({"cwd": str(folder), "stderr": str(err_path),
                                   "argv": argv}) + "\n")
    server.stdin.flush()
    pid = json.loads(server.stdout.readline())["pid"]
    started = time.monotonic()
    while offset < 0 and not _catches_sigterm(pid):  # main() has begun: the CLI's handler
        assert time.monotonic() - started < 60, "the command did not start"
        time.sleep(0.0005)
    if offset >= 0:
        while not (err_path.exists() and b"it" in err_path.read_bytes()):
            assert time.monotonic() - started < 60, "training did not start"
            time.sleep(0.001)
        time.sleep(offset)
    first, second, gap = pattern
    try:
        os.kill(pid, first)
        if second is not None:
            time.sleep(gap)
            os.kill(pid, second)
    except ProcessLookupError:
        pass
    status = json.loads(server.stdout.readline())["status"]
    return status, err_path.read_text(errors="replace")


@pytest.mark.timeout(600)
def test_signals_at_many_offsets_never_lose_a_run(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    argv = ["train", "--iterations", "200", "--out", "model.npz", "--progress"]
    try:
        # one run without signals: how long training and saving take here, today
        status, err = _signalled_run(server, tmp_path / "reference", argv, 0,
                                     (0, None, 0))  # signal 0 only checks the process
        assert status == 0, err
        reference = time.monotonic()
        status, _ = _signalled_run(server, tmp_path / "reference2", argv, 0, (0, None, 0))
        span = time.monotonic() - reference
        offsets = [-1, -1] + [span * 0.9 * k / 19 for k in range(20)]
        outcomes = []
        for i, offset in enumerate(offsets):
            folder = tmp_path / f"run{i}"
            pattern = _PATTERNS[i % len(_PATTERNS)]
            status, err = _signalled_run(server, folder, argv, offset, pattern)
            outcomes.append(_check_run(folder, status, err))
    finally:
        server.stdin.close()
        server.wait(timeout=60)
        server.stdout.close()
    assert len(outcomes) >= 20
    (tmp_path / "outcomes.json").write_text(json.dumps(outcomes))  # for a look by hand
    # the offsets reach training itself and the time before it, not only the end
    assert {"interrupted in training", "interrupted before training"} <= set(outcomes)


def _check_run(folder, status, err):
    """Each run ends with a complete, loadable model or a message that none was written,
    exit 130 (or 0 when the signal came after the process had ended), no temporary file."""
    assert "Traceback" not in err, err
    assert not leftovers(folder), leftovers(folder)
    messages = [ln for ln in err.replace("\r", "\n").splitlines() if ln.startswith("neuralpath")]
    model = folder / "model.npz"
    if model.exists():
        saved = load(model)  # complete and loadable
        if status == 0:
            assert not messages, err
            return "completed"
        assert status == 130, (status, err)
        assert len(messages) == 1 and "model.npz" in messages[0], err
        if saved.metadata["stopped"] == "interrupted":
            return "interrupted in training"
        return "interrupted after training"
    assert status == 130, (status, err)
    assert len(messages) == 1 and messages[0].endswith("no model was written"), err
    return "interrupted before training"


# --- 4, 5: broken and foreign model files ---------------------------------------------------

def _damaged(tmp_path, model_file, name, change):
    """A copy of ``model_file`` with ``change(arrays)`` applied, written as a plain .npz."""
    with np.load(model_file) as archive:
        arrays = {k: archive[k] for k in archive.files}
    change(arrays)
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("name,change,says", [
    ("nan_w", lambda a: a["W0"].__setitem__((0, 0), np.nan), "W0"),
    ("inf_b", lambda a: a["b1"].__setitem__(0, np.inf), "b1"),
    ("nan_mean", lambda a: a["scaler_mean"].__setitem__(3, np.nan), "scaler_mean"),
    ("zero_scale", lambda a: a["scaler_scale"].__setitem__(3, 0.0), "scaler_scale"),
    ("negative_scale", lambda a: a["scaler_scale"].__setitem__(0, -1.0), "scaler_scale"),
])
@pytest.mark.parametrize("command", [["evaluate"], ["predict", "--index", "0"]])
def test_broken_models_are_refused_naming_the_array(tmp_path, model_file, name, change, says,
                                                    command):
    path = _damaged(tmp_path, model_file, name, change)
    code, out, err = run([command[0], path, *command[1:]])
    assert code == 2 and out == ""
    line = one_line(err)
    assert says in line and "broken" in line
    with pytest.raises(ModelFileError, match=says):
        read_model_file(path)


def _pickled_npy(path):
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)


@pytest.mark.parametrize("make", [
    lambda p: p.write_text("just some notes\n"),
    lambda p: p.write_bytes(np.random.default_rng(0).bytes(2000)),
    lambda p: p.write_bytes(b""),
    _pickled_npy,
    lambda p: np.savez(p, W0=np.zeros(3)),
])
def test_files_that_are_not_models_say_so_without_mentioning_pickles(tmp_path, make):
    path = tmp_path / "thing.npz"
    make(path)
    if not path.exists():  # np.save adds .npy
        path = tmp_path / "thing.npz.npy"
    for argv in (["evaluate", path], ["predict", path, "--index", "0"]):
        code, _, err = run(argv)
        assert code == 2
        line = one_line(err)
        assert "not a neuralpath model" in line and "pickle" not in line.lower(), line


# --- 6: runaway training --------------------------------------------------------------------

def test_a_huge_learning_rate_stops_with_the_last_good_weights(tmp_path):
    path = tmp_path / "m.npz"
    code, _, err = run(["train", "--learning-rate", "1e308", "--out", path, "--no-progress"])
    assert code == 1
    line = [ln for ln in err.splitlines() if ln.startswith("neuralpath")]
    assert len(line) == 1 and "safe range" in line[0] and str(path) in line[0]
    model = load(path)
    assert model.metadata["stopped"] == "diverged"
    start = Network([64, 30, 10], random_state=0)  # the last good weights: the initial ones
    for w, w0 in zip(model.network.params, start.params):
        np.testing.assert_array_equal(w, w0)


def test_a_cost_that_grows_by_orders_of_magnitude_is_divergence():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = Network([3, 1], "relu", "identity", "quadratic", "xavier", random_state=0)
    with pytest.raises(TrainingDiverged, match="cost grew from") as info:
        train(net, X, Y, iterations=10_000, learning_rate=3.0)
    history = info.value.history
    assert history.stopped == "diverged" and history.iterations < 100
    assert max(history.cost) <= 1e3 * history.cost[0]  # stopped at the first runaway cost
    assert all(np.isfinite(p).all() for p in net.params)


def test_a_sound_run_is_not_called_divergence(digits_split):
    net, X, Y = _tiny(digits_split)
    history = train(net, X, Y, iterations=300, learning_rate=0.25)
    assert history.stopped == "completed"


# --- 7: huge sizes --------------------------------------------------------------------------

def test_huge_layer_sizes_are_refused_before_allocating(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was allocated")
    monkeypatch.setattr(pipeline, "Network", no_network)
    code, _, err = run(["train", "--layer-sizes", "64,2000000000,10", "--no-progress",
                        "--out", tmp_path / "x.npz"])
    assert code == 2
    line = one_line(err)
    assert "layer_sizes" in line and "would need about" in line and "available" in line


def test_the_memory_check_counts_what_training_allocates(monkeypatch):
    from neuralpath.presets import PRESETS
    cfg = PRESETS["tutorial"]
    need = pipeline.memory_needed(cfg, 1078)
    params = 64 * 30 + 30 + 30 * 10 + 10
    assert params * 8 * 5 < need < 10 * 1024 * 1024  # more than the weights, a few MB
    monkeypatch.setattr(pipeline, "memory_available", lambda: need - 1)
    with pytest.raises(ValueError, match="would need about"):
        pipeline.check_memory(cfg, 1078)
    monkeypatch.setattr(pipeline, "memory_available", lambda: need)
    pipeline.check_memory(cfg, 1078)


# --- 8: --index -----------------------------------------------------------------------------

@pytest.mark.parametrize("index", ["-1798", "1797", "100000"])
def test_index_outside_the_data_set_is_refused_the_same_way(model_file, index):
    code, out, err = run(["predict", model_file, "--index", index])
    assert code == 2 and out == ""
    assert one_line(err) == (f"neuralpath predict: --index must be in 0..1796, or -1797..-1 to "
                             f"count from the end, got {index}")


# --- 9: what input a model expects ----------------------------------------------------------

@pytest.fixture(scope="module")
def estimator_files(tmp_path_factory):
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from neuralpath.estimator import NeuralNetworkClassifier
    folder = tmp_path_factory.mktemp("estimators")
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():  # five epochs: enough to make a model file
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(),
                             NeuralNetworkClassifier(max_iter=5, random_state=0)).fit(X, y)
        raw = NeuralNetworkClassifier(max_iter=5, random_state=0).fit(X, y)
    import neuralpath
    whole = neuralpath.save(pipe, folder / "whole_pipeline.npz")  # the scaler folded in
    return (pipe[-1].save(folder / "in_pipeline.npz"), raw.save(folder / "raw.npz"), whole)


def test_a_model_from_inside_a_pipeline_is_refused_where_raw_pixels_go(estimator_files):
    in_pipeline, _, _ = estimator_files
    assert load(in_pipeline).inputs["kind"] == "features"
    for argv in (["evaluate", in_pipeline], ["predict", in_pipeline, "--index", "3"]):
        code, out, err = run(argv)
        assert code == 2 and out == ""
        line = one_line(err)
        assert "preprocessed" in line and "raw pixels 0..16" in line


def test_models_that_take_raw_pixels_are_accepted(estimator_files, model_file):
    _, raw, whole = estimator_files
    assert load(model_file).inputs == {"kind": "pixels", "dataset": "digits"}
    for path in (raw, whole, model_file):
        code, out, err = run(["evaluate", path])
        assert code == 0, err
        code, out, err = run(["predict", path, "--index", "3"])
        assert code == 0, err


# --- hypothesis: the command line's arguments -----------------------------------------------

class _ReachedTraining(BaseException):
    """Raised by the stand-in for training: every check before training passed."""


def _stand_in_training(cfg, callbacks=(), data_dir=None, arrays=None, preset=None, **options):
    n_features = 64 if cfg.dataset == "digits" else 784
    pipeline.check_layer_sizes(cfg.layer_sizes, n_features, 10)
    pipeline.check_memory(cfg, 1078)
    raise _ReachedTraining


def _argv_strategy(model):
    import dataclasses

    from hypothesis import strategies as st

    from neuralpath.commands.train import option
    from neuralpath.config import TrainConfig

    values = st.one_of(
        st.sampled_from(["-1", "0", "1", "2", "3", "0.5", "nan", "inf", "-inf", "1e308",
                         "1e-320", "-0", "abc", "", " ", "64,30,10", "64,2000000000,10",
                         "64,0,10", "64,30", "64", "10,30,64", "1,2,3,4", "99999999999999999999",
                         "sigmoid", "relu", "adam", "digits", "mnist", "none", "None", "true",
                         "--json", "-", "/proc/x.npz", "/", ".", "..", "model.npz", str(model),
                         "\x00", "é", "1_000", "0x10", "1e3", "3000", "-5"]),
        st.text(max_size=12))
    train_opts = [option(f.name) for f in dataclasses.fields(TrainConfig)] + [
        "--preset", "--out", "--plot", "--data-dir"]
    flags = ["--json", "--force", "--no-progress", "--help", "--version", "--no-augment",
             "--augment", "--early-stopping", "--bogus"]
    pair = st.tuples(st.sampled_from(train_opts), values).map(list)
    train = st.lists(st.one_of(pair, st.sampled_from(flags).map(lambda f: [f]),
                               values.map(lambda v: [v])), max_size=5).map(
        lambda parts: ["train"] + [w for p in parts for w in p])
    model_arg = st.one_of(st.just(str(model)), values)
    predict = st.tuples(model_arg, st.lists(st.one_of(
        st.tuples(st.just("--index"), values).map(list), values.map(lambda v: [v]),
        st.sampled_from([["--json"], ["--data-dir", "/nowhere"], ["--bogus"]])),
        max_size=3)).map(lambda t: ["predict", t[0]] + [w for p in t[1] for w in p])
    evaluate = st.tuples(model_arg, st.lists(st.one_of(
        values.map(lambda v: [v]), st.tuples(st.just("--data-dir"), values).map(list)),
        max_size=2)).map(lambda t: ["evaluate", t[0]] + [w for p in t[1] for w in p])
    junk = st.lists(st.one_of(values, st.sampled_from(["train", "predict", "evaluate",
                                                       "presets", "-h", "--version"])),
                    max_size=4)
    return st.one_of(train, train, train, predict, evaluate, junk)


def _outcome(argv):
    """Run ``main(argv)``; the class of the ending, after checking it ends cleanly."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(argv, out=out, err=err)
    except _ReachedTraining:
        return "accepted: reached training"
    text = err.getvalue()
    assert "Traceback" not in text and "Warning" not in text, (argv, text)
    assert code in (0, 2), (argv, code, text)  # 1 would be an unexpected error
    if code == 2:
        lines = text.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("neuralpath"), (argv, text)
        return "refused: exit 2, one line"
    return "accepted: exit 0"


@pytest.mark.timeout(600)
def test_fuzzed_arguments_never_give_a_traceback(tmp_path_factory, model_file):
    """Hypothesis-made command lines: each ends in exit 0, or exit 2 with one line on stderr,
    or reaches training (a stand-in here); never exit 1, a traceback or a warning."""
    from collections import Counter
    from unittest import mock

    from hypothesis import HealthCheck, given, settings

    folder = tmp_path_factory.mktemp("fuzz")
    outcomes = Counter()

    @settings(max_examples=400, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(argv=_argv_strategy(model_file))
    def check(argv):
        outcomes[_outcome(argv)] += 1

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with mock.patch.object(pipeline, "train_config", _stand_in_training), \
                mock.patch("sys.stdout", io.StringIO()):  # --help and --version print here
            check()
    finally:
        os.chdir(cwd)
    (folder / "outcomes.json").write_text(json.dumps(outcomes))  # for a look by hand
    assert sum(outcomes.values()) >= 400
    assert outcomes["refused: exit 2, one line"] >= 100 and outcomes["accepted: exit 0"]
    assert not leftovers(folder)
