"""Live training for the page: runs trained in background threads, watched while they learn.

A live run is the ``neuralpath train`` of a preset and a JSON object of settings, on the
pipeline's road: the same ``TrainConfig`` (``presets.resolve``), data (``pipeline.prepare``),
network (``pipeline.build``) and loop (``pipeline.fit``), and it ends as every run does
(``pipeline.finish``, ``pipeline.save_run``: the same run folder), so it gives the same numbers
for the same settings and seed. This module holds the runs (their worker threads, bounds and
registry); ``web/live_routes.py`` holds their HTTP routes.

A run trains in a worker thread; ``training.train`` calls the run back after every update,
and that callback is all the page costs the training: it stores the cost, and at most every
``min_interval`` seconds (and never more than about 3% of the time spent) measures the
network (train and test accuracy, the first layer's weights, the test confusion matrix, the
digits it gets wrong) and keeps the result under a lock. The event stream only reads that
copy, at most ten times a second, whatever the training's pace.

Pausing and stepping happen between two updates: the callback waits on a condition until it
is told to go on (resume), to do one more update (step) or to stop (``training.StopTraining``:
the weights reached are kept, and saved as any run).

API (all JSON; errors are ``{"error": message}``)
-------------------------------------------------
``GET /api/train/options``
    The presets' settings, each setting's help text, the choices and the bounds below.
``POST /api/train``
    ``{"preset": name, ...any TrainConfig setting}`` -> 202 ``{"id": ...}``. Settings left out
    take the preset's values; a refused one answers 422 naming it (as the CLI does).
``GET /api/train/{id}``
    ``{id, state: running|paused|done|stopped|failed, iteration, epoch, total, cost: [...],
    train_accuracy, test_accuracy, settings, preset, error, ...}``.
``GET /api/train/{id}/events``
    ``text/event-stream``: ``update`` events (at most ``1 / EVENT_INTERVAL`` a second) with
    the new costs since the last event and the latest measurements, then one ``end`` event.
``POST /api/train/{id}/pause | resume | step | stop``
    Change the run's state; each answers the run's state once the worker has obeyed.
``GET /api/train/{id}/model.npz``
    The finished run's model file (its run folder is a CLI run's: ``pipeline.save_run``).
``POST /api/model`` ``{"train_id": id}``
    The draw view answers with that run's network from now on.

Bounds (each refused with 422, except runs at a time: 409 naming the runs that hold them)
-----------------------------------------------------------------------------------------
``MAX_LAYER`` nodes in any layer; ``MAX_ITERATIONS`` optimizer steps (epochs count as the
steps they make); ``MAX_WEIGHT_BYTES`` of weights and biases; ``MAX_ACTIVE`` runs training or
paused at a time; ``MAX_KEPT`` runs kept in memory (starting another drops the oldest
finished one). A run is stopped when nobody has read it (event stream or GET) for
``IDLE_SECONDS`` or when it has lasted ``MAX_SECONDS`` (pauses included), so closing the page
never leaves a run going.
"""
from __future__ import annotations

import base64
import dataclasses
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import data, pipeline
from ..config import TrainConfig, help_of
from ..errors import TrainingDiverged
from ..model import TrainedModel
from ..presets import PRESETS, resolve
from ..runs import new_run_dir
from ..training import History, StopTraining, accuracy
from .api import ApiError, json_object

MAX_LAYER = 1024  # nodes in any layer
MAX_ITERATIONS = 20_000  # optimizer steps of one run
MAX_WEIGHT_BYTES = 8 * 1024 * 1024  # weights and biases of one network
MAX_ACTIVE = 2  # runs training or paused at the same time
MAX_KEPT = 8  # runs kept in memory, finished or not
IDLE_SECONDS = 30.0  # a run nobody reads for this long is stopped
MAX_SECONDS = 600.0  # the longest a run may last, pauses included
EVENT_INTERVAL = 0.1  # seconds between two events of a stream: at most 10 a second
MAX_PICTURES = 64  # first-layer weight pictures sent (one per hidden node)
MAX_WRONG = 24  # wrongly classified test digits sent
WAIT_SECONDS = 10.0  # how long a control request waits for the worker to obey

