"""Live training (web/live.py) through FastAPI's TestClient: settings validated like the CLI,
the states a run goes through, its event stream, stop, the bounds, the run saved and used by
the draw view, and the same final cost as `neuralpath train` for the same settings and seed."""
import base64
import json
import warnings

import numpy as np
import pytest

from neuralpath import load
from neuralpath.cli import main
from neuralpath.web import live, live_routes, measure, registry, settings
from neuralpath.web.api import ApiError
from neuralpath.web.app import create_app

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

SMALL = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 150, "seed": 1}
LONG = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 20_000, "seed": 1}


@pytest.fixture(scope="module")
def served_model():
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("best", seed=0, epochs=1, layer_sizes=[64, 16, 10])
    return model




def finish(app, run_id):
    """Wait for the run's worker to end (a finished run has nothing left to wait for)."""
    run = app.state.live_runs.runs[run_id]
    run.thread.join(120)
    assert not run.thread.is_alive()
    return run


def error_of(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) - {"detail", "field"} == {"error"} and body["error"], body
    return body["error"]


def start(runs, body, session=None):
    """A run started straight on a ``LiveRuns`` (a new browser unless ``session``)."""
    run, _ = runs.start(session or runs.sessions.new(), body)
    return run


# ---- settings are validated as the CLI validates them -----------------------------------

@pytest.mark.parametrize("body, field, words", [
    ({"learning_rate": -1}, "learning_rate", "Learning rate must be a positive number; it is -1"),
    ({"learning_rate": "fast"}, "learning_rate", 'it is the text "fast"'),
    ({"iterations": 0}, "iterations", "Iterations must be a positive integer"),
    ({"layer_sizes": "64,30,10"}, "layer_sizes", "Hidden layers must be whole numbers"),
    ({"layer_sizes": [64, None, 10]}, "layer_sizes", "hidden layer 1 is empty"),
    ({"layer_sizes": [32, 30, 10]}, "layer_sizes", "64 inputs"),  # the digits' 8 x 8
    ({"layer_sizes": [64, 30, 3]}, "layer_sizes", "10 outputs"),  # and 10 classes
    ({"activation": "swish"}, "activation", "Activation must be one of"),
    ({"dropout": 1.0}, "dropout", "Dropout must be"),
    ({"seed": -3}, "seed", "Seed must be an integer >= 0; it is -3"),
    ({"seed": None}, "seed", "Seed must be an integer >= 0; it is empty"),  # not silently 0
    ({"momentum_typo": 0.5}, "momentum_typo", '"momentum_typo" is not a setting'),
    ({"preset": "fastest"}, "preset", "Preset must be one of"),
    ({"output_activation": "relu"}, "output_activation",
     "Output activation must be one of sigmoid, tanh, identity, softmax or exp; it is the "
     'text "relu"'),
    ({"cost": "cross_entropy", "output_activation": "tanh"}, "output_activation",
     "do not go together"),
])
def test_settings_refused_in_plain_words_naming_the_field(client, body, field, words):
    response = client.post("/api/train", json=body)
    message = error_of(response, 422)
    assert words in message and response.json()["field"] == field
    assert "got [" not in message and "None" not in message and "/api" not in message
    assert client.app.state.live_runs.runs == {}  # nothing started


def test_bodies_that_are_not_settings(client):
    error_of(client.post("/api/train", content=b"{not json",
                         headers={"content-type": "application/json"}), 400)
    assert "JSON object" in error_of(client.post("/api/train", json=[1, 2]), 422)
    error_of(client.post("/api/train", content=b"x" * (live_routes.MAX_BODY + 1),
                         headers={"content-type": "application/json"}), 413)
    assert "Content-Type" in error_of(client.post("/api/train", content=b"{}"), 415)
    error_of(client.post("/api/model", content=b'{"train_id": "x"}',
                         headers={"content-type": "text/plain"}), 415)


