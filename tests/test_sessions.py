"""Browser sessions (web/sessions.py, web/registry.py) through FastAPI's TestClient: each
browser (its own cookie jar) has its own runs and its own draw network; a browser cannot see
or control another's run; starting again replaces its run; malformed cookies get a new
session; the table of sessions and the runs kept are bounded, with plain answers."""
import warnings

import numpy as np
import pytest

from neuralpath.pipeline import train_preset
from neuralpath.web import live, registry, sessions
from neuralpath.web.app import create_app

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

SMALL = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 60, "seed": 1}
LONG = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 20_000, "seed": 1}
PIXELS = {"pixels": [0, 0, 5, 13, 9, 1, 0, 0] * 8}


@pytest.fixture(scope="module")
def served_model():
    model, _, _ = train_preset("tutorial", seed=0, iterations=30, layer_sizes=[64, 16, 10])
    return model



@pytest.fixture
def browsers(app):
    """Two browsers on one server: two cookie jars (the first client runs the lifespan)."""
    with TestClient(app) as first:
        yield first, TestClient(app)


def wait(app, run_id):
    run = app.state.live_runs.runs[run_id]
    run.thread.join(120)
    assert not run.thread.is_alive()
    return run


def started(client, body):
    response = client.post("/api/train", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def cookie(response):
    header = response.headers.get("set-cookie", "")
    assert header.startswith(f"{sessions.COOKIE}="), header
    return header.split(";")[0].split("=", 1)[1]


def test_a_browser_gets_a_cookie_once(browsers):
    a, _ = browsers
    first = a.get("/api/model")
    value = cookie(first)
    assert sessions._VALID.fullmatch(value)
    header = first.headers["set-cookie"]
    for part in ("HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={sessions.MAX_AGE}"):
        assert part in header
    assert "set-cookie" not in a.get("/api/model").headers  # known now: not set again


@pytest.mark.parametrize("value", [
    "", "x", "a" * 43, "a" * 42 + "!", "a" * 5000, '"quoted"', "a;b", "\x01" * 43,
])
def test_a_malformed_or_unknown_cookie_gets_a_new_session(app, value):
    with TestClient(app) as client:
        client.cookies.set(sessions.COOKIE, value)
        response = client.get("/api/model")
        assert response.status_code == 200, response.text
        assert cookie(response) != value
        response = client.post("/api/train", json={"preset": "nope"})
        assert response.status_code == 422 and response.json()["field"] == "preset"


def test_a_raw_cookie_header_of_any_shape_is_never_a_500(app):
    with TestClient(app) as client:
        for header in ("neuralpath_session", "=;=;=", "neuralpath_session=a=b=c; x",
                       "a" * 8000, 'neuralpath_session="\\x"',
                       b"neuralpath_session=" + "é".encode("latin-1") * 43,
                       b"neuralpath_session=\xff\xfe; neuralpath_session=" + b"a" * 43):
            response = client.get("/api/model", headers={"Cookie": header})
            assert response.status_code == 200 and "set-cookie" in response.headers


def test_use_this_network_changes_only_this_browser_s_draw_network(app, browsers):
    a, b = browsers
    before = b.get("/api/model").json()
    predicted_before = b.post("/api/predict", json=PIXELS).json()
    run_id = started(a, SMALL)["id"]
    wait(app, run_id)
    used = a.post("/api/model", json={"train_id": run_id})
    assert used.status_code == 200, used.text
    mine = a.get("/api/model").json()
    assert mine["model"]["layer_sizes"] == [64, 12, 10]
    assert mine["version"] == used.json()["version"]
    assert len(a.post("/api/predict", json=PIXELS).json()["hidden"][0]) == 12
    # the other browser: the server's model, its description, version and predictions unchanged
    after = b.get("/api/model").json()
    assert after == before
    predicted_after = b.post("/api/predict", json=PIXELS).json()
    assert predicted_after == predicted_before
    assert len(predicted_after["hidden"][0]) == 16
    # and it cannot use a's run (404, as an unknown id)
    assert b.post("/api/model", json={"train_id": run_id}).status_code == 404
    # a goes back to the server's model: a new version again
    back = a.post("/api/model", json={"train_id": None}).json()
    assert back["version"] != mine["version"]
    assert a.get("/api/model").json()["model"] == before["model"]


def test_a_double_start_leaves_one_run_the_first_replaced(app, browsers):
    a, _ = browsers
    first = started(a, LONG)
    second = started(a, SMALL)
    assert second["replaced"] == first["id"] and first["replaced"] is None
    info = a.get(f"/api/train/{first['id']}").json()
    assert info["state"] == "stopped" and info["error"] == live.REPLACED
    wait(app, second["id"])
    states = {r["id"]: r["state"] for r in a.get("/api/train/runs").json()["runs"]}
    assert states == {first["id"]: "stopped", second["id"]: "done"}
    # a browser never has two runs waiting or training
    assert sum(r.is_active() for r in app.state.live_runs.runs.values()) == 0


def test_starts_from_one_browser_at_the_same_time_leave_one_active_run(app):
    """Two starts racing from one browser (a double click): one run goes on, the other is
    replaced, whichever came second."""
    import concurrent.futures
    with TestClient(app) as a:
        a.get("/api/model")  # the cookie first, as the page has it
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: a.post("/api/train", json=LONG).json(), range(2)))
        runs = app.state.live_runs.runs
        assert sum(runs[x["id"]].is_active() for x in answers) == 1
        assert {x["replaced"] for x in answers} - {None} <= {x["id"] for x in answers}
        for answer in answers:
            a.post(f"/api/train/{answer['id']}/stop")


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/train/{id}"), ("GET", "/api/train/{id}/events"),
    ("POST", "/api/train/{id}/pause"), ("POST", "/api/train/{id}/resume"),
    ("POST", "/api/train/{id}/step"), ("POST", "/api/train/{id}/stop"),
    ("GET", "/api/train/{id}/model.npz"),
])
def test_another_browser_s_run_is_404_as_an_unknown_one(app, browsers, method, path):
    a, b = browsers
    run_id = started(a, LONG)["id"]
    try:
        theirs = b.request(method, path.format(id=run_id))
        unknown = b.request(method, path.format(id="0000beef"))
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["error"] == unknown.json()["error"].replace("0000beef", run_id)
        assert theirs.json()["error"].startswith("no such run")
        speed = b.post(f"/api/train/{run_id}/speed", json={"steps_per_second": 1})
        assert speed.status_code == 404
        assert run_id not in str(b.get("/api/train/runs").json())
        assert a.get(f"/api/train/{run_id}").json()["state"] in live.ACTIVE  # untouched
    finally:
        a.post(f"/api/train/{run_id}/stop")


