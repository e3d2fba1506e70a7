"""Live training for the page: runs trained in background threads, watched while they learn.

A live run is the ``neuralpath train`` of a preset and a JSON object of settings, on the
pipeline's road: the same ``TrainConfig`` (``presets.resolve``, read in the page's words by
``web/settings.py``), data (``pipeline.prepare``), network (``pipeline.build``) and loop
(``pipeline.fit``), and it ends as every run does (``pipeline.finish_run``: the same metrics
and run folder), so it gives the same numbers for the same settings and seed. Its folder
leaves ``runs/latest`` alone: that stays the model a restarted ``serve`` answers the class
with, never the last learner's run. This module holds one run (``LiveRun``: its worker
thread and what it has learned); ``web/registry.py`` holds the runs of every browser
(sessions, bounds), ``web/queue.py`` the line they wait in, ``web/measure.py`` what they
show of their network and ``web/live_routes.py`` their routes.

A run waits in line (``queued``) for a computing slot, prepares its data (``preparing``),
then trains (``running``) in its worker thread; ``training.train`` calls the run back after
every update, and that callback is all the page costs the training: it stores the cost, and at
most every ``min_interval`` seconds (and never more than about 3% of the time spent) measures
the network and keeps the result under a lock. The event stream only reads that copy, at most
ten times a second, whatever the training's pace. Pausing, stepping and pacing happen between
two updates, without the slot (a paused or pacing run uses no CPU): the callback waits on a
condition until it is told to go on (resume), to do one more update (step) or to stop
(``training.StopTraining``: the weights reached are kept, and saved as any run), and takes a
slot again (in line, by its first arrival) before it goes on.

API (all JSON; errors are ``{"error": message}``, a refused setting adds ``"field"``)
-------------------------------------------------------------------------------------
Every request belongs to a browser session (the ``neuralpath_session`` cookie,
``web/sessions.py``); a browser sees and controls only its own runs: another's run id answers
404 exactly as an unknown one.

``GET /api/train/options``
    The presets' settings, each setting's page label (``labels``), help text, choices, range
    (``ranges``), this server's bounds, and the training rows of each data set
    (``train_rows``) and preset (``preset_rows``) with the counts behind them (``rows``),
    from which the page counts a run's optimizer steps before sending it (``web/rows.py``).
``POST /api/train``
    ``{"preset": name, ...any TrainConfig setting}`` -> 202 ``{id, state, total, label,
    place, wait_seconds, replaced}``. Settings left out take the preset's values; null only
    where a setting may be left empty (``batch_size`` null: the full batch); a refused one
    answers 422 ``{"error": "Learning rate must be ...", "field": "learning_rate"}``, and so
    do epochs that would make more than ``MAX_ITERATIONS`` steps (``"field": "epochs"``). The
    browser's previous run, if still waiting or training, is stopped ("replaced by a new
    run"); ``replaced`` is its id (else null). 429 when the line is full.
``GET /api/train/runs``
    ``{"runs": [{id, label, state, iteration, total, cost, train_accuracy, test_accuracy,
    has_model, in_use}]}``: this browser's runs, newest first.
``GET /api/train/{id}``
    ``{id, label, state: queued|preparing|running|paused|done|stopped|failed, place,
    wait_seconds, steps_per_second, iteration, epoch, total, cost: [...], accuracy,
    measured: {..., weights, weight_changes}, train_accuracy, test_accuracy, settings, preset,
    error, ...}``; ``place`` (1-based, while queued) and ``wait_seconds`` (an estimate, null
    if unknown).
``GET /api/train/{id}/events``
    ``text/event-stream``: ``update`` events (at most ``1 / EVENT_INTERVAL`` a second) with
    the state, place and wait, the new costs since the last event and the latest
    measurements, then one ``end`` event.
``POST /api/train/{id}/pause | resume | step | stop``
    Change the run's state; each answers the run's state once the worker has obeyed.
``POST /api/train/{id}/speed`` ``{"steps_per_second": number or null}``
    Pace the run (null: as fast as it goes), so a short run can be watched.
``POST /api/train/{id}/predict`` (the body of ``POST /api/predict``)
    The answer of ``POST /api/predict`` (digit or null with its reason, probabilities, every
    hidden layer's outputs, the input seen) from the run's network as it is now, plus
    ``iteration``: the update it has made. While the run trains, its weights are copied
    between two updates (``LiveRun.network``); a finished run answers with its final
    network; 409 while it has none yet (waiting in line, preparing).
``GET /api/train/{id}/model.npz``
    The finished run's model file (its run folder is a CLI run's).
``GET /api/model``, ``POST /api/predict``
    Answer with this browser's draw network (``"version"`` changes whenever it changes).
``POST /api/model`` ``{"train_id": id}`` (null, or ``DELETE /api/model``: the server's)
    This browser's draw view answers with that run's network from now on; others keep theirs.

Bounds (settings refused with 422; full line, too many browsers: 429)
---------------------------------------------------------------------
``MAX_LAYER`` nodes in any layer; ``MAX_ITERATIONS`` optimizer steps (epochs count as the
steps they make, from the training rows known before the data is read: ``web/rows.py``, whose
counts ``GET /api/train/options`` gives as ``rows``); ``MAX_WEIGHT_BYTES``
of weights and biases (``web/settings.py``); ``MAX_RUNNING`` runs computing at once (the
cores), ``MAX_WAITING`` runs in line, ``MAX_KEPT`` finished runs per browser and
``MAX_KEPT_TOTAL`` in all (the oldest finished are dropped, and answer 404 saying so;
``web/registry.py``); ``MAX_FOLDERS`` run folders written by the page on disk
(``web/folders.py``); ``MAX_SESSIONS`` browsers (``web/sessions.py``). A run (waiting too)
is stopped when nobody has read it (event stream or GET) for ``IDLE_SECONDS`` or when it has
trained for ``MAX_SECONDS`` (pauses included), so closing the page never leaves a run going.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import pipeline
from ..config import TrainConfig
from ..errors import TrainingDiverged
from ..model import TrainedModel
from ..runs import new_run_dir
from ..training import History, StopTraining
from .api import ApiError, one_line
from .measure import Measurement, snapshot
from .rows import check_steps
from .settings import diverged_message

if TYPE_CHECKING:
    from .registry import LiveRuns

IDLE_SECONDS = 30.0  # a run nobody reads for this long is stopped
MAX_SECONDS = 600.0  # the longest a run may train, pauses included
EVENT_INTERVAL = 0.1  # seconds between two events of a stream: at most 10 a second
WAIT_SECONDS = 10.0  # how long a control request waits for the worker to obey
MAX_PACE = 1000.0  # steps a second a pace may ask for (more: as fast as it goes)

STATES = ("queued", "preparing", "running", "paused", "done", "stopped", "failed")
ACTIVE = ("queued", "preparing", "running", "paused")
REPLACED = "replaced by a new run"


class LiveRun:
    """One live training run: its settings, its worker thread and what it has learned so far.

    The worker writes, request handlers read; every shared field changes under ``lock`` (a
    condition, so the worker can wait on it while paused or pacing). ``owner`` (the
    ``LiveRuns``) gives the line of computing slots and hears when the run ends.
    """

    def __init__(self, run_id: str, session_id: str, preset: str, cfg: TrainConfig,
                 label: str, owner: LiveRuns, *, idle_seconds: float = IDLE_SECONDS,
                 max_seconds: float = MAX_SECONDS, min_interval: float = EVENT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.id, self.session_id, self.preset, self.cfg = run_id, session_id, preset, cfg
        self.label, self.owner, self.runs_dir = label, owner, owner.runs_dir
        self.line, self.ticket = owner.line, owner.line.ticket()
        self.lock = threading.Condition(threading.Lock())
        self.clock, self.idle_seconds, self.max_seconds = clock, idle_seconds, max_seconds
        self.min_interval = min_interval
        self.state = "queued"
        self.error: str | None = None
        self.stop_reason: str | None = None
        self.paused, self.steps, self.held = False, 0, False
        self.pace: float | None = None  # steps a second; None: as fast as it goes
        self.iteration, self.epoch = 0, 0
        self.total = cfg.iterations or 0  # epochs: known once the data is read
        self.rows = 0  # training rows, known once the data is read
        self.cost: list[float] = []
        self.accuracy: list[list[float]] = []  # [iteration, train, test] per measurement
        self.measured: dict[str, Any] = {}  # the latest measurement, ready for JSON
        self.version = 0  # bumped by every change a reader should see
        self.rate = 0.0  # iterations per second while running
        self.measure_seconds = 0.0  # time the worker spent measuring for the page
        self.slot_seconds = 0.0  # time it held a computing slot
        self.model: TrainedModel | None = None  # the finished run's
        self.model_path: str | None = None
        self._model: TrainedModel | None = None  # the one training, from build to the end
        self.updating = False  # the worker is inside an update: _model is not to be read
        self.copies_wanted = 0  # requests waiting for a copy of _model between two updates
        self._copy: tuple[TrainedModel, int] | None = None  # the last one made, its iteration
        self._copies = 0  # copies made by the worker
        self.final: dict[str, Any] = {}
        self.created = self.last_seen = clock()
        self.started: float | None = None  # when it first took a slot
        self._slot_since: float | None = None
        self._measure: Measurement | None = None
        self._parts: dict[str, Any] = {}
        self._next_measure = 0.0
        self._next_step = 0.0
        self._rate_mark = (time.perf_counter(), 0)
        self.thread = threading.Thread(target=self._work, name=f"neuralpath-live-{run_id}",
                                       daemon=True)

    def is_active(self) -> bool:
        """Waiting, preparing, training or paused: not ended."""
        return self.state in ACTIVE

    # -- the worker ---------------------------------------------------------------------

    def _work(self) -> None:
        """Thread body: wait in line, prepare, ``pipeline.fit`` with this run as the callback,
        then ``_finish``; the slot is given back however it ends."""
        try:
            if not self._take_slot():
                self._end("stopped", self.stop_reason)
                return
            self._set_state("preparing")
            try:
                parts = pipeline.prepare(self.cfg)
                total = check_steps(self.cfg, parts["X_train"].shape[0])
                built = pipeline.build(self.cfg, parts, self.preset)
            except (ValueError, OSError) as exc:  # e.g. MNIST files missing, too many epochs
                self._end("failed", one_line(str(exc)))
                return
            with self.lock:
                self.total, self._parts = total, parts
                self.rows = int(parts["X_train"].shape[0])
                self._measure = Measurement(built, parts)
                self._model = built
            if self.stop_reason is not None:  # stopped while it prepared: nothing learned
                self._end("stopped", self.stop_reason)
                return
            self._train(built, parts)
        finally:
            self._give_slot()
            self.owner.ended(self)

    def _train(self, built: TrainedModel, parts: dict[str, Any]) -> None:
        self._set_state("running")
        try:
            history = pipeline.fit(built, parts, callbacks=[self], handle_interrupt=False)
        except TrainingDiverged as exc:
            self._end("failed", diverged_message(self.cfg, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - shown on the page, never raised to a client
            self._end("failed", one_line(f"training failed: {type(exc).__name__}: {exc}"))
            return
        finally:
            with self.lock:  # no update any more: the network may be read as it is
                self.updating = False
                self.lock.notify_all()
        self._measure_now(force=True)
        self._finish(built, history, parts)

    def _finish(self, model: TrainedModel, history: History, parts: dict[str, Any]) -> None:
        """End as every run does (``pipeline.finish_run``: metrics, run folder); a run
        stopped before its first update has nothing to keep."""
        final: dict[str, Any] = {}
        path = error = None
        model.metadata["live_run"] = self.id
        if history.iterations:
            run_dir = None if self.runs_dir is None else new_run_dir(self.runs_dir)
            # runs/latest stays the command line's: a restarted serve answers with it, not
            # with the last learner's run
            metrics = pipeline.finish_run(model, history, parts, run_dir,
                                          f"{self.label}, seed {self.cfg.seed} (live run "
                                          f"{self.id})", move_latest=False)
            final = {k: metrics[k] for k in ("test_accuracy", "train_accuracy", "final_cost",
                                             "train_seconds")}
            if "paths" in metrics:
                path = metrics["paths"]["model"]
                self.owner.saved(os.path.dirname(path))
            elif "save_error" in metrics:
                error = f"the run could not be saved: {metrics['save_error']}"
        with self.lock:
            self.model = model if history.iterations else None
            self.model_path, self.final = path, final
            self.epoch = history.epochs
        self._end("stopped" if self.stop_reason else "done", self.stop_reason or error)

    def _end(self, state: str, error: str | None) -> None:
        with self.lock:
            self.state, self.error, self.held = state, error, False
            self._parts = {}  # the data is not needed any more
            self._measure = None
            self._model = self._copy = None  # self.model, if any, is the run's network now
            self.version += 1
            self.lock.notify_all()

    def _set_state(self, state: str) -> None:
        with self.lock:
            self.state = state
            self.version += 1
            self.lock.notify_all()

    # -- the computing slot -------------------------------------------------------------

    def _take_slot(self, back_off: Callable[[], bool] = lambda: False) -> bool:
        """Take a computing slot, waiting in line (state ``queued``) if none is free; False
        if the run was stopped, or ``back_off()`` (paused again) said so, meanwhile."""
        def give_up() -> bool:
            self._check_limits()
            return self.stop_reason is not None or back_off()
        if not self.line.try_take(self.id, self.ticket):
            state = self.state
            self._set_state("queued")
            if not self.line.wait_turn(self.id, self.ticket, give_up):
                return False
            self._set_state("preparing" if state == "queued" else "running")
        now = self.clock()
        with self.lock:
            if self.started is None:
                self.started = now
            self._slot_since = time.perf_counter()
        return True

    def _give_slot(self) -> None:
        with self.lock:
            if self._slot_since is not None:
                self.slot_seconds += time.perf_counter() - self._slot_since
                self._slot_since = None
        self.line.release(self.id)

    # -- training.train's callbacks (called from the worker thread) ---------------------

    def on_train_begin(self, total: int) -> None:
        """Training starts: ``total`` optimizer steps at most; the first update begins."""
        with self.lock:
            self.total = int(total)
            self.updating = True

    def on_iteration(self, iteration: int, cost: float) -> None:
        """After update ``iteration``: keep J, measure now and then, obey pause/step/stop
        and the pace. Between this call and its end the network is not updated, so requests
        may read it (``network``); it ends by copying the network for those that waited."""
        with self.lock:
            self.cost.append(float(cost))
            self.iteration = int(iteration)
            self.updating = False
            self.lock.notify_all()
        if time.perf_counter() >= self._next_measure:
            self._measure_now()
            self._check_limits()
        if self.paused or self.stop_reason is not None:
            self._hold()
        elif self.pace is not None:
            self._keep_pace()
        with self.lock:  # the next update begins: copy the network for who asks meanwhile
            if self.copies_wanted and self._model is not None:
                self._copy = (snapshot(self._model), self.iteration)
                self._copies += 1
                self.lock.notify_all()
            self.updating = True

    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None:
        """An epoch ended (``epoch`` counts from 0)."""
        with self.lock:
            self.epoch = int(epoch) + 1

    def _hold(self) -> None:
        """Wait between two updates while paused, without the slot; return (holding a slot
        again) to do one more step or go on."""
        self._measure_now(force=True)  # the page shows the network where it waits
        self._give_slot()
        with self.lock:
            while True:
                if self.stop_reason is not None:
                    self.held = False
                    raise StopTraining
                if self.steps > 0 or not self.paused:
                    break
                if not self.held:
                    self.state, self.held = "paused", True
                    self.version += 1
                    self.lock.notify_all()
                self.lock.wait(0.5)
                self._check_limits(locked=True)
            self.held = False  # told to go on: it now takes a slot (and may wait for one)
        if not self._take_slot(back_off=lambda: self.paused and self.steps == 0):
            if self.stop_reason is not None:
                raise StopTraining
            return self._hold()  # paused again while it waited for a slot
        with self.lock:
            if self.steps > 0:
                self.steps -= 1
            else:
                self._rate_mark = (time.perf_counter(), self.iteration)
            self.state, self.held = "running", False
            self.version += 1
            self.lock.notify_all()

    def _keep_pace(self) -> None:
        """Wait, without the slot, until the next step is due at ``pace`` steps a second."""
        now = time.perf_counter()
        pace = self.pace
        if pace is None or self._next_step <= now:
            self._next_step = now + (1.0 / pace if pace else 0.0)
            return
        due = self._next_step
        self._give_slot()
        with self.lock:
            while (self.stop_reason is None and not self.paused and self.pace == pace
                   and (left := due - time.perf_counter()) > 0):
                self.lock.wait(min(left, 0.5))
                self._check_limits(locked=True)
        if self.stop_reason is not None:
            raise StopTraining
        if self.paused:
            return self._hold()
        if not self._take_slot(back_off=lambda: self.paused):
            if self.stop_reason is not None:
                raise StopTraining
            return self._hold()
        self._next_step = max(due, time.perf_counter() - 1.0) + (1.0 / pace)

    def _check_limits(self, locked: bool = False) -> None:
        """Ask the run to stop when nobody reads it or it has trained too long."""
        now = self.clock()
        reason: str | None = None
        if now - self.last_seen > self.idle_seconds:
            reason = (f"stopped: nobody watched this run for {self.idle_seconds:g} s "
                      "(the page was closed?)")
        elif self.started is not None and now - self.started > self.max_seconds:
            reason = f"stopped: a live run may last at most {self.max_seconds:g} s"
        if reason is not None and self.stop_reason is None:
            if locked:
                self.stop_reason = reason
            else:
                with self.lock:
                    self.stop_reason = reason

    def _measure_now(self, force: bool = False) -> None:
        """Measure the network (``web/measure.py``) and keep it for the page.

        Runs in the worker between two updates. The next measurement waits at least
        ``min_interval`` and 29 times what this one took, so measuring costs at most ~3%
        (``min_interval`` 0: measure after every update).
        """
        begin = time.perf_counter()
        if (not force and begin < self._next_measure) or self._measure is None:
            return
        measured = self._measure()
        now = time.perf_counter()
        with self.lock:
            mark_time, mark_iteration = self._rate_mark
            if not self.held and now > mark_time and self.iteration > mark_iteration:
                self.rate = (self.iteration - mark_iteration) / (now - mark_time)
            self._rate_mark = (now, self.iteration)
            measured["iteration"] = self.iteration
            self.measured = measured
            self.accuracy.append([self.iteration, measured["train_accuracy"],
                                  measured["test_accuracy"]])
            self.version += 1
            self.measure_seconds += now - begin
        if self.min_interval > 0:  # 0: after every update (tests use it)
            self._next_measure = now + max(self.min_interval, 29 * (now - begin))

    # -- what the requests see ----------------------------------------------------------

    def touch(self) -> None:
        """Someone is watching (a GET or an open event stream)."""
        self.last_seen = self.clock()

    def describe(self, full: bool = True) -> dict[str, Any]:
        """What GET /api/train/{id} answers (``full``: with every cost and measurement)."""
        with self.lock:
            info = self._header()
            if full:
                info.update(cost=list(self.cost), accuracy=list(self.accuracy),
                            measured=dict(self.measured))
        return info

    def summary(self, in_use: bool) -> dict[str, Any]:
        """This run in the browser's run list."""
        with self.lock:
            done = self.final or {}
            m = self.measured
            return dict(id=self.id, label=self.label, state=self.state,
                        iteration=self.iteration, total=self.total,
                        cost=done.get("final_cost", self.cost[-1] if self.cost else None),
                        train_accuracy=done.get("train_accuracy", m.get("train_accuracy")),
                        test_accuracy=done.get("test_accuracy", m.get("test_accuracy")),
                        has_model=self.model is not None, in_use=in_use, error=self.error)

    def _header(self) -> dict[str, Any]:
        m = self.measured
        done = self.final or {}
        place, wait = self.owner.line_info(self) if self.state == "queued" else (None, None)
        return dict(
            id=self.id, label=self.label, state=self.state, place=place,
            wait_seconds=wait, error=self.error, preset=self.preset,
            settings=self.cfg.to_dict(), iteration=self.iteration, epoch=self.epoch,
            total=self.total, iterations_per_second=round(self.rate, 1),
            steps_per_second=self.pace,
            train_accuracy=done.get("train_accuracy", m.get("train_accuracy")),
            test_accuracy=done.get("test_accuracy", m.get("test_accuracy")),
            final_cost=done.get("final_cost"), train_seconds=done.get("train_seconds"),
            measure_seconds=round(self.measure_seconds, 4),
            model_ready=self.model is not None,
            saved_as=self.saved_as())

    def saved_as(self) -> str | None:
        """The saved model file within the runs folder (``<timestamp>/model.npz``): the
        server's own folders are not told to clients."""
        if self.model_path is None or self.runs_dir is None:
            return None
        return os.path.relpath(self.model_path, self.runs_dir)

    def update_since(self, n_cost: int, mark: Any) -> tuple[dict[str, Any] | None, int, Any]:
        """An event's payload: the costs after the first ``n_cost`` and, if newer than
        ``mark``, the latest measurement and place in line; None when nothing changed.
        Returns (payload, n_cost, mark)."""
        with self.lock:
            place, wait = self.owner.line_info(self) if self.state == "queued" else (None,
                                                                                      None)
            now = (self.version, place, None if wait is None else round(wait))
            if len(self.cost) == n_cost and now == mark:
                return None, n_cost, mark
            payload = self._header()
            payload.update(cost_from=n_cost, cost=self.cost[n_cost:])
            if (mark is None or self.version != mark[0]) and self.measured:
                payload.update(measured=self.measured,
                               accuracy=self.accuracy[-1:] if self.accuracy else [])
            return payload, len(self.cost), now

    def network(self) -> tuple[TrainedModel, int] | None:
        """The run's network as it is now and the update it has made: the finished run's
        model, else a copy of the weights taken between two updates (at once while the run
        is paused, pacing or waiting for a slot; else the worker makes it at the end of the
        current update). None while it has no network (waiting in line, preparing its data,
        or ended without one)."""
        with self.lock:
            if self.updating and self._model is not None:
                made = self._copies
                self.copies_wanted += 1
                try:
                    self._wait(lambda: self._copies != made or not self.updating
                               or self._model is None)
                finally:
                    self.copies_wanted -= 1
                if self._copies != made and self._copy is not None:
                    return self._copy
                if self.updating and self._model is not None:
                    raise ApiError(503, "the run did not finish its update in time; try again",
                                   {"Retry-After": "1"})
            if self.model is not None:
                return self.model, self.iteration
            if self._model is None:
                return None
            return snapshot(self._model), self.iteration

    # -- control (from request handlers) ------------------------------------------------

    def _wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done() and time.monotonic() < deadline:
            self.lock.wait(0.2)

    def pause(self) -> None:
        """Pause after the current update; returns once the worker waits (or has ended). A
        run still waiting for its turn pauses after its first update."""
        with self.lock:
            self._active("pause")
            self.paused = True
            self.lock.notify_all()
            if self.state != "queued":  # a waiting run pauses when its turn comes
                self._wait(lambda: self.held or self.state not in ACTIVE)

    def resume(self) -> None:
        """Go on training after a pause (taking a slot again: it may wait in line)."""
        with self.lock:
            self._active("resume")
            self.paused, self.steps = False, 0
            self.lock.notify_all()
            self._wait(lambda: not self.held or self.state not in ACTIVE)

    def step(self) -> None:
        """Make exactly one more update of a paused run; returns when it is made."""
        with self.lock:
            self._active("step")
            if not self.held:
                raise ApiError(409, f"the run is {self.state}: step works on a paused run "
                                    "(pause it first)")
            before = self.iteration
            self.steps += 1
            self.lock.notify_all()
            self._wait(lambda: (self.held and self.iteration > before)
                       or self.state not in ACTIVE)

    def set_pace(self, steps_per_second: float | None) -> None:
        """Train at ``steps_per_second`` (None: as fast as it goes); the worker waits
        between two updates without its computing slot."""
        with self.lock:
            self._active("change its speed")
            self.pace = steps_per_second
            self._next_step = 0.0
            self.version += 1
            self.lock.notify_all()

    def cancel(self, reason: str) -> None:
        """Ask the run to end after the current update (a waiting run leaves the line);
        returns at once."""
        with self.lock:
            if self.state in ACTIVE and self.stop_reason is None:
                self.stop_reason = reason
                self.version += 1
                self.lock.notify_all()
        self.line.wake()

    def stop(self, reason: str = "stopped on request") -> None:
        """End the run after the current update, keeping the weights reached; returns once
        it has ended (or ``WAIT_SECONDS`` passed)."""
        self.cancel(reason)
        with self.lock:
            self._wait(lambda: self.state not in ACTIVE)

    def _active(self, what: str) -> None:
        if self.state not in ACTIVE:
            raise ApiError(409, f"the run is {self.state}: it cannot {what} any more")