def test_null_batch_size_is_the_full_batch():
    preset, cfg = settings.parse_settings(b'{"preset": "best", "batch_size": null, '
                                          b'"epochs": 2}')
    assert preset == "best" and cfg.batch_size is None and cfg.epochs == 2
    assert settings.parse_settings(b'{"preset": "best"}')[1].batch_size == 128


def test_options_list_presets_help_and_bounds(client):
    info = client.get("/api/train/options").json()
    assert info["presets"]["tutorial"]["layer_sizes"] == [64, 30, 10]
    assert "alpha" in info["help"]["learning_rate"]
    assert "sigmoid" in info["choices"]["activation"]
    assert info["labels"]["learning_rate"] == "Learning rate"
    assert info["ranges"]["learning_rate"]["low"] == 0
    assert info["ranges"]["learning_rate"]["low_closed"] is False
    assert info["bounds"]["max_running"] == registry.MAX_RUNNING
    assert info["bounds"]["max_kept"] == registry.MAX_KEPT
    assert info["bounds"]["events_per_second"] <= 10


# ---- bounds -------------------------------------------------------------------------

@pytest.mark.parametrize("body, field, words", [
    ({"layer_sizes": [64, settings.MAX_LAYER + 1, 10]}, "layer_sizes", "1024 nodes"),
    ({"layer_sizes": [64, 1024, 1024, 10]}, "layer_sizes", "8 MB"),  # 9.2 MB of float64
    ({"iterations": settings.MAX_ITERATIONS + 1}, "iterations", "20000 optimizer steps"),
])
def test_bounds_refused_with_422(client, body, field, words):
    response = client.post("/api/train", json=body)
    message = error_of(response, 422)
    assert words in message and "at most" in message and response.json()["field"] == field


def test_too_many_epochs_are_refused_before_the_run(client):
    """Epochs count as the steps they make (web/rows.py; tests/test_rows.py has the rest)."""
    words = error_of(client.post("/api/train", json={"epochs": 20, "batch_size": 1}), 422)
    assert "at most 20000 optimizer steps" in words and "20 epochs" in words


def test_finished_runs_kept_per_browser_are_bounded():
    runs = registry.LiveRuns(None, max_kept=2)
    session = runs.sessions.new()
    started = []
    for seed in range(4):
        run = start(runs, dict(SMALL, iterations=5, seed=seed), session)
        run.thread.join(60)
        started.append(run.id)
    # the run being started counts once it has finished: 2 finished kept, then the new one
    assert list(session.runs) == started[1:]
    with pytest.raises(ApiError) as caught:
        runs.get(session, started[0])
    assert caught.value.status == 404
    assert caught.value.message == (f"run {started[0]} was removed: only the 2 newest runs "
                                    "of this browser are kept")


def test_a_run_nobody_watches_is_stopped():
    now = [0.0]
    runs = registry.LiveRuns(None, idle_seconds=30, max_seconds=600, clock=lambda: now[0])
    run = start(runs, LONG)
    run.pause()
    assert run.state == "paused"
    now[0] += 31  # nobody read it for 31 s: closed the page
    run.thread.join(60)
    assert run.state == "stopped" and "nobody watched" in run.error
    assert run.model is not None  # the weights reached are kept

    run = start(runs, LONG)
    run.pause()
    for _ in range(25):  # read every 25 s, but for more than the longest run
        now[0] += 25
        run.touch()
    run.thread.join(60)
    assert run.state == "stopped" and "at most 600 s" in run.error


# ---- states, events, stop ---------------------------------------------------------------

