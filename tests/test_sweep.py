"""neuralpath sweep: a grid x seeds on a Dask cluster on loopback and on local processes;
resuming an interrupted sweep; bad input (exit 2, one line, no traceback)."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_run import run

from neuralpath import sweep
from neuralpath.presets import resolve

RUN_FILES = {"model.npz", "config.json", "metrics.csv", "cost.png", "confusion.png",
             "errors.png", "result.json"}  # what neuralpath train writes, and the row
COLUMNS = ["learning_rate", "seed", "final_cost", "train_accuracy", "test_accuracy",
           "train_seconds", "run_dir", "stopped"]


def read(*path):
    with open(os.path.join(*path)) as f:
        return f.read()


def read_summary(folder):
    with open(os.path.join(folder, "summary.csv"), newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def check_runs(folder, rows):
    for row in rows:
        run_dir = os.path.join(folder, row["run_dir"])
        assert RUN_FILES <= set(os.listdir(run_dir)), run_dir
        config = json.loads(read(run_dir, "config.json"))
        assert config["seed"] == int(row["seed"])
        assert config["learning_rate"] == float(row["learning_rate"])
        assert 0 <= float(row["test_accuracy"]) <= 1 and float(row["final_cost"]) > 0


def test_a_sweep_on_a_dask_cluster_on_loopback(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = str(tmp_path / "sweep")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        code, out, err = run(["sweep", "--preset", "tutorial", "--iterations", "30",
                              "--seeds", "0-3", "--grid", "learning_rate=0.1,0.25",
                              "--scheduler", cluster.scheduler_address, "--out", folder,
                              "--tensorboard", str(tmp_path / "tb")])
        workers = set(cluster.scheduler.workers)
    assert code == 0, err
    assert f"on the Dask cluster at {cluster.scheduler_address}" in out
    columns, rows = read_summary(folder)
    assert columns == COLUMNS and len(rows) == 8
    assert {(r["learning_rate"], r["seed"]) for r in rows} == {
        (lr, str(s)) for lr in ("0.1", "0.25") for s in range(4)}
    check_runs(folder, rows)
    for row in rows:  # each ran in the cluster's worker process, not in this one
        where = json.loads(read(folder, row["run_dir"], "result.json"))["worker"]
        assert where["pid"] in worker_pids and where["pid"] != os.getpid()
        assert where["dask_worker"] in workers
    assert len(os.listdir(tmp_path / "tb")) == 8  # a TensorBoard folder per run, sent back
    assert (tmp_path / "sweep" / "test_accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert "test acc mean" in out and out.count("\n0.1 ") + out.count("\n0.25") == 2


def test_an_interrupted_sweep_started_again_runs_only_the_missing_points(tmp_path):
    folder = str(tmp_path / "sweep")
    base = ["sweep", "--iterations", "150", "--seeds", "0-3", "--out", folder]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.join(os.path.dirname(__file__), "..", "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "neuralpath", *base, "--jobs", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    runs = os.path.join(folder, "runs")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # Ctrl-C once the first run is finished
        if os.path.isdir(runs) and any(os.path.exists(os.path.join(runs, d, "result.json"))
                                       for d in os.listdir(runs)):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the sweep and its processes
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "sweep interrupted" in err and f"--out {folder}" in err and "Traceback" not in err
    before = {d: read(runs, d, "result.json") for d in os.listdir(runs)
              if os.path.exists(os.path.join(runs, d, "result.json"))}
    assert 1 <= len(before) < 4
    assert len(read_summary(folder)[1]) == len(before)  # the summary holds the finished ones

    code, out, err = run([*base, "--jobs", "2"])
    assert code == 0, err
    assert f"{len(before)} finished before, {4 - len(before)} to run" in out
    columns, rows = read_summary(folder)
    assert len(rows) == 4 and [r["seed"] for r in rows] == [str(s) for s in range(4)]
    for d, text in before.items():  # the finished runs were not run again
        assert read(runs, d, "result.json") == text
    assert all(RUN_FILES <= set(os.listdir(os.path.join(runs, d))) for d in os.listdir(runs))

    code, out, err = run(base)  # all finished: nothing to run
    assert code == 0 and "4 finished before, 0 to run" in out


def test_a_sweep_folder_of_other_settings_is_refused(tmp_path):
    folder = str(tmp_path / "s")
    assert run(["sweep", "--iterations", "5", "--seeds", "0", "--jobs", "1", "--out",
                folder])[0] == 0
    code, out, err = run(["sweep", "--iterations", "6", "--seeds", "0", "--out", folder])
    assert code == 2 and "other settings (iterations 5 there, 6 here)" in err


def test_points_cross_the_grid_with_the_seeds():
    base = resolve("tutorial", iterations=10)
    points = sweep.make_points(base, {"layer_sizes": [[64, 30, 10], [64, 100, 10]],
                                      "batch_size": [None, 32]}, [0, 1])
    assert len(points) == 8
    assert points[0].name == "layer_sizes=64-30-10__batch_size=none__seed=0"
    assert points[3].config.batch_size == 32 and points[3].config.seed == 1
    assert points[-1].config.layer_sizes == [64, 100, 10]
    best = sweep.make_points(resolve("best"), {"batch_size": [None]}, [0])[0]
    assert best.config.batch_size is None  # none sets the full batch over a preset's 128
    assert sweep.parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]


@pytest.mark.parametrize("argv, message", [
    (["--grid", "learning_rate=0.1,abc"], "--grid learning_rate=0.1,abc: expected a number"),
    (["--grid", "learning_rate=-1"], "learning_rate must be a positive number"),
    (["--grid", "speed=1,2"], "'speed' is not a setting"),
    (["--grid", "seed=1,2"], "the seeds are given with --seeds"),
    (["--grid", "learning_rate"], "expected KEY=V1,V2"),
    (["--grid", "layer_sizes=64,30,10:64,x"], "--grid layer_sizes=64,30,10:64,x: expected"),
    (["--grid", "activation=sigmoid,nope"], "activation must be one of"),
    (["--seeds", "3-1"], "--seeds: seeds must be integers"),
    (["--seeds", "0-1", "--seed", "2"], "give --seed (one seed) or --seeds"),
    (["--plot", "x.png"], "unrecognized arguments: --plot"),
    (["--learning-rate", "0"], "neuralpath sweep: --learning-rate must be a positive number"),
    (["--config", "nowhere.json"], "--config nowhere.json: nowhere.json: no such file"),
])
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path):
    code, out, err = run(["sweep", "--out", str(tmp_path / "s"), *argv])
    assert code == 2 and message in err and "Traceback" not in err, err
    assert err.count("\n") == 1


def test_scheduler_without_dask_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    code, out, err = run(["sweep", "--scheduler", "tcp://127.0.0.1:8786", "--out",
                          str(tmp_path / "s")])
    assert code == 2
    assert "pip install 'neuralpath[dask]'" in err and "Traceback" not in err


def test_an_unreachable_scheduler_is_bad_input(tmp_path):
    pytest.importorskip("distributed")
    code, out, err = run(["sweep", "--iterations", "5", "--scheduler", "tcp://127.0.0.1:9",
                          "--out", str(tmp_path / "s")])
    assert code == 2 and "no Dask scheduler answered at tcp://127.0.0.1:9" in err