def test_runs_are_labelled_by_what_they_are(app, browsers):
    a, _ = browsers
    default = started(a, {"preset": "tutorial"})
    assert default["label"] == "tutorial"
    changed = started(a, {"preset": "tutorial", "learning_rate": 0.5,
                          "layer_sizes": [64, 100, 10], "iterations": 5})
    assert changed["label"] == "tutorial, hidden layers 100, learning rate 0.5, iterations 5"
    wait(app, changed["id"])
    listed = a.get("/api/train/runs").json()["runs"]
    assert [r["label"] for r in listed] == [changed["label"], "tutorial"]  # newest first
    assert listed[0]["state"] == "done" and listed[0]["has_model"] and not listed[0]["in_use"]
    a.post("/api/model", json={"train_id": changed["id"]})
    assert a.get("/api/train/runs").json()["runs"][0]["in_use"] is True


def test_the_session_table_is_bounded_and_a_full_one_answers_429(served_model, tmp_path):
    app = create_app(model=served_model, runs_dir=str(tmp_path))
    table = app.state.live_runs.sessions
    table.max_sessions = 2
    with TestClient(app) as a:
        b = TestClient(app)
        c = TestClient(app)
        a_run = started(a, LONG)["id"]
        b_run = started(b, LONG)["id"]
        try:
            refused = c.get("/api/model")  # two browsers, each with a run going: no room
            assert refused.status_code == 429 and "set-cookie" not in refused.headers
            assert "try again" in refused.json()["error"]
            a.post(f"/api/train/{a_run}/stop")
            assert c.get("/api/model").status_code == 200  # a's place, its run ended
            assert a.get(f"/api/train/{a_run}").status_code == 404  # a is a new browser now
            assert b.get(f"/api/train/{b_run}").status_code == 200
        finally:
            b.post(f"/api/train/{b_run}/stop")


def test_a_dropped_session_s_runs_stop():
    runs = registry.LiveRuns(None, max_sessions=1)
    first = runs.sessions.new()
    run, _ = runs.start(first, LONG)
    runs.sessions.max_sessions = 1
    first.runs[run.id].stop()  # ended: the session may go
    runs.sessions.new()
    assert first.id not in runs.sessions.table and run.id not in runs.runs


def test_an_empty_session_goes_before_one_with_runs():
    table = sessions.Sessions(max_sessions=2)
    kept = table.new()
    kept.use_model(object(), "abc")  # a browser that chose a network
    table.new()  # a browser that only looked
    table.new()
    assert kept.id in table.table and len(table) == 2


def test_the_default_request_gives_the_cli_s_final_cost(app):
    """The page's default request, {"preset": "tutorial"}, is `neuralpath train --preset
    tutorial --seed 0` (learning rate 0.25, 3000 full-batch steps) through the pipeline."""
    _, _, cli = train_preset("tutorial", seed=0)
    with TestClient(app) as a:
        answer = started(a, {"preset": "tutorial"})
        assert answer["total"] == 3000
        run = wait(app, answer["id"])
        info = a.get(f"/api/train/{answer['id']}").json()
    assert info["state"] == "done" and info["settings"]["learning_rate"] == 0.25
    assert abs(info["final_cost"] - cli["final_cost"]) <= 1e-9
    assert info["test_accuracy"] == pytest.approx(cli["test_accuracy"], abs=1e-12)
    assert np.isclose(run.model.metadata["test_accuracy"], cli["test_accuracy"])