def test_pause_step_resume_finish(client, app, tmp_path):
    response = client.post("/api/train", json=dict(SMALL, iterations=400))
    assert response.status_code == 202
    run_id = response.json()["id"]
    paused = client.post(f"/api/train/{run_id}/pause").json()
    assert paused["state"] == "paused"
    again = client.get(f"/api/train/{run_id}").json()
    assert again["iteration"] == paused["iteration"] == len(again["cost"])  # it waits
    stepped = client.post(f"/api/train/{run_id}/step").json()
    assert stepped["state"] == "paused" and stepped["iteration"] == paused["iteration"] + 1
    stepped = client.post(f"/api/train/{run_id}/step").json()
    assert stepped["iteration"] == paused["iteration"] + 2
    assert client.post(f"/api/train/{run_id}/resume").json()["state"] in ("running", "done")
    finish(app, run_id)
    info = client.get(f"/api/train/{run_id}").json()
    assert info["state"] == "done" and info["error"] is None
    assert info["iteration"] == 400 and len(info["cost"]) == 400
    assert info["settings"]["layer_sizes"] == [64, 12, 10]
    assert info["settings"]["iterations"] == 400 and info["settings"]["l2"] == 0.0
    assert info["final_cost"] == info["cost"][-1]
    assert 0.1 < info["test_accuracy"] <= 1 and 0.1 < info["train_accuracy"] <= 1
    assert sum(map(sum, info["measured"]["confusion"])) == 719  # the test part's 40%
    # saved like a CLI run: runs/<timestamp>/model.npz and cost.png, but runs/latest not made
    saved = load(tmp_path / "runs" / info["saved_as"])
    assert saved.config.layer_sizes == [64, 12, 10] and saved.metadata["iterations_run"] == 400
    assert (tmp_path / "runs" / info["saved_as"]).with_name("cost.png").exists()
    assert not (tmp_path / "runs" / "latest").exists()
    download = client.get(f"/api/train/{run_id}/model.npz")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    path = tmp_path / "downloaded.npz"
    path.write_bytes(download.content)
    np.testing.assert_array_equal(load(path).network.W[0], saved.network.W[0])
    # a finished run cannot be paused or stepped
    assert "done" in error_of(client.post(f"/api/train/{run_id}/pause"), 409)
    error_of(client.post(f"/api/train/{run_id}/jump"), 404)
    error_of(client.get("/api/train/nosuchrun"), 404)


def test_step_needs_a_paused_run(client, app):
    run_id = client.post("/api/train", json=LONG).json()["id"]
    assert "paused" in error_of(client.post(f"/api/train/{run_id}/step"), 409)
    client.post(f"/api/train/{run_id}/stop")


