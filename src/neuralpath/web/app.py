"""The draw-a-digit page's server: one HTML page and a small JSON API, on FastAPI.

The page sends its canvas as a PNG data URL; the server turns it into the network's input
with ``imaging.image_to_input`` (the very conversion ``neuralpath predict`` applies to an
image file) and answers with that input, the predicted digit, the probabilities and the
hidden layer's activations, so the page can show what the network sees and how it reacts.

API
---
``GET /`` (and ``HEAD /``)
    The page.
``GET /api/model`` (and ``HEAD``)
    ``{"status": "ready" | "training" | "failed" | "stopped" | "waiting", "model": {...} | null,
    "progress": {...} | null, "error": str | null, "version": str}``: this browser's draw
    network (``web/sessions.py``: the server's, unless the browser chose a live run's with
    ``POST /api/model``); ``version`` changes whenever that network changes.
``POST /api/predict``
    ``{"pixels": [n_features numbers in 0..16]}`` (0..255 for an MNIST model) or
    ``{"image": "data:image/png;base64,..."}`` -> ``{"digit", "reason", "classes",
    "probabilities", "hidden", "pixels", "side", "pixel_max", "version"}``, answered by this
    browser's draw network (``version`` as above, so a page notices a change); ``pixels`` is
    the input the network saw. A picture that holds no digit (no ink, too faint, only a dot
    or a short mark: ``imaging.no_digit_reason``) answers 200 with ``"digit": null`` and the
    ``"reason"``.

The training view (``/train``: watch a network learn, ``/api/train/...`` and
``POST``/``DELETE /api/model``) lives in ``web/live.py`` (a run), ``web/registry.py`` (every
browser's runs) and ``web/live_routes.py`` (its routes); ``create_app`` includes its router and
``web/sessions.py``'s middleware, which gives every browser its session. Both views share
``web/api.py``: the error type, the body reader and the JSON reader of every endpoint.

Every error is JSON ``{"error": message}``, one line, with a 4xx status for bad input (413 for
a body over ``MAX_BODY`` bytes, 408 for one that does not arrive within ``body_timeout``
seconds, 415 for a body that is not declared JSON or an image that is not PNG, JPEG or WebP,
400 for a body that does not parse, 422 for JSON that is not a valid request, e.g. a picture
outside ``MAX_IMAGE_SIDE`` / ``MAX_ASPECT``) and 503 while no model is ready. Messages never
hold server internals (object addresses, the model file's folder). An unexpected failure
answers 500 with a one-line message, never a traceback.

Pictures are identified by their bytes, never by the data URL's label: only Pillow's PNG,
JPEG and WebP decoders are ever reached, and a picture's size is checked from its header
before it is decoded (``web/predict.py``: the input and the answer). At most ``DECODERS``
large pictures (over ``LARGE_PICTURE`` pixels) are decoded at a time, so a burst of them
cannot take the memory (or the CPU) that other requests need; the page's small canvases
never wait for them.
"""
from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ..model import TrainedModel, load
from ..runs import new_run_dir
from .api import BODY_TIMEOUT, ApiError, RequestGuard, add_error_handlers, finite, one_line
from .live_routes import MAX_BODY as MAX_SETTINGS_BODY
from .live_routes import document, make_router
from .predict import (
    Answer,
    PredictRequest,
    dataset_name,
    input_side,
    picture_pixels,
    pixel_max,
    predict,
)
from .queue import Line
from .registry import LiveRuns
from .sessions import Session, SessionMiddleware, session_of

STATIC = Path(__file__).with_name("static")
MAX_BODY = 1024 * 1024  # bytes: a drawn canvas as PNG is a few kilobytes
DECODERS = 1  # large pictures decoded at a time (this machine has 2 cores)
LARGE_PICTURE = 512 * 512  # pixels; the page's canvas is 280 x 280
ESTIMATE_STEPS, ESTIMATE_SHARE, ESTIMATE_SECONDS = 3, 0.02, 1.0  # before a time left is shown
ESTIMATE_WINDOW, ESTIMATE_EVERY = 20.0, 0.5  # seconds: the recent steps the rate comes from
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
     b"form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