STATES = ("running", "paused", "done", "stopped", "failed")
ACTIVE = ("running", "paused")


def _steps(cfg: TrainConfig, m: int) -> int:
    """The optimizer steps a run of ``cfg`` on ``m`` training rows makes (as training does)."""
    batch = m if cfg.batch_size is None else min(cfg.batch_size, m)
    if cfg.iterations is not None:
        return cfg.iterations
    return int(cfg.epochs or 0) * math.ceil(m / batch)


def check_bounds(cfg: TrainConfig) -> None:
    """Refuse (``ApiError`` 422) a network larger than the bounds this server keeps."""
    largest = max(cfg.layer_sizes)
    if largest > MAX_LAYER:
        raise ApiError(422, f"layer_sizes: a live run takes at most {MAX_LAYER} nodes in a "
                             f"layer, got {largest}")
    n_params = sum((a + 1) * b for a, b in zip(cfg.layer_sizes, cfg.layer_sizes[1:]))
    size = n_params * np.dtype(cfg.dtype).itemsize
    if size > MAX_WEIGHT_BYTES:
        raise ApiError(422, f"layer_sizes: a live run's weights may take at most "
                             f"{MAX_WEIGHT_BYTES} bytes, got {size} ({n_params} {cfg.dtype})")
    if cfg.iterations is not None and cfg.iterations > MAX_ITERATIONS:
        raise ApiError(422, f"iterations: a live run makes at most {MAX_ITERATIONS} "
                             f"optimizer steps, got {cfg.iterations}")


def _check_steps(cfg: TrainConfig, m: int) -> None:
    """Refuse (``ValueError``, 422) a run of more than ``MAX_ITERATIONS`` optimizer steps on
    ``m`` training rows (epochs count as the steps they make)."""
    total = _steps(cfg, m)
    if total > MAX_ITERATIONS:
        raise ValueError(f"epochs: a live run makes at most {MAX_ITERATIONS} optimizer steps, "
                         f"and {cfg.epochs} epochs of {m} rows make {total}")


