"""POST /api/train/{id}/predict: the training page's pad answered by a run's network as it is
now, with the body and answer of POST /api/predict, for the run's own browser only."""
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

SMALL = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 150, "seed": 1}
LONG = {"preset": "tutorial", "layer_sizes": [64, 12, 7, 10], "iterations": 20_000, "seed": 1}
PIXELS = {"pixels": [0, 0, 5, 13, 9, 1, 0, 0] * 8}


@pytest.fixture(scope="module")
def served_model():
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", iterations=5, layer_sizes=[64, 5, 10])
    return model




def expected(model, pixels):
    """What the model answers for raw pixels: probabilities and hidden layers."""
    X = np.asarray(pixels, dtype=np.float64)[None, :]
    return model.predict_proba(X)[0], [h[0] for h in model.hidden(X)]


def error_of(response, status):
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}, response.json()
    return response.json()["error"]


def test_a_finished_run_answers_as_the_draw_view_with_its_network(client, app):
    run_id = client.post("/api/train", json=SMALL).json()["id"]
    run = app.state.live_runs.runs[run_id]
    run.thread.join(60)
    answer = client.post(f"/api/train/{run_id}/predict", json=PIXELS)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert answer.headers["cache-control"] == "no-store"
    assert got["iteration"] == 150
    proba, hidden = expected(run.model, PIXELS["pixels"])
    np.testing.assert_allclose(got["probabilities"], proba, rtol=0, atol=1e-12)
    assert [len(h) for h in got["hidden"]] == [12]
    np.testing.assert_allclose(got["hidden"][0], hidden[0], rtol=0, atol=1e-12)
    # the draw view's answer with the same network: the same keys and numbers
    client.post("/api/model", json={"train_id": run_id})
    drawn = client.post("/api/predict", json=PIXELS).json()
    assert set(got) - {"iteration"} == set(drawn) - {"version"}
    assert got["probabilities"] == drawn["probabilities"] and got["digit"] == drawn["digit"]
    # a picture, as the page sends its canvas, is read the same way
    blank = client.post(f"/api/train/{run_id}/predict", json={"image": "data:,"})
    assert blank.status_code == 422


def test_while_it_trains_the_answer_is_the_network_of_that_update(client, app):
    """Paused: the network of the paused update, exactly; a step later, the next one's."""
    run_id = client.post("/api/train", json=LONG).json()["id"]
    run = app.state.live_runs.runs[run_id]
    paused = client.post(f"/api/train/{run_id}/pause").json()
    assert paused["state"] == "paused"
    got = client.post(f"/api/train/{run_id}/predict", json=PIXELS).json()
    assert got["iteration"] == paused["iteration"] > 0
    proba, hidden = expected(run._model, PIXELS["pixels"])  # it waits: nothing changes it
    np.testing.assert_allclose(got["probabilities"], proba, rtol=0, atol=1e-12)
    assert [len(h) for h in got["hidden"]] == [12, 7]  # every hidden layer
    for shown, h in zip(got["hidden"], hidden):
        np.testing.assert_allclose(shown, h, rtol=0, atol=1e-12)
    stepped = client.post(f"/api/train/{run_id}/step").json()
    after = client.post(f"/api/train/{run_id}/predict", json=PIXELS).json()
    assert after["iteration"] == stepped["iteration"] == paused["iteration"] + 1
    assert after["probabilities"] != got["probabilities"]  # one update later
    # running: each answer comes from a copy taken between two updates, later and later
    client.post(f"/api/train/{run_id}/resume")
    seen = []
    for _ in range(5):
        answer = client.post(f"/api/train/{run_id}/predict", json=PIXELS)
        assert answer.status_code == 200, answer.text
        got = answer.json()
        assert len(got["probabilities"]) == 10
        assert all(0 <= p <= 1 for p in got["probabilities"])
        assert [len(h) for h in got["hidden"]] == [12, 7]
        seen.append(got["iteration"])
    assert seen == sorted(seen) and seen[-1] > after["iteration"]
    client.post(f"/api/train/{run_id}/stop")
    stopped = client.post(f"/api/train/{run_id}/predict", json=PIXELS).json()
    proba, _ = expected(run.model, PIXELS["pixels"])  # the weights it stopped with
    np.testing.assert_allclose(stopped["probabilities"], proba, rtol=0, atol=1e-12)


def test_a_run_without_a_network_yet_says_so(client, app):
    line = app.state.live_runs.line
    blockers = [f"blocker{i}" for i in range(line.slots)]
    for key in blockers:  # every computing slot taken: the run waits in line
        assert line.try_take(key, line.ticket())
    try:
        run_id = client.post("/api/train", json=SMALL).json()["id"]
        words = error_of(client.post(f"/api/train/{run_id}/predict", json=PIXELS), 409)
        assert words == "this run has no network yet (it is queued)"
    finally:
        for key in blockers:
            line.release(key)
    app.state.live_runs.runs[run_id].thread.join(60)
    assert client.post(f"/api/train/{run_id}/predict", json=PIXELS).status_code == 200


def test_another_browsers_run_is_not_there(client, app, served_model):
    run_id = client.post("/api/train", json=SMALL).json()["id"]
    with TestClient(app) as other:  # a browser of its own: another session cookie
        assert "no such run" in error_of(other.post(f"/api/train/{run_id}/predict",
                                                    json=PIXELS), 404)
    assert "no such run" in error_of(client.post("/api/train/nosuchrun/predict",
                                                 json=PIXELS), 404)
    app.state.live_runs.runs[run_id].thread.join(60)


def test_the_body_is_checked_as_the_draw_views(client, app):
    run_id = client.post("/api/train", json=SMALL).json()["id"]
    app.state.live_runs.runs[run_id].thread.join(60)
    url = f"/api/train/{run_id}/predict"
    assert client.post(url, json={"pixels": [1] * 63}).status_code == 422
    assert client.post(url, json={"pixels": [1] * 64, "image": "x"}).status_code == 422
    assert client.post(url, content=b"[", headers={"Content-Type": "application/json"}
                       ).status_code in (400, 422)
    # a drawn canvas is larger than a settings body: this path takes a picture's size
    big = {"image": "data:image/png;base64," + "A" * 100_000}
    refused = client.post(url, json=big)  # read (not 413), then refused as no picture
    assert refused.status_code == 415 and "picture" in refused.json()["error"], refused.text
    assert client.post("/api/train", json={"preset": "A" * 100_000}).status_code == 413
