"""One road from a config to a run (issue 21): the command line, the live training page and
``serve``'s first start all go through the pipeline's steps, so each leaves the same run
folder; a run stopped on the page, or one that diverged, leaves the whole record too."""
import os
import time
import warnings

import pytest

from neuralpath import pipeline
from neuralpath.cli import main
from neuralpath.errors import TrainingDiverged
from neuralpath.runs import read_metrics
from neuralpath.training import StopTraining
from neuralpath.web.app import create_app

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

RUN_FILES = ["config.json", "confusion.png", "cost.png", "errors.png", "metrics.csv",
             "model.npz"]
SETTINGS = {"layer_sizes": [64, 12, 10], "iterations": 30, "seed": 1}


def run_folders(runs_dir):
    """The run folders under ``runs_dir`` (not the ``latest`` link)."""
    return sorted(p for p in runs_dir.iterdir() if p.name != "latest" and p.is_dir())


def files_of(folder):
    return sorted(os.listdir(folder))


def wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def cli_run(home):
    """``neuralpath train`` in ``home``: its run goes to ``home/runs``."""
    home.mkdir(parents=True)
    cwd = os.getcwd()
    os.chdir(home)
    try:
        code = main(["train", "--layer-sizes", "64,12,10", "--iterations", "30", "--seed", "1",
                     "--quiet", "--no-progress"])
    finally:
        os.chdir(cwd)
    assert code == 0
    (folder,) = run_folders(home / "runs")
    return folder


def live_run(runs_dir, model):
    """A run started and finished on the live training page."""
    app = create_app(model=model, runs_dir=str(runs_dir))
    with TestClient(app) as client:
        response = client.post("/api/train", json=dict(SETTINGS, preset="tutorial"))
        assert response.status_code == 202, response.text
        run = app.state.live_runs.runs[response.json()["id"]]
        run.thread.join(60)
        assert client.get(f"/api/train/{run.id}").json()["state"] == "done"
    (folder,) = run_folders(runs_dir)
    return folder


def first_start(runs_dir):
    """``serve`` with no model yet: the app trains one at start and saves its run."""
    app = create_app(runs_dir=str(runs_dir), preset="tutorial", seed=1,
                     train_overrides={"layer_sizes": [64, 12, 10], "iterations": 30})
    with TestClient(app) as client:
        wait(lambda: client.get("/api/model").json()["status"] == "ready")
    (folder,) = run_folders(runs_dir)
    return folder


@pytest.fixture(scope="module")
def model():
    trained, _, _ = pipeline.train_preset("tutorial", seed=0, iterations=5,
                                          layer_sizes=[64, 8, 10])
    return trained


def test_cli_live_and_serve_leave_the_same_run_folder(tmp_path, model):
    cli = cli_run(tmp_path / "cli")
    live = live_run(tmp_path / "live" / "runs", model)
    serve = first_start(tmp_path / "serve" / "runs")
    assert files_of(cli) == RUN_FILES
    assert files_of(live) == files_of(serve) == files_of(cli)
    # the same settings give the same numbers, whichever front end trained them
    rows = [read_metrics(str(folder / "metrics.csv")) for folder in (cli, live, serve)]
    assert [r["iteration"] for r in rows[0]] == [10, 20, 30]
    for other in rows[1:]:
        assert [r["iteration"] for r in other] == [10, 20, 30]
        assert [r["cost"] for r in other] == pytest.approx([r["cost"] for r in rows[0]],
                                                           abs=1e-12)
    for folder in (cli, serve):  # runs/latest: the model a restarted serve answers with
        assert os.path.realpath(folder.parent / "latest") == os.path.realpath(folder)
    assert not os.path.lexists(live.parent / "latest")  # a learner's run never moves it