def parse_settings(body: bytes | dict[str, Any]) -> tuple[str, TrainConfig]:
    """The preset and the ``TrainConfig`` a POST /api/train body asks for (its JSON bytes or
    the object; empty: the tutorial preset); ``ApiError`` 400 (not JSON) or 422 (naming the
    setting) otherwise. ``"batch_size": null`` asks for the full batch (the tutorial's), also
    over a preset with mini-batches."""
    settings = dict(body) if isinstance(body, dict) else json_object(
        body or b"{}", 'a JSON object of settings, e.g. {"preset": "tutorial", '
                       '"iterations": 500}')
    preset = settings.pop("preset", "tutorial")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ApiError(422, f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    try:
        cfg = resolve(preset, **settings)
        if "batch_size" in settings and settings["batch_size"] is None:  # resolve skips None
            cfg = TrainConfig.from_dict({**cfg.to_dict(), "batch_size": None})  # full batch
    except (ValueError, TypeError) as exc:  # TrainConfig names the setting
        raise ApiError(422, str(exc)) from None
    check_bounds(cfg)
    return preset, cfg


class LiveRun:
    """One live training run: its settings, its worker thread and what it has learned so far.

    The worker writes, request handlers read; every shared field changes under ``lock`` (a
    condition, so the worker can wait on it while paused).
    """

    def __init__(self, run_id: str, preset: str, built: TrainedModel, parts: dict[str, Any],
                 runs_dir: str | None, *, idle_seconds: float = IDLE_SECONDS,
                 max_seconds: float = MAX_SECONDS, min_interval: float = EVENT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        assert built.config is not None  # pipeline.build gives every model its config
        cfg = built.config
        self.id, self.preset, self.cfg, self.runs_dir = run_id, preset, cfg, runs_dir
        self.lock = threading.Condition(threading.Lock())
        self.clock, self.idle_seconds, self.max_seconds = clock, idle_seconds, max_seconds
        self.min_interval = min_interval
        self.state = "running"
        self.error: str | None = None
        self.stop_reason: str | None = None
        self.paused, self.steps, self.held = False, 0, False
        self.iteration, self.epoch = 0, 0
        self.total = _steps(cfg, len(parts["X_train"]))
        self.cost: list[float] = []
        self.accuracy: list[list[float]] = []  # [iteration, train, test] per measurement
        self.measured: dict[str, Any] = {}  # the latest measurement, ready for JSON
        self.version = 0  # bumped by every new measurement
        self.rate = 0.0  # iterations per second while running
        self.measure_seconds = 0.0  # time the worker spent measuring for the page
        self.model: TrainedModel | None = None
        self.model_path: str | None = None
        self.final: dict[str, Any] = {}
        self.started = self.last_seen = clock()
        self._parts = parts
        self._classes = parts["classes"]
        self._Y_train = data.one_hot(parts["y_train"], self._classes)
        self._y_test = np.searchsorted(self._classes, parts["y_test"])  # class index per row
        self._side = math.isqrt(cfg.layer_sizes[0])
        self._pixel_top = max(float(np.max(parts["X_test_raw"])), 1e-12)
        self._next_measure = 0.0
        self._rate_mark = (time.perf_counter(), 0)
        self._built = built  # published as ``model`` once the run has ended
        self.net = built.network
        self.thread = threading.Thread(target=self._work, name=f"neuralpath-live-{run_id}",
                                       daemon=True)

    # -- the worker ---------------------------------------------------------------------

    def _work(self) -> None:
        """Thread body: ``pipeline.fit`` with this run as the callback, then ``_finish``."""
        try:
            history = pipeline.fit(self._built, self._parts, callbacks=[self],
                                   handle_interrupt=False)
        except TrainingDiverged as exc:
            self._end("failed", f"training diverged: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - shown on the page, never raised to a client
            self._end("failed", f"training failed: {type(exc).__name__}: {exc}")
            return
        self._measure(force=True)
        self._finish(history)

    def _finish(self, history: History) -> None:
        """``pipeline.finish`` and ``pipeline.save_run``, as every run ends; a run stopped
        before its first update has nothing to keep."""
        model, final, path, error = self._built, {}, None, None
        model.metadata["live_run"] = self.id
        if history.iterations:
            metrics = pipeline.finish(model, history, self._parts)
            final = {k: metrics[k] for k in ("test_accuracy", "train_accuracy", "final_cost",
                                             "train_seconds")}
            path, error = self._save(model, history)
        with self.lock:
            self.model = model if history.iterations else None
            self.model_path, self.final = path, final
            self.epoch = history.epochs
        state = "stopped" if self.stop_reason else "done"
        self._end(state, self.stop_reason or error)

    def _save(self, model: TrainedModel, history: History) -> tuple[str | None, str | None]:
        """The run folder under ``runs_dir`` (none without one): (model path, error)."""
        if self.runs_dir is None:
            return None, None
        title = f"{self.preset} preset, seed {self.cfg.seed} (live run {self.id})"
        try:
            paths = pipeline.save_run(model, history, self._parts, new_run_dir(self.runs_dir),
                                      title)
        except OSError as exc:
            return None, f"the run could not be saved: {exc.strerror or exc}"
        return paths["model"], None

    def _end(self, state: str, error: str | None) -> None:
        with self.lock:
            self.state, self.error, self.held = state, error, False
            self._parts = {}  # the data is not needed any more
            self.version += 1
            self.lock.notify_all()

    # training.train's callbacks (called from the worker thread)
    def on_train_begin(self, total: int) -> None:
        """Training starts: ``total`` optimizer steps at most."""
        with self.lock:
            self.total = int(total)

    def on_iteration(self, iteration: int, cost: float) -> None:
        """After update ``iteration``: keep J, measure now and then, obey pause/step/stop."""
        with self.lock:
            self.cost.append(float(cost))
            self.iteration = int(iteration)
        if time.perf_counter() >= self._next_measure:
            self._measure()
            self._check_limits()
        if self.paused or self.stop_reason is not None:
            self._hold()

    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None:
        """An epoch ended (``epoch`` counts from 0)."""
        with self.lock:
            self.epoch = int(epoch) + 1

    def _hold(self) -> None:
        """Wait between two updates while paused; return to do one more step or go on."""
        self._measure(force=True)  # the page shows the network where it waits
        with self.lock:
            while True:
                if self.stop_reason is not None:
                    self.held = False
                    raise StopTraining
                if self.steps > 0:
                    self.steps -= 1
                    self.held = False
                    return
                if not self.paused:
                    self.state, self.held = "running", False
                    self._rate_mark = (time.perf_counter(), self.iteration)
                    self.lock.notify_all()
                    return
                if not self.held:
                    self.state, self.held = "paused", True
                    self.version += 1
                    self.lock.notify_all()
                self.lock.wait(0.5)
                self._check_limits(locked=True)

    def _check_limits(self, locked: bool = False) -> None:
        """Ask the run to stop when nobody reads it or it has run too long."""
        now = self.clock()
        reason: str | None = None
        if now - self.last_seen > self.idle_seconds:
            reason = (f"stopped: nobody watched this run for {self.idle_seconds:g} s "
                      "(the page was closed?)")
        elif now - self.started > self.max_seconds:
            reason = f"stopped: a live run may last at most {self.max_seconds:g} s"
        if reason is not None and self.stop_reason is None:
            if locked:
                self.stop_reason = reason
            else:
                with self.lock:
                    self.stop_reason = reason

    def _measure(self, force: bool = False) -> None:
        """Measure the network on the train and test parts and keep it for the page.

        Runs in the worker between two updates. The next measurement waits at least
        ``min_interval`` and 29 times what this one took, so measuring costs at most ~3%
        (``min_interval`` 0: measure after every update).
        """
        begin = time.perf_counter()
        if not force and begin < self._next_measure:
            return
        parts, net = self._parts, self.net
        if not parts:
            return
        out_train = net.predict_output(parts["X_train"])  # (m, s_nl)
        out_test = net.predict_output(parts["X_test"])  # (m_test, s_nl)
        k = len(self._classes)
        pred = (out_test[:, 0] > 0.5).astype(int) if out_test.shape[1] == 1 else \
            out_test.argmax(axis=1)  # (m_test,) class index
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (self._y_test, pred), 1)
        wrong = np.flatnonzero(pred != self._y_test)
        shown = wrong[:MAX_WRONG]
        raw = parts["X_test_raw"][shown]  # (n_wrong, s_1)
        measured: dict[str, Any] = dict(
            train_accuracy=accuracy(out_train, self._Y_train),
            test_accuracy=float(np.mean(pred == self._y_test)),
            confusion=confusion.tolist(), n_wrong=int(len(wrong)),
            wrong=[dict(index=int(i), label=_plain(self._classes[self._y_test[i]]),
                        answer=_plain(self._classes[pred[i]])) for i in shown],
            wrong_pixels=_bytes(np.clip(raw / self._pixel_top, 0, 1) * 255),
            weights=self._weights())
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

    def _weights(self) -> dict[str, Any] | None:
        """W[0]'s rows as pictures, one per hidden node: bytes 0 (the node's smallest weight)
        to 255 (its largest), row after row; None when the inputs are not a square image.

        Scaled per node from its smallest to its largest weight, because the tutorial's
        initial weights are all positive (uniform [0, 1)) and what a node looks for is where
        its weights are larger than its others."""
        if self._side * self._side != self.cfg.layer_sizes[0]:
            return None
        W = np.asarray(self.net.W[0][:MAX_PICTURES], dtype=np.float64)  # (n, s_1)
        low = W.min(axis=1, keepdims=True)  # (n, 1)
        span = W.max(axis=1, keepdims=True) - low  # (n, 1)
        span[span == 0] = 1.0
        return dict(side=self._side, nodes=int(self.cfg.layer_sizes[1]), shown=len(W),
                    data=_bytes(255 * (W - low) / span))

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

    def _header(self) -> dict[str, Any]:
        m = self.measured
        done = self.final or {}
        return dict(
            id=self.id, state=self.state, error=self.error, preset=self.preset,
            settings=self.cfg.to_dict(), iteration=self.iteration, epoch=self.epoch,
            total=self.total, iterations_per_second=round(self.rate, 1),
            train_accuracy=done.get("train_accuracy", m.get("train_accuracy")),
            test_accuracy=done.get("test_accuracy", m.get("test_accuracy")),
            final_cost=done.get("final_cost"), train_seconds=done.get("train_seconds"),
            measure_seconds=round(self.measure_seconds, 4),
            model_ready=self.model is not None,
            saved_as=self._saved_as())

    def _saved_as(self) -> str | None:
        """The saved model file within the runs folder (``<timestamp>/model.npz``): the
        server's own folders are not told to clients."""
        if self.model_path is None or self.runs_dir is None:
            return None
        return os.path.relpath(self.model_path, self.runs_dir)

    def update_since(self, n_cost: int, version: int) -> tuple[dict[str, Any] | None, int, int]:
        """An event's payload: the costs after the first ``n_cost``, the latest measurement if
        newer than ``version``; None when nothing changed. Returns (payload, n_cost, version)."""
        with self.lock:
            if len(self.cost) == n_cost and self.version == version:
                return None, n_cost, version
            payload = self._header()
            payload.update(cost_from=n_cost, cost=self.cost[n_cost:])
            if self.version != version and self.measured:
                payload.update(measured=self.measured,
                               accuracy=self.accuracy[-1:] if self.accuracy else [])
            return payload, len(self.cost), self.version

    # -- control (from request handlers) ------------------------------------------------

    def _wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done() and time.monotonic() < deadline:
            self.lock.wait(0.2)

    def pause(self) -> None:
        """Pause after the current update; returns once the worker waits (or has ended)."""
        with self.lock:
            self._active("pause")
            self.paused = True
            self._wait(lambda: self.held or self.state not in ACTIVE)

    def resume(self) -> None:
        """Go on training after a pause."""
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
                raise ApiError(409, f"run {self.id} is {self.state}: step works on a paused "
                                     "run (pause it first)")
            before = self.iteration
            self.steps += 1
            self.held = False
            self.lock.notify_all()
            self._wait(lambda: (self.held and self.iteration > before)
                       or self.state not in ACTIVE)

    def stop(self, reason: str = "stopped on request") -> None:
        """End the run after the current update, keeping the weights reached."""
        with self.lock:
            if self.state in ACTIVE and self.stop_reason is None:
                self.stop_reason = reason
                self.lock.notify_all()
            self._wait(lambda: self.state not in ACTIVE)

    def _active(self, what: str) -> None:
        if self.state not in ACTIVE:
            raise ApiError(409, f"run {self.id} is {self.state}: it cannot {what} any more")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _bytes(values: np.ndarray) -> str:
    """Numbers 0..255 as base64 bytes (row after row): compact for the event stream."""
    return base64.b64encode(np.round(values).astype(np.uint8).tobytes()).decode("ascii")


class LiveRuns:
    """The live runs of one app: started, looked up, bounded, and stopped at shutdown.

    Parameters
    ----------
    runs_dir : str or None
        Where finished runs are saved (``runs.save_run``); None: not saved.
    max_active, max_kept : int
        Runs training or paused at a time; runs kept in memory.
    idle_seconds, max_seconds : float
        Stop a run nobody has read for ``idle_seconds``, or older than ``max_seconds``.
    min_interval : float
        Seconds between two measurements of the network (0: after every update).
    clock : callable
        The clock of the two limits above (tests pass a fake one).
    """

    def __init__(self, runs_dir: str | None = "runs", *, max_active: int = MAX_ACTIVE,
                 max_kept: int = MAX_KEPT, idle_seconds: float = IDLE_SECONDS,
                 max_seconds: float = MAX_SECONDS, min_interval: float = EVENT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runs_dir, self.max_active, self.max_kept = runs_dir, max_active, max_kept
        self.options: dict[str, Any] = dict(idle_seconds=idle_seconds,
                                            max_seconds=max_seconds,
                                            min_interval=min_interval, clock=clock)
        self.lock = threading.Lock()
        self.runs: OrderedDict[str, LiveRun] = OrderedDict()

    def _holders(self) -> list[str]:
        return [r.id for r in self.runs.values() if r.state in ACTIVE]

    def _refuse_if_full(self) -> None:
        holders = self._holders()
        if len(holders) >= self.max_active:
            raise ApiError(409, f"{len(holders)} live run(s) already train, the most this "
                                 f"server allows ({self.max_active}): {', '.join(holders)}; "
                                 "stop one (POST /api/train/{id}/stop) or wait for it")

    def start(self, body: bytes | dict[str, Any]) -> LiveRun:
        """Validate the settings, prepare the data, build the network and start a run
        (``pipeline.prepare`` and ``pipeline.build``); ``ApiError`` if refused."""
        preset, cfg = parse_settings(body)
        with self.lock:
            self._refuse_if_full()
        try:
            parts = pipeline.prepare(cfg)
            _check_steps(cfg, len(parts["X_train"]))
            built = pipeline.build(cfg, parts, preset)
        except (ValueError, OSError) as exc:  # e.g. MNIST files missing, wrong layer sizes
            raise ApiError(422, str(exc)) from None
        with self.lock:
            self._refuse_if_full()  # again: another start may have won meanwhile
            run = LiveRun(secrets.token_hex(4), preset, built, parts, self.runs_dir,
                          **self.options)
            self.runs[run.id] = run
            finished = [r for r in self.runs.values() if r.state not in ACTIVE]
            while len(self.runs) > self.max_kept and finished:
                del self.runs[finished.pop(0).id]
            run.thread.start()
        return run

    def get(self, run_id: str) -> LiveRun:
        """The run ``run_id``; ``ApiError`` 404 if there is none (any more)."""
        with self.lock:
            run = self.runs.get(run_id)
        if run is None:
            raise ApiError(404, f"no live run {run_id!r} (this server keeps the last "
                                 f"{self.max_kept} runs, and none over a restart)")
        return run

    def stop_all(self) -> None:
        """Stop every run (the server is shutting down)."""
        with self.lock:
            runs = list(self.runs.values())
        for run in runs:
            run.stop("stopped: the server shut down")


def options() -> dict[str, Any]:
    """What the page needs to build its form: presets, help texts, choices and bounds."""
    fields = dataclasses.fields(TrainConfig)
    return dict(
        presets={name: cfg.to_dict() for name, cfg in PRESETS.items()},
        help={f.name: help_of(f.name) for f in fields},
        choices={f.name: list(f.metadata["choices"]) for f in fields
                 if "choices" in f.metadata},
        bounds=dict(max_layer=MAX_LAYER, max_iterations=MAX_ITERATIONS,
                    max_weight_bytes=MAX_WEIGHT_BYTES, max_active=MAX_ACTIVE,
                    max_kept=MAX_KEPT, idle_seconds=IDLE_SECONDS, max_seconds=MAX_SECONDS,
                    events_per_second=1 / EVENT_INTERVAL))