def test_events_stream_the_costs_and_measurements(client, app):
    run_id = client.post("/api/train", json=dict(SMALL, iterations=3000)).json()["id"]
    events = []
    with client.stream("GET", f"/api/train/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[len("data: "):])))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "end" and kinds.count("end") == 1
    updates = [e for k, e in events if k == "update"]
    assert len(updates) >= 2 and updates[-1]["state"] == "done"
    cost = []
    for u in updates:  # each event carries the costs after those already sent
        assert u["cost_from"] == len(cost)
        cost.extend(u["cost"])
    info = client.get(f"/api/train/{run_id}").json()
    assert cost == info["cost"] and len(cost) == 3000
    measured = [u["measured"] for u in updates if "measured" in u]
    assert measured and measured[-1]["iteration"] == 3000
    weights = measured[-1]["weights"]
    assert weights["side"] == 8 and weights["shown"] == 12
    assert len(base64.b64decode(weights["data"])) == 12 * 64
    changes = measured[-1]["weight_changes"]  # W[0] - W0[0]: what the run has learned
    assert changes["shown"] == 12 and len(base64.b64decode(changes["data"])) == 12 * 64
    assert changes["data"] != weights["data"]
    assert len(measured[-1]["wrong"]) == min(measure.MAX_WRONG, measured[-1]["n_wrong"])
    assert info["test_accuracy"] == updates[-1]["test_accuracy"]


def test_stop_keeps_the_weights_reached(client, app):
    run_id = client.post("/api/train", json=LONG).json()["id"]
    client.post(f"/api/train/{run_id}/pause")
    stopped = client.post(f"/api/train/{run_id}/stop").json()
    assert stopped["state"] == "stopped" and stopped["iteration"] < 20_000
    run = finish(app, run_id)
    assert run.model.metadata["stopped"] == "interrupted"
    assert load(run.model_path).metadata["iterations_run"] == stopped["iteration"]
    assert "stopped" in error_of(client.post(f"/api/train/{run_id}/resume"), 409)


def test_shutdown_stops_the_runs(served_model, tmp_path):
    app = create_app(model=served_model, runs_dir=str(tmp_path))
    with TestClient(app) as client:
        run_id = client.post("/api/train", json=LONG).json()["id"]
    run = app.state.live_runs.runs[run_id]
    assert run.state == "stopped" and "shut down" in run.error


def test_page_runs_leave_runs_latest_to_the_command_line(served_model, tmp_path, capsys,
                                                        monkeypatch):
    """A restarted serve answers the class with runs/latest: a learner's run must not move it."""
    monkeypatch.chdir(tmp_path)  # the command line writes runs/ here
    runs_dir = tmp_path / "runs"
    assert main(["train", "--preset", "tutorial", "--iterations", "20", "--layer-sizes",
                 "64,7,10", "--no-progress"]) == 0
    capsys.readouterr()
    cli_folder = (runs_dir / "latest").resolve()
    assert load(runs_dir / "latest" / "model.npz").config.layer_sizes == [64, 7, 10]
    app = create_app(model=served_model, runs_dir=str(runs_dir))
    with TestClient(app) as client:
        run_id = client.post("/api/train", json=SMALL).json()["id"]
        finish(app, run_id)
        info = client.get(f"/api/train/{run_id}").json()
    page_folder = (runs_dir / info["saved_as"]).parent
    assert info["state"] == "done" and (page_folder / "model.npz").exists()
    assert page_folder.resolve() != cli_folder
    assert (runs_dir / "latest").resolve() == cli_folder  # not moved
    restarted = create_app(runs_dir=str(runs_dir))  # serve started again, no --model
    with TestClient(restarted) as client:
        assert client.get("/api/model").json()["model"]["layer_sizes"] == [64, 7, 10]
    # and a command-line run still moves it
    assert main(["train", "--preset", "tutorial", "--iterations", "20", "--layer-sizes",
                 "64,9,10", "--no-progress"]) == 0
    assert load(runs_dir / "latest" / "model.npz").config.layer_sizes == [64, 9, 10]


# ---- the draw view answers with a live run's network ------------------------------------

def test_use_this_network_in_the_draw_view(client, app):
    described = client.get("/api/model").json()
    before, before_version = described["model"], described["version"]
    assert before["layer_sizes"] == [64, 16, 10]
    running = client.post("/api/train", json=LONG).json()["id"]
    assert "no network to use yet" in error_of(
        client.post("/api/model", json={"train_id": running}), 409)
    client.post(f"/api/train/{running}/stop")
    run_id = client.post("/api/train", json=SMALL).json()["id"]
    finish(app, run_id)
    answer = client.post("/api/model", json={"train_id": run_id}).json()
    assert answer["train_id"] == run_id
    info = client.get("/api/model").json()
    assert info["status"] == "ready" and info["model"]["layer_sizes"] == [64, 12, 10]
    label = "tutorial, hidden layers 12, iterations 150, seed 1"
    assert info["model"]["source"] == answer["source"] == f"live run: {label}"
    assert info["version"] == answer["version"] != before_version
    assert str(app.state.live_runs.runs[run_id].runs_dir) not in str(answer)  # no folders
    predicted = client.post("/api/predict", json={"pixels": [8] * 64}).json()
    assert len(predicted["hidden"][0]) == 12  # the live network's hidden layer answers
    assert predicted["version"] == info["version"]
    back = client.delete("/api/model").json()  # the server's model again
    assert client.get("/api/model").json()["model"]["layer_sizes"] == [64, 16, 10]
    assert back["version"] not in (info["version"], before_version)
    error_of(client.post("/api/model", json={"train_id": "nosuchrun"}), 404)
    error_of(client.post("/api/model", json={"id": run_id}), 422)
    error_of(client.post("/api/model", json=[run_id]), 422)


# ---- a live run gives the numbers of `neuralpath train` ---------------------------------

@pytest.mark.parametrize("settings", [
    {"preset": "tutorial", "layer_sizes": [64, 20, 10], "iterations": 300, "seed": 3},
    {"preset": "best", "layer_sizes": [64, 32, 10], "epochs": 2, "seed": 2, "dropout": 0.2},
])
def test_final_cost_equals_the_cli(settings, tmp_path, capsys):
    argv = ["train", "--preset", settings["preset"], "--seed", str(settings["seed"]),
            "--layer-sizes", ",".join(map(str, settings["layer_sizes"])), "--json",
            "--no-progress", "--out", str(tmp_path / "cli.npz")]
    for name in ("iterations", "epochs", "dropout"):
        if name in settings:
            argv += [f"--{name}", str(settings[name])]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    # measuring after every update (min_interval=0) must not change what is learned
    runs = registry.LiveRuns(None, min_interval=0.0)
    run = start(runs, json.dumps(settings).encode())
    run.thread.join(120)
    info = run.describe()
    assert info["state"] == "done"
    assert len(info["accuracy"]) >= info["iteration"]  # it did measure every update
    assert info["iteration"] == cli["iterations"]
    assert abs(info["final_cost"] - cli["final_cost"]) <= 1e-9
    assert info["test_accuracy"] == cli["test_accuracy"]
    assert info["train_accuracy"] == cli["train_accuracy"]


# ---- issue 24: malformed settings, cross-site state changes -------------------------------

@pytest.mark.parametrize("body, field", [
    ({"preset": ["x"]}, "preset"), ({"preset": {"a": 1}}, "preset"), ({"preset": 3}, "preset"),
    ({"iterations": "500"}, "iterations"), ({"layer_sizes": [64, "12", 10]}, "layer_sizes"),
    ({"learning_rate": [0.1]}, "learning_rate"), ({"no_such_setting": 1}, "no_such_setting"),
    ({"augment": 1}, "augment"), ({"learning_rate": True}, "learning_rate"),
])
def test_a_malformed_setting_is_a_422_naming_it(client, body, field):
    """{"preset": ["x"]} was a 500 (a TypeError hashing the list): now a 422 whose ``field``
    names the setting and whose message is in the page's words (no Python repr)."""
    response = client.post("/api/train", json=body)
    message = error_of(response, 422)
    assert response.json()["field"] == field
    assert "[" not in message and "{" not in message, message


def test_parse_settings_refuses_a_preset_that_is_not_a_string():
    """The settings reader itself never hashes a list."""
    with pytest.raises(ApiError) as caught:
        settings.parse_settings({"preset": ["x"]})
    assert caught.value.status == 422 and caught.value.field == "preset"
    assert "Preset must be one of tutorial" in caught.value.message


@pytest.mark.parametrize("headers, status", [
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Sec-Fetch-Site": "same-site"}, 403),  # another port of localhost is same-site
    ({"Origin": "http://evil.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, 200),  # the page
    ({}, 200),  # a script: no browser headers
], ids=["cross-site", "same-site", "foreign-origin", "null-origin", "same-origin", "script"])
def test_cross_site_requests_cannot_stop_a_run(client, headers, status):
    """The stop endpoint took a cross-site POST without a body: now any state change from
    another site is 403 and the run goes on; the same request from the page (the control)
    stops it."""
    run_id = client.post("/api/train", json=LONG).json()["id"]
    try:
        response = client.post(f"/api/train/{run_id}/stop", headers=headers)
        assert response.status_code == status, response.text
        state = client.get(f"/api/train/{run_id}").json()["state"]
        assert state == "stopped" if status == 200 else state in live.ACTIVE
        if status == 403:
            assert "only the server's own pages" in error_of(response, 403)
    finally:
        client.post(f"/api/train/{run_id}/stop")


def test_a_cross_site_form_post_is_refused_before_it_is_read(client):
    """A plain HTML form (no preflight) can send text/plain: refused, 415 (no Origin check
    needed for that)."""
    error_of(client.post("/api/model", content=b"train_id=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
