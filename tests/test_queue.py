"""The line of live runs (web/queue.py, web/registry.py): places, first come first served, a
paused or pacing run gives its slot back, bounds answered with plain 429s, runs waiting that
nobody reads are dropped, the page's run folders capped (web/folders.py)."""
import json
import os
import threading
import time
import warnings

import pytest

from neuralpath.web import folders, registry
from neuralpath.web.api import ApiError
from neuralpath.web.app import create_app
from neuralpath.web.queue import Line, wait_estimate

with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns when it finds httpx
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

SMALL = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 60, "seed": 1}
LONG = {"preset": "tutorial", "layer_sizes": [64, 12, 10], "iterations": 20_000, "seed": 1}


def until(condition, seconds=60.0):
    """Wait for ``condition()`` (the workers are threads); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def start(runs, body):
    """A run of a new browser."""
    run, _ = runs.start(runs.sessions.new(), body)
    return run


# ---- the line itself ----------------------------------------------------------------------

def test_the_line_serves_by_first_arrival_not_by_who_waits_first():
    line = Line(1, poll=0.01)
    first, second, third = line.ticket(), line.ticket(), line.ticket()
    assert line.try_take("a", first)
    got = []
    waiters = [threading.Thread(target=lambda k=k, t=t: got.append(
        (k, line.wait_turn(k, t, lambda: False)))) for k, t in (("c", third), ("b", second))]
    for w in waiters:  # c starts waiting before b, but b came first
        w.start()
    until(lambda: line.n_waiting() == 2)
    assert line.place("b") == 1 and line.place("c") == 2 and line.place("a") is None
    assert not line.try_take("d", line.ticket())  # full
    line.release("a")
    until(lambda: len(got) == 1)
    assert got == [("b", True)] and line.place("c") == 1
    line.release("b")
    until(lambda: len(got) == 2)
    assert got[1] == ("c", True)
    for w in waiters:
        w.join(5)


def test_a_run_that_gives_up_leaves_the_line():
    line = Line(1, poll=0.01)
    assert line.try_take("a", line.ticket())
    stop = threading.Event()
    answer = []
    waiter = threading.Thread(target=lambda: answer.append(
        line.wait_turn("b", line.ticket(), stop.is_set)))
    waiter.start()
    until(lambda: line.place("b") == 1)
    stop.set()
    line.wake()
    waiter.join(5)
    assert answer == [False] and line.n_waiting() == 0


def test_wait_estimate_fills_the_first_free_slot():
    # slots free after 3 s and 1 s; two runs of 2 s ahead: 1 -> 3, then min(3, 3) = 3
    assert wait_estimate(2, [3.0, 1.0], [2.0, 2.0]) == 3.0
    assert wait_estimate(2, [], []) == 0.0
    assert wait_estimate(1, [4.0], []) == 4.0


def test_slots_must_be_positive():
    with pytest.raises(ValueError, match="slots"):
        Line(0)


# ---- live runs in line --------------------------------------------------------------------

def test_places_and_fairness_with_pauses():
    runs = registry.LiveRuns(None, slots=1, max_waiting=3)
    a = start(runs, LONG)
    until(lambda: a.state == "running")
    b = start(runs, LONG)
    c = start(runs, LONG)
    until(lambda: b.state == c.state == "queued")
    assert [x.describe()["place"] for x in (a, b, c)] == [None, 1, 2]
    a.pause()  # a paused run computes nothing: its slot goes to the first in line
    assert a.state == "paused"
    until(lambda: b.state == "running")
    assert c.describe()["place"] == 1
    a.resume()  # a waits again, ahead of c (it came first)
    until(lambda: a.state == "queued")
    assert a.describe()["place"] == 1 and c.describe()["place"] == 2
    b.stop()
    until(lambda: a.state == "running")
    assert c.state == "queued" and c.describe()["place"] == 1
    for run in (c, a):
        run.stop()
    assert c.state == "stopped" and c.iteration == 0 and c.model is None


def test_a_pacing_run_leaves_its_slot_to_others():
    runs = registry.LiveRuns(None, slots=1)
    slow = start(runs, LONG)
    until(lambda: slow.state == "running")
    slow.set_pace(2.0)  # 2 steps a second: it waits between steps without its slot
    quick = start(runs, SMALL)
    quick.thread.join(60)
    assert quick.state == "done" and quick.iteration == 60
    assert slow.state == "running" and slow.iteration < 20_000
    slow.set_pace(None)
    slow.stop()


def test_the_wait_is_estimated_once_a_run_has_a_pace():
    runs = registry.LiveRuns(None, slots=1)
    a = start(runs, LONG)
    b = start(runs, SMALL)
    until(lambda: a.rate > 0)  # measured after the first measurement
    info = b.describe()
    assert info["state"] == "queued" and info["place"] == 1
    assert info["wait_seconds"] is not None and info["wait_seconds"] > 0
    a.stop()
    b.thread.join(60)
    assert runs.seconds_per_work is not None  # learned from b's run


def test_a_full_line_is_a_plain_429():
    runs = registry.LiveRuns(None, slots=1, max_waiting=1)
    a = start(runs, LONG)
    b = start(runs, LONG)
    until(lambda: a.state == "running" and b.state == "queued")
    with pytest.raises(ApiError) as caught:
        start(runs, SMALL)
    assert caught.value.status == 429
    assert caught.value.message.startswith("1 runs are waiting for their turn, the most")
    for run in (b, a):
        run.stop()


def test_a_waiting_run_nobody_reads_is_dropped():
    now = [0.0]
    runs = registry.LiveRuns(None, slots=1, idle_seconds=30, clock=lambda: now[0])
    a = start(runs, LONG)
    until(lambda: a.state == "running")
    b = start(runs, LONG)
    until(lambda: b.state == "queued")
    now[0] += 31
    a.touch()
    b.thread.join(30)
    assert b.state == "stopped" and "nobody watched" in b.error and b.iteration == 0
    assert a.state == "running"
    a.stop()


def test_finished_runs_kept_in_all_are_bounded():
    runs = registry.LiveRuns(None, max_kept_total=2)
    ids, owners = [], []
    for seed in range(3):
        session = runs.sessions.new()
        run, _ = runs.start(session, dict(SMALL, iterations=5, seed=seed))
        run.thread.join(60)
        ids.append(run.id)
        owners.append(session)
    start(runs, dict(SMALL, iterations=5)).thread.join(60)
    assert ids[0] not in runs.runs and ids[1] in runs.runs
    with pytest.raises(ApiError) as caught:
        runs.get(owners[0], ids[0])
    assert caught.value.status == 404 and "keeps 2 finished runs in all" in caught.value.message


def test_the_page_s_speed_control_checks_its_bounds(tmp_path):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", iterations=5)
    app = create_app(model=model, runs_dir=str(tmp_path))
    with TestClient(app) as client:
        run_id = client.post("/api/train", json=LONG).json()["id"]
        try:
            for bad in (0, -1, 1e9, "fast", True, [1]):
                response = client.post(f"/api/train/{run_id}/speed",
                                       json={"steps_per_second": bad})
                assert response.status_code == 422, response.text
                answer = response.json()
                assert answer["field"] == "steps_per_second"
                assert answer["error"].startswith("Speed must be more than 0 and at most 1000")
            assert client.post(f"/api/train/{run_id}/speed", json={}).status_code == 422
            paced = client.post(f"/api/train/{run_id}/speed", json={"steps_per_second": 5})
            assert paced.status_code == 200 and paced.json()["steps_per_second"] == 5
            free = client.post(f"/api/train/{run_id}/speed", json={"steps_per_second": None})
            assert free.json()["steps_per_second"] is None
        finally:
            client.post(f"/api/train/{run_id}/stop")


# ---- the page's run folders ---------------------------------------------------------------

def test_only_the_page_s_oldest_folders_are_deleted(tmp_path):
    p1, p2, p3, p4 = (f"20261202-08000{i}-000000" for i in range(1, 5))
    cli = "20261202-070000-000000"
    for name in (cli, p1, p2, p3, p4):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.npz").write_bytes(b"x")
    os.symlink(p2, tmp_path / "latest")
    page = folders.PageFolders(str(tmp_path), max_folders=2)
    removed = []
    for name in (p1, p2, p3, p4):
        removed += page.record(str(tmp_path / name))
    # p1 went first; p2 is where latest points, so p3 went instead; never the CLI's
    assert sorted(os.path.basename(p) for p in removed) == [p1, p3]
    assert sorted(os.listdir(tmp_path)) == sorted([cli, p2, p4, "latest", folders.LEDGER])
    assert page.names() == [p2, p4]


def test_a_ledger_edited_by_hand_cannot_delete_other_folders(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    runs = tmp_path / "runs"
    runs.mkdir()
    mine = runs / "20261202-080000-000000"
    mine.mkdir()
    (runs / ".hidden").mkdir()
    (runs / "cli").mkdir()
    (runs / folders.LEDGER).write_text(json.dumps(
        ["../outside", str(outside), "latest", ".hidden", ".", "", "cli", 3, None]))
    page = folders.PageFolders(str(runs), max_folders=0)
    page.record(str(mine))
    assert outside.exists() and (runs / ".hidden").exists() and (runs / "cli").exists()
    assert mine.exists()  # the newest is never deleted, whatever the cap
    (runs / folders.LEDGER).write_text("not json")
    assert page.names() == []


def test_live_runs_cap_their_folders_and_a_removed_one_is_a_plain_404(tmp_path):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", iterations=5)
    runs_dir = tmp_path / "runs"
    (runs_dir / "20000101-000000-000000").mkdir(parents=True)  # a CLI run's folder
    app = create_app(model=model, runs_dir=str(runs_dir))
    app.state.live_runs.folders.max_folders = 2
    with TestClient(app) as client:
        ids = []
        for seed in range(3):
            ids.append(client.post("/api/train", json=dict(SMALL, seed=seed)).json()["id"])
            app.state.live_runs.runs[ids[-1]].thread.join(60)
        first = client.get(f"/api/train/{ids[0]}/model.npz")
        assert first.status_code == 404 and "folder was removed" in first.json()["error"]
        assert client.get(f"/api/train/{ids[2]}/model.npz").status_code == 200
    kept = sorted(n for n in os.listdir(runs_dir) if not n.startswith(".") and n != "latest")
    assert len(kept) == 3 and "20000101-000000-000000" in kept


# ---- what a run says about itself ---------------------------------------------------------

def test_a_run_that_diverges_because_of_its_l2_says_so():
    runs = registry.LiveRuns(None)
    run = start(runs, {"preset": "tutorial", "l2": 1e9, "iterations": 50})
    run.thread.join(60)
    assert run.state == "failed"
    assert run.error.startswith("training diverged: L2 λ 1e+09 is too large for learning "
                                "rate 0.25"), run.error
    assert "try an L2 below 8" in run.error and "smaller learning rate" not in run.error


def test_a_waiting_run_streams_its_place_as_it_changes(tmp_path):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", iterations=5)
    app = create_app(model=model, runs_dir=str(tmp_path))
    app.state.live_runs.line.slots = 1
    with TestClient(app) as first:
        second = TestClient(app)
        ahead = first.post("/api/train", json=LONG).json()
        waiting = second.post("/api/train", json=SMALL).json()
        assert ahead["place"] is None and waiting["state"] == "queued"
        assert waiting["place"] == 1 and waiting["label"].startswith("tutorial, hidden layers")
        threading.Timer(0.5, lambda: first.post(f"/api/train/{ahead['id']}/stop")).start()
        updates = []
        with second.stream("GET", f"/api/train/{waiting['id']}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: {\"") and '"state"' in line:
                    updates.append(json.loads(line[len("data: "):]))
    states = [u["state"] for u in updates]
    assert states[0] == "queued" and updates[0]["place"] == 1
    assert updates[0]["label"] == waiting["label"] and "wait_seconds" in updates[0]
    assert states[-1] == "done"
    assert all((u["place"] == 1) == (u["state"] == "queued") for u in updates)
    assert states.index("done") > max(i for i, x in enumerate(states) if x == "queued")
