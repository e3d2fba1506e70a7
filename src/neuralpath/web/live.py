"""Live training for the page: runs trained in background threads, watched while they learn.

A live run is the ``neuralpath train`` of a preset and a JSON object of settings: the same
``TrainConfig`` (``presets.resolve``), the same data (``pipeline.prepare``), the same network
and the same ``training.train`` loop, so it gives the same numbers for the same settings and
seed. It runs in a worker thread; ``training.train`` calls the run back after every update,
and that callback is all the page costs the training: it stores the cost, and at most every
``min_interval`` seconds (and never more than about 3% of the time spent) measures the
network (train and test accuracy, the first layer's weights, the test confusion matrix, the
digits it gets wrong) and keeps the result under a lock. The event stream only reads that
copy, at most ten times a second, whatever the training's pace.

Pausing and stepping happen between two updates: the callback waits on a condition until it
is told to go on (resume), to do one more update (step) or to stop.

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
    The finished run's model file (saved like a CLI run, ``runs.save_run``).
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

import asyncio
import base64
import dataclasses
import json
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from .. import data
from ..config import TrainConfig, help_of
from ..errors import TrainingDiverged
from ..model import TrainedModel
from ..network import Network
from ..pipeline import check_layer_sizes, evaluate, prepare
from ..presets import PRESETS, resolve
from ..runs import new_run_dir, save_run
from ..training import History, accuracy, train

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
MAX_BODY = 64 * 1024  # bytes of a settings request
WAIT_SECONDS = 10.0  # how long a control request waits for the worker to obey

STATES = ("running", "paused", "done", "stopped", "failed")
ACTIVE = ("running", "paused")


class LiveError(Exception):
    """A request the live runs refuse, with its HTTP status (422, 404, 409, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Stopped(Exception):
    """Raised inside training (from the callback) to end a run early."""


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _steps(cfg: TrainConfig, m: int) -> int:
    """The optimizer steps a run of ``cfg`` on ``m`` training rows makes (as training does)."""
    batch = m if cfg.batch_size is None else min(cfg.batch_size, m)
    if cfg.iterations is not None:
        return cfg.iterations
    return int(cfg.epochs or 0) * math.ceil(m / batch)


def check_bounds(cfg: TrainConfig) -> None:
    """Refuse (``LiveError`` 422) a network larger than the bounds this server keeps."""
    largest = max(cfg.layer_sizes)
    if largest > MAX_LAYER:
        raise LiveError(422, f"layer_sizes: a live run takes at most {MAX_LAYER} nodes in a "
                             f"layer, got {largest}")
    n_params = sum((a + 1) * b for a, b in zip(cfg.layer_sizes, cfg.layer_sizes[1:]))
    size = n_params * np.dtype(cfg.dtype).itemsize
    if size > MAX_WEIGHT_BYTES:
        raise LiveError(422, f"layer_sizes: a live run's weights may take at most "
                             f"{MAX_WEIGHT_BYTES} bytes, got {size} ({n_params} {cfg.dtype})")
    if cfg.iterations is not None and cfg.iterations > MAX_ITERATIONS:
        raise LiveError(422, f"iterations: a live run makes at most {MAX_ITERATIONS} "
                             f"optimizer steps, got {cfg.iterations}")


def parse_settings(body: bytes) -> tuple[str, TrainConfig]:
    """The preset and the ``TrainConfig`` a POST /api/train body asks for; ``LiveError`` 400
    (not JSON) or 422 (naming the setting) otherwise. ``"batch_size": null`` asks for the
    full batch (the tutorial's), also over a preset with mini-batches."""
    try:
        payload = json.loads(body or b"{}", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise LiveError(400, f"the body is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(payload, dict):
        raise LiveError(422, "the body must be a JSON object of settings, got a JSON "
                             f"{type(payload).__name__}")
    settings = dict(payload)
    preset = settings.pop("preset", "tutorial")
    if preset not in PRESETS:
        raise LiveError(422, f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    try:
        cfg = resolve(preset, **settings)
        if "batch_size" in settings and settings["batch_size"] is None:  # resolve skips None
            cfg = dataclasses.replace(cfg, batch_size=None)  # null: the full batch
    except (ValueError, TypeError) as exc:  # TrainConfig names the setting
        raise LiveError(422, str(exc)) from None
    check_bounds(cfg)
    return preset, cfg


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class LiveRun:
    """One live training run: its settings, its worker thread and what it has learned so far.

    The worker writes, request handlers read; every shared field changes under ``lock`` (a
    condition, so the worker can wait on it while paused).
    """

    def __init__(self, run_id: str, preset: str, cfg: TrainConfig, parts: dict[str, Any],
                 runs_dir: str | None, *, idle_seconds: float = IDLE_SECONDS,
                 max_seconds: float = MAX_SECONDS, min_interval: float = EVENT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
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
        self.net = Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                           cfg.initializer, random_state=cfg.seed, dtype=cfg.dtype)
        self.thread = threading.Thread(target=self._work, name=f"neuralpath-live-{run_id}",
                                       daemon=True)

    # -- the worker ---------------------------------------------------------------------

    def _work(self) -> None:
        """Thread body: train as ``pipeline.train_config`` does, then keep and save the run."""
        parts, cfg = self._parts, self.cfg
        validation = None
        if cfg.early_stopping:
            validation = (parts["X_val"], data.one_hot(parts["y_val"], self._classes))
        history: History | None = None
        try:
            history = train(self.net, parts["X_train"], self._Y_train, cfg,
                            validation_data=validation, callbacks=[self],
                            handle_interrupt=False)
        except _Stopped:
            pass
        except TrainingDiverged as exc:
            self._end("failed", f"training diverged: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - shown on the page, never raised to a client
            self._end("failed", f"training failed: {type(exc).__name__}: {exc}")
            return
        self._measure(force=True)
        self._finish(history)

    def _finish(self, history: History | None) -> None:
        """Make the model and its metrics as ``pipeline.train_config`` does, and save the run."""
        parts, cfg = self._parts, self.cfg
        if history is None:  # stopped: the weights reached so far, and their costs
            history = History(cost=list(self.cost), iterations=len(self.cost),
                              epochs=self.epoch, stopped="interrupted")
        model = TrainedModel(self.net, parts["mean"], parts["scale"], self._classes,
                             {"preset": self.preset}, cfg)
        model.metadata.update(iterations_run=history.iterations, stopped=history.stopped,
                              live_run=self.id)
        final: dict[str, Any] = {}
        if history.iterations:
            metrics = evaluate(model, parts["X_test_raw"], parts["y_test"])
            final = dict(test_accuracy=metrics["test_accuracy"],
                         train_accuracy=accuracy(self.net.predict_output(parts["X_train"]),
                                                 self._Y_train),
                         final_cost=history.cost[-1], train_seconds=history.seconds)
            model.metadata.update(test_accuracy=final["test_accuracy"],
                                  train_accuracy=final["train_accuracy"])
        path, error = None, None
        if history.iterations and self.runs_dir is not None:
            title = f"{self.preset} preset, seed {cfg.seed} (live run {self.id})"
            try:
                path = save_run(model, new_run_dir(self.runs_dir), history, title)["model"]
            except OSError as exc:
                error = f"the run could not be saved: {exc.strerror or exc}"
        with self.lock:  # a run stopped before its first update has no network to use
            self.model = model if history.iterations else None
            self.model_path, self.final = path, final
            self.epoch = history.epochs
        state = "stopped" if self.stop_reason else "done"
        self._end(state, self.stop_reason or error)

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
                    raise _Stopped
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
                raise LiveError(409, f"run {self.id} is {self.state}: step works on a paused "
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
            raise LiveError(409, f"run {self.id} is {self.state}: it cannot {what} any more")


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
            raise LiveError(409, f"{len(holders)} live run(s) already train, the most this "
                                 f"server allows ({self.max_active}): {', '.join(holders)}; "
                                 "stop one (POST /api/train/{id}/stop) or wait for it")

    def start(self, body: bytes) -> LiveRun:
        """Validate the settings, prepare the data and start a run; ``LiveError`` if refused."""
        preset, cfg = parse_settings(body)
        with self.lock:
            self._refuse_if_full()
        try:
            parts = prepare(cfg)
            check_layer_sizes(cfg.layer_sizes, parts["X_train"].shape[1], len(parts["classes"]))
        except (ValueError, OSError) as exc:  # e.g. MNIST files missing, wrong layer sizes
            raise LiveError(422, str(exc)) from None
        total = _steps(cfg, len(parts["X_train"]))
        if total > MAX_ITERATIONS:
            raise LiveError(422, f"epochs: a live run makes at most {MAX_ITERATIONS} "
                                 f"optimizer steps, and {cfg.epochs} epochs of "
                                 f"{len(parts['X_train'])} rows make {total}")
        with self.lock:
            self._refuse_if_full()  # again: another start may have won meanwhile
            run = LiveRun(secrets.token_hex(4), preset, cfg, parts, self.runs_dir,
                          **self.options)
            self.runs[run.id] = run
            finished = [r for r in self.runs.values() if r.state not in ACTIVE]
            while len(self.runs) > self.max_kept and finished:
                del self.runs[finished.pop(0).id]
            run.thread.start()
        return run

    def get(self, run_id: str) -> LiveRun:
        """The run ``run_id``; ``LiveError`` 404 if there is none (any more)."""
        with self.lock:
            run = self.runs.get(run_id)
        if run is None:
            raise LiveError(404, f"no live run {run_id!r} (this server keeps the last "
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


async def _body(request: Request) -> bytes:
    """The JSON body of a request, refused unless declared JSON (which also keeps other
    sites' plain form posts out) and at most ``MAX_BODY`` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise HTTPException(415, "send the request as JSON (Content-Type: application/json), "
                                 f"got {kind or 'no Content-Type'!r}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"the body may hold at most {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, f"the body may hold at most {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPException(400, f"the body is not valid JSON; send {what}") from None
    if not isinstance(payload, dict):
        raise HTTPException(422, f"the body must be a JSON object: {what}")
    return payload


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call in the thread pool; ``LiveError`` becomes an HTTP error."""
    try:
        return await run_in_threadpool(fn, *args)
    except LiveError as exc:
        raise HTTPException(exc.status, exc.message) from None


def _no_store(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


async def _events(run: LiveRun, request: Request) -> AsyncIterator[str]:
    """The event stream of one run: an ``update`` at most every EVENT_INTERVAL seconds when
    something changed, a comment now and then to keep the connection, ``end`` at the end."""
    n_cost, version, quiet = 0, -1, 0
    while True:
        run.touch()
        payload, n_cost, version = run.update_since(n_cost, version)
        if payload is not None:
            quiet = 0
            yield f"event: update\ndata: {json.dumps(payload, allow_nan=False)}\n\n"
            if payload["state"] not in ACTIVE:
                yield "event: end\ndata: {}\n\n"
                return
        else:
            quiet += 1
            if quiet % 150 == 0:  # every 15 s: keeps proxies from closing an idle stream
                yield ": still here\n\n"
        if await request.is_disconnected():
            return
        await asyncio.sleep(EVENT_INTERVAL)


def make_router(runs: LiveRuns, use_model: Callable[[TrainedModel, str | None], None]
                ) -> APIRouter:
    """The live-training routes over ``runs``; ``use_model(model, source)`` switches the draw
    view's model (POST /api/model)."""
    router = APIRouter()
    static = os.path.join(os.path.dirname(__file__), "static")

    @router.get("/train", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(os.path.join(static, "train.html"),
                            headers={"Cache-Control": "no-cache"})

    @router.get("/api/train/options")
    async def get_options() -> JSONResponse:
        return _no_store(options())

    @router.post("/api/train")
    async def post_train(request: Request) -> JSONResponse:
        run = await _call(runs.start, await _body(request))
        return _no_store({"id": run.id, "state": run.state, "total": run.total}, 202)

    @router.get("/api/train/{run_id}")
    async def get_run(run_id: str) -> JSONResponse:
        run = await _call(runs.get, run_id)
        run.touch()
        return _no_store(run.describe())

    @router.get("/api/train/{run_id}/events")
    async def get_events(run_id: str, request: Request) -> StreamingResponse:
        run = await _call(runs.get, run_id)
        return StreamingResponse(_events(run, request), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @router.post("/api/train/{run_id}/{action}")
    async def control(run_id: str, action: str) -> JSONResponse:
        run = await _call(runs.get, run_id)
        actions = {"pause": run.pause, "resume": run.resume, "step": run.step,
                   "stop": run.stop}
        if action not in actions:
            raise HTTPException(404, f"action must be one of {sorted(actions)}, got {action!r}")
        run.touch()
        await _call(actions[action])
        return _no_store(run.describe(full=False))

    @router.get("/api/train/{run_id}/model.npz")
    async def download(run_id: str) -> FileResponse:
        run = await _call(runs.get, run_id)
        if run.model_path is None:
            why = (f"it is {run.state}" if run.state in ACTIVE else
                   run.error or "it made no update")
            raise HTTPException(409, f"run {run_id} has no saved model ({why})")
        return FileResponse(run.model_path, media_type="application/octet-stream",
                            filename=f"neuralpath-{run.preset}-{run_id}.npz")

    @router.post("/api/model")
    async def post_model(request: Request) -> JSONResponse:
        payload = _json_object(await _body(request), '{"train_id": "<id of a live run>"}')
        unknown = sorted(set(payload) - {"train_id"})
        if unknown or not isinstance(payload.get("train_id"), str):
            raise HTTPException(422, 'give {"train_id": "<id of a live run>"}, got fields '
                                     f"{sorted(payload)[:5]}")
        run = await _call(runs.get, payload["train_id"])
        if run.model is None:
            why = f"it is {run.state}" if run.state in ACTIVE else run.error or "no update"
            raise HTTPException(409, f"run {run.id} has no network to use yet ({why})")
        source = f"live run {run.id}"  # shown by the draw view (no folders: no slash)
        use_model(run.model, source)
        return _no_store({"train_id": run.id, "source": source, "saved_as": run._saved_as()})

    return router