# /docs is FastAPI's Swagger UI: its script and style come from the jsDelivr CDN (the browser
# fetches them; the server needs no network) and it starts with an inline script
DOCS_POLICY = (b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
               b"https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; "
               b"form-action 'none'; frame-ancestors 'none'")


class _Cancelled(Exception):
    """Raised inside training (from the progress callback) when the server shuts down."""


class ModelState:
    """The model the page uses, or the progress of the training that will produce it.

    Written by the training thread, read by request handlers: every change happens under
    ``lock`` and ``describe`` copies under it, so a reader never sees half an update.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.model: TrainedModel | None = None
        self.source: str | None = None
        self.changes = 0  # bumped whenever the server's model changes
        self.status = "waiting"
        self.error: str | None = None
        self.preset: str | None = None
        self.iteration, self.total = 0, 0
        self.cost: float | None = None
        self.started: float | None = None
        # (time, iteration) of the first step: the rate is measured from there, so loading
        # the data and the first step's warm-up do not inflate the estimate of time left
        self.mark: tuple[float, int] | None = None
        self.latest: tuple[float, int] | None = None  # (time, iteration) of the last step
        # a (time, iteration) every ESTIMATE_EVERY s over the last ESTIMATE_WINDOW s: the
        # rate is measured over them, so it follows a machine that gets busier or quieter
        self.window: collections.deque[tuple[float, int]] = collections.deque(
            maxlen=int(ESTIMATE_WINDOW / ESTIMATE_EVERY))
        self.thread: threading.Thread | None = None

    def set_model(self, model: TrainedModel, source: str | None) -> None:
        with self.lock:
            self.model, self.source, self.status, self.error = model, source, "ready", None
            self.changes += 1

    def fail(self, status: str, message: str) -> None:
        with self.lock:
            self.status, self.error = status, message

    # training callbacks (training.train calls these from the training thread)
    def on_train_begin(self, total: int) -> None:
        with self.lock:
            self.status, self.total, self.iteration = "training", int(total), 0
            self.started, self.mark, self.latest = self.clock(), None, None
            self.window.clear()

    def on_iteration(self, iteration: int, cost: float) -> None:
        if self.stop.is_set():
            raise _Cancelled
        with self.lock:
            self.iteration, self.cost = int(iteration), float(cost)
            self.latest = (self.clock(), self.iteration)
            if self.mark is None:
                self.mark = self.latest
            if not self.window or self.latest[0] - self.window[-1][0] >= ESTIMATE_EVERY:
                self.window.append(self.latest)

    def seconds_left(self, now: float) -> float | None:
        """Time left at the rate of the recent steps; None until it can be told.

        Nothing is told before ``ESTIMATE_SHARE`` of the steps and ``ESTIMATE_SECONDS``
        seconds have passed since the first step (the first step carries start-up costs: an
        estimate made from the start of training said 1145 s at step 1). The rate is then
        measured over the last ``ESTIMATE_WINDOW`` seconds of steps. Call with ``lock`` held.
        """
        if self.mark is None or self.latest is None or not self.total:
            return None
        (since, first), (last, latest) = self.mark, self.latest
        if (latest - first < max(ESTIMATE_STEPS, ESTIMATE_SHARE * self.total)
                or last - since < ESTIMATE_SECONDS):
            return None
        then, before = self.window[0]
        if latest <= before or last <= then:
            then, before = since, first
        rate = (last - then) / (latest - before)  # seconds per step
        return max(0.0, (self.total - latest) * rate - (now - last))

    def ready(self) -> TrainedModel:
        """The model, or an ``ApiError`` (503) that says why there is none yet."""
        with self.lock:
            if self.model is not None:
                return self.model
            if self.status == "training":
                done = self.iteration / self.total if self.total else 0.0
                raise ApiError(503, f"the network is still training ({done:.0%} done); "
                                    "try again when GET /api/model says ready",
                               {"Retry-After": "2"})
            reason = f": {self.error}" if self.error else ""
            raise ApiError(503, f"no model is loaded ({self.status}{reason})")

    def describe(self) -> dict[str, Any]:
        """What GET /api/model answers."""
        with self.lock:
            model, status, error, source = self.model, self.status, self.error, self.source
            progress = None
            if status == "training" or (status in ("failed", "stopped") and self.total):
                now = self.clock()
                elapsed = now - self.started if self.started is not None else 0.0
                fraction = self.iteration / self.total if self.total else 0.0
                remaining = self.seconds_left(now) if status == "training" else None
                progress = dict(preset=self.preset, iteration=self.iteration, total=self.total,
                                fraction=fraction, cost=finite(self.cost),
                                seconds=round(elapsed, 1),
                                seconds_left=None if remaining is None else round(remaining, 1))
        return dict(status=status, error=error, progress=progress,
                    model=None if model is None else describe_model(model, source))


def describe_model(model: TrainedModel, source: str | None = None) -> dict[str, Any]:
    """The facts the page shows about a model: preset, layer sizes, accuracy, ...

    ``source`` (the model file) is given by its file name only: the folders it sits in are
    the server's business, not the page's.
    """
    meta, cfg, net = model.metadata, model.config, model.network
    return dict(
        preset=meta.get("preset") if isinstance(meta.get("preset"), str) else None,
        dataset=dataset_name(model), seed=None if cfg is None else cfg.seed,
        layer_sizes=[int(s) for s in net.layer_sizes], activation=net.activation.name,
        output_activation=net.output_activation.name, cost=net.cost.name,
        optimizer=None if cfg is None else cfg.optimizer,
        test_accuracy=finite(meta.get("test_accuracy")),
        train_accuracy=finite(meta.get("train_accuracy")),
        classes=[c.item() if hasattr(c, "item") else c for c in model.classes],
        n_features=int(model.n_features), side=input_side(model), pixel_max=pixel_max(model),
        source=None if source is None else os.path.basename(source))


def _train_in_background(state: ModelState, preset: str, seed: int, runs_dir: str,
                         overrides: dict[str, Any]) -> None:
    """Thread body: train ``preset`` and leave its run folder under ``runs_dir`` as every run
    does (``pipeline.train_preset`` with ``run_dir``), then hand the model to the page."""
    from .. import pipeline
    try:
        model, _, metrics = pipeline.train_preset(
            preset, seed=seed, callbacks=[state], run_dir=new_run_dir(runs_dir),
            title=f"{preset} preset, seed {seed} (serve's first start)", **overrides)
    except _Cancelled:
        state.fail("stopped", "the server stopped before training finished")
        return
    except Exception as exc:  # noqa: BLE001 - reported on the page and by GET /api/model
        state.fail("failed", one_line(f"training the {preset} preset failed: "
                                      f"{type(exc).__name__}: {exc}"))
        return
    if "paths" in metrics:
        source = metrics["paths"]["model"]
    else:
        source = f"trained at start, not saved ({one_line(metrics.get('save_error', ''))})"
    state.set_model(model, source)


class _SecurityHeaders:
    """ASGI middleware: a strict Content-Security-Policy and friends on every response (the
    API's documentation page, /docs, may also load Swagger UI from its CDN)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        extra = SECURITY_HEADERS
        if scope["path"] == "/docs":
            extra = [(b"content-security-policy", DOCS_POLICY), *SECURITY_HEADERS[1:]]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(model: TrainedModel | None = None, model_path: str | None = None, *,
               runs_dir: str = "runs", preset: str | None = None, seed: int = 0,
               train_overrides: dict[str, Any] | None = None,
               body_timeout: float = BODY_TIMEOUT) -> FastAPI:
    """The draw-a-digit app.

    Parameters
    ----------
    model : TrainedModel, optional
        Serve this model.
    model_path : str, optional
        Else load this model file (``FileNotFoundError`` or ``ModelFileError`` if it cannot).
    runs_dir : str
        Else load ``runs_dir/latest/model.npz`` if it exists; else, when the app starts
        (its lifespan), train ``preset`` once in a background thread, then save its run
        folder as ``runs_dir/<timestamp>/`` (as any run) and point ``runs_dir/latest`` at it.
    preset : str, optional
        The preset trained then: ``best`` by default (``tutorial`` if there is no ``best``).
    seed : int
        Split and initial weights of that training.
    train_overrides : dict, optional
        Settings passed on to ``pipeline.train_preset`` (any ``TrainConfig`` setting,
        e.g. ``epochs``).
    body_timeout : float
        Seconds a client has to send a request's whole body (408 after that), on every
        endpoint that reads one.

    Notes
    -----
    The app does not check the Host header nor bound connections and header reads: those
    depend on the address it is served on, and ``web.server.uvicorn_config`` sets them up
    (``neuralpath serve`` and ``background_server`` use it).
    """
    state = initial_state(model, model_path, runs_dir, preset)
    live_runs = LiveRuns(runs_dir)  # /train: watch a network learn
    training = _FirstStart(state, seed, runs_dir, dict(train_overrides or {}), live_runs.line)
    app = FastAPI(title="neuralpath: draw a digit", lifespan=training.lifespan(live_runs),
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json",
                  description="The draw-a-digit page's API and the live training view's. "
                              'Every error is JSON {"error": message}; a body the request '
                              "models refuse is a 422 with FastAPI's detail list beside it.")
    app.state.model_state, app.state.live_runs = state, live_runs
    app.add_middleware(SessionMiddleware, sessions=live_runs.sessions)
    app.add_middleware(RequestGuard, limits={"/api/predict": MAX_BODY,
                                             "/api/train/{run_id}/predict": MAX_BODY},
                       limit=MAX_SETTINGS_BODY, timeout=body_timeout)
    app.add_middleware(_SecurityHeaders)
    add_error_handlers(app)
    answer = answerer()
    app.include_router(make_router(live_runs, lambda session: version_of(state, session),
                                   answer))
    _add_draw_routes(app, state, live_runs, answer)
    document(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def initial_state(model: TrainedModel | None, model_path: str | None, runs_dir: str,
                  preset: str | None) -> ModelState:
    """The page's model at start: ``model``, else the file ``model_path``, else the runs'
    latest; else none yet, and the preset the first start will train (checked here, so a
    wrong name fails at once rather than in the background)."""
    from ..presets import PRESETS
    state = ModelState()
    latest = os.path.join(runs_dir, "latest", "model.npz")
    if model is not None:
        if not isinstance(model, TrainedModel):
            raise TypeError(f"model must be a TrainedModel, got {type(model).__name__}")
        state.set_model(model, None)  # made in Python: no file to name
    elif model_path is not None:
        state.set_model(load(model_path), os.fspath(model_path))
    elif os.path.exists(latest):
        state.set_model(load(latest), latest)
    else:
        state.preset = preset or ("best" if "best" in PRESETS else "tutorial")
        if state.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {state.preset!r}")
    return state


class _FirstStart:
    """``serve``'s first start: with no model yet, the app's lifespan trains one in a
    background thread, in a computing slot of the live runs' ``line`` (so the server never
    computes more runs at once than it has slots); at shutdown that training and the live
    runs are stopped."""

    def __init__(self, state: ModelState, seed: int, runs_dir: str,
                 overrides: dict[str, Any], line: Line) -> None:
        self.state, self.seed, self.runs_dir, self.overrides = state, seed, runs_dir, overrides
        self.line = line

    def start(self) -> None:
        """Start training unless there is a model or a training already."""
        state = self.state
        if state.model is not None or (state.thread is not None and state.thread.is_alive()):
            return
        with state.lock:
            state.status, state.error = "training", None
        state.stop.clear()
        state.thread = threading.Thread(target=self._train, name="neuralpath-train",
                                        daemon=True)
        state.thread.start()

    def _train(self) -> None:
        """Thread body: take a slot (at start, one is free), train, give it back."""
        key = "serve's first start"
        if not self.line.wait_turn(key, self.line.ticket(), self.state.stop.is_set):
            self.state.fail("stopped", "the server stopped before training finished")
            return
        try:
            _train_in_background(self.state, str(self.state.preset), self.seed, self.runs_dir,
                                 self.overrides)
        finally:
            self.line.release(key)

    async def stop(self) -> None:
        """Ask the training to stop (its next step raises) and wait for it."""
        if self.state.thread is not None:
            self.state.stop.set()
            await run_in_threadpool(self.state.thread.join, 30)

    def lifespan(self, live_runs: LiveRuns) -> Callable[[FastAPI], Any]:
        """The app's lifespan: start, serve, then stop the live runs and this training. Runs
        train side by side in this process, one BLAS thread each (``LiveRuns.side_by_side``)."""
        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            with live_runs.side_by_side():
                self.start()
                yield
                await run_in_threadpool(live_runs.stop_all)
                await self.stop()
        return lifespan


def version_of(state: ModelState, session: Session) -> str:
    """The version of ``session``'s draw network: changes whenever that network changes
    (the browser chose another, or the server's model changed)."""
    return f"{state.changes}.{session.model_changes}"


def answerer() -> Answer:
    """The draw view's answer to a ``PredictRequest`` with a model (``predict``, in a worker
    thread), shared by ``POST /api/predict`` and the training page's pad: large pictures are
    decoded ``DECODERS`` at a time, so a burst of them leaves room for the pages' small
    canvases (which never wait for them)."""
    limits: dict[str, anyio.CapacityLimiter] = {}  # made in the event loop, on first use

    async def answer(model: TrainedModel, request: PredictRequest) -> dict[str, Any]:
        kind, value = request.kind()
        if kind == "image" and await run_in_threadpool(picture_pixels, value) > LARGE_PICTURE:
            if "decoders" not in limits:
                limits["decoders"] = anyio.CapacityLimiter(DECODERS)
            return await anyio.to_thread.run_sync(predict, model, kind, value,
                                                  limiter=limits["decoders"])
        return await run_in_threadpool(predict, model, kind, value)
    return answer


def _add_draw_routes(app: FastAPI, state: ModelState, live_runs: LiveRuns,
                     answer: Answer) -> None:
    """The draw view: its page, ``GET /api/model`` and ``POST /api/predict``, each with the
    request's browser's draw network (the server's unless it chose a live run's)."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    def chosen(request: Request) -> tuple[Session, TrainedModel | None, str | None]:
        session = session_of(request)
        with live_runs.lock:
            run_id = session.model_run
            label = None
            if run_id is not None and run_id in session.runs:
                label = session.runs[run_id].label
            return session, session.model, f"live run: {label or run_id}"

    @app.get("/api/model")
    async def get_model(request: Request) -> JSONResponse:
        session, model, source = chosen(request)
        info = state.describe()
        if model is not None:  # this browser chose a live run's network
            info.update(status="ready", error=None, progress=None,
                        model=describe_model(model, None) | {"source": source})
        info["version"] = version_of(state, session)
        return JSONResponse(info, headers={"Cache-Control": "no-store"})

    app.head("/api/model", include_in_schema=False)(get_model)  # one operation in /docs

    @app.post("/api/predict")
    async def post_predict(request: PredictRequest, http: Request) -> Any:
        session, model, _ = chosen(http)
        version = version_of(state, session)
        if model is None:
            model = state.ready()
        return await answer(model, request) | {"version": version}