def test_a_live_run_stopped_early_leaves_the_whole_record(tmp_path, model):
    runs_dir = tmp_path / "runs"
    app = create_app(model=model, runs_dir=str(runs_dir))
    with TestClient(app) as client:
        run_id = client.post("/api/train", json=dict(SETTINGS, preset="tutorial",
                                                     iterations=20_000)).json()["id"]
        run = app.state.live_runs.runs[run_id]
        wait(lambda: run.iteration >= 25)
        client.post(f"/api/train/{run_id}/pause")
        assert client.post(f"/api/train/{run_id}/stop").json()["state"] == "stopped"
        run.thread.join(60)
    (folder,) = run_folders(runs_dir)
    assert files_of(folder) == RUN_FILES
    rows = read_metrics(str(folder / "metrics.csv"))
    assert rows and rows[-1]["iteration"] <= run.iteration  # the logged epochs until the stop
    assert run.model.metadata["stopped"] == "interrupted"
    assert run.model.metadata["iterations_run"] == run.iteration


def test_a_diverged_cli_run_leaves_the_whole_record(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(["train", "--activation", "relu", "--output-activation", "identity",
                     "--initializer", "he", "--learning-rate", "1e9", "--iterations", "200",
                     "--quiet", "--no-progress"])
    finally:
        os.chdir(cwd)
    assert code == 1
    (folder,) = run_folders(tmp_path / "runs")
    assert files_of(folder) == RUN_FILES


def test_the_steps_compose_to_train_config():
    """prepare, build, fit and finish one by one give what train_config gives."""
    cfg = pipeline.config_of("tutorial", seed=2, iterations=40, layer_sizes=[64, 10, 10])
    parts = pipeline.prepare(cfg)
    built = pipeline.build(cfg, parts, "tutorial")
    assert built.metadata == {"preset": "tutorial"} and built.config == cfg
    history = pipeline.fit(built, parts)
    metrics = pipeline.finish(built, history, parts)
    model, history_again, metrics_again = pipeline.train_config(cfg, preset="tutorial")
    assert history.cost == pytest.approx(history_again.cost, abs=1e-12)
    assert metrics["test_accuracy"] == metrics_again["test_accuracy"]
    assert built.metadata == model.metadata


def test_a_callback_stops_fit_with_the_history_so_far():
    cfg = pipeline.config_of("tutorial", seed=0, iterations=500, layer_sizes=[64, 10, 10])
    parts = pipeline.prepare(cfg)
    built = pipeline.build(cfg, parts)

    class StopAt25:
        def on_iteration(self, iteration, cost):
            if iteration == 25:
                raise StopTraining

    history = pipeline.fit(built, parts, callbacks=[StopAt25()])
    assert history.iterations == len(history.cost) == 25
    assert history.stopped == "interrupted" and [r["iteration"] for r in history.log] == [10, 20]
    assert built.metadata["iterations_run"] == 25


def test_a_diverged_train_config_keeps_its_run_folder(tmp_path):
    cfg = pipeline.config_of("tutorial", activation="relu", output_activation="identity",
                             initializer="he", learning_rate=1e9, iterations=200)
    with pytest.raises(TrainingDiverged) as caught:
        pipeline.train_config(cfg, run_dir=str(tmp_path / "run"))
    assert caught.value.model.metadata["stopped"] == "diverged"
    assert files_of(caught.value.metrics["paths"]["model"].rsplit("/", 1)[0]) == RUN_FILES


# ---- one body reader: every endpoint that reads a body has the same deadline -------------

@pytest.mark.parametrize("path", ["/api/predict", "/api/train", "/api/model"])
def test_every_body_reading_endpoint_answers_408_after_the_deadline(model, path):
    """A client that sends half a body and then nothing: 408 and the connection closed,
    on the draw view's endpoint and the live view's alike (web/api.RequestGuard)."""
    import asyncio
    import json
    import threading

    app = create_app(model=model, body_timeout=0.3)
    sent = []

    async def call():
        parts = [{"type": "http.request", "body": b'{"pre', "more_body": True}]

        async def receive():
            if parts:
                return parts.pop()
            await asyncio.sleep(30)  # the rest never comes
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
                 "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
                 "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")]}
        await asyncio.wait_for(app(scope, receive, send), 10)

    thread = threading.Thread(target=lambda: asyncio.run(call()))
    thread.start()
    thread.join(20)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    assert "did not arrive within 0.3 s" in json.loads(body)["error"]
