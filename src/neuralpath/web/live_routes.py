"""The live training view's HTTP routes (``/train``, ``/api/train/...``, ``/api/model``'s
POST and DELETE).

The runs themselves are ``web/live.py``'s (one run) and ``web/registry.py``'s (every
browser's); this module only turns requests into calls on a ``LiveRuns`` for the request's
session (``web/sessions.py``) and its answers into JSON, with the error type and body reader
every endpoint shares (``web/api.py``). The API is described in ``web/live.py``'s docstring.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import typing
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from ..config import TrainConfig, help_of
from ..presets import PRESETS
from .api import ApiError, json_object, no_store
from .live import ACTIVE, EVENT_INTERVAL, MAX_PACE, LiveRun
from .predict import Answer, PredictRequest
from .registry import LiveRuns
from .rows import rows_options
from .sessions import Session, session_of
from .settings import came, options

MAX_BODY = 64 * 1024  # bytes of a settings request (web.api.RequestGuard holds them to it)
QUEUED_INTERVAL = 0.5  # seconds between two looks at a waiting run for its event stream


def _settings_model() -> type[BaseModel]:
    """The ``POST /api/train`` body as a request model, made from ``TrainConfig``'s fields:
    ``preset`` and any setting, each of its type or null. It documents the body (/docs);
    the body itself is read by ``settings.parse_settings``, which answers in the page's
    words, with ``TrainConfig``'s checks: one place."""
    hints = typing.get_type_hints(TrainConfig)
    fields: dict[str, Any] = {"preset": (
        Literal[tuple(PRESETS)], Field("tutorial", description="the preset the settings "  # type: ignore[misc]
                                                                "change; default tutorial"))}
    for f in dataclasses.fields(TrainConfig):
        fields[f.name] = (hints[f.name] | None, Field(None, description=help_of(f.name)))
    return create_model("TrainSettings", __config__=ConfigDict(extra="forbid", strict=True,
                                                              allow_inf_nan=False),
                        **fields)


TrainSettings = _settings_model()


class UseModel(BaseModel):
    """A ``POST /api/model`` body: the live run whose network this browser's draw view uses
    from now on (null: the server's model again)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    train_id: str | None = Field(description="the id of one of this browser's live runs "
                                             "(POST /api/train answered it), or null")


class Speed(BaseModel):
    """A ``POST /api/train/{id}/speed`` body."""

    model_config = ConfigDict(extra="forbid", strict=False, allow_inf_nan=False)
    steps_per_second: float | None = Field(
        description=f"optimizer steps a second, more than 0 and at most {MAX_PACE:g}; null: "
                    "as fast as it goes")


def steps_per_second(body: dict[str, Any]) -> float | None:
    """The pace a ``/speed`` body asks for; ``ApiError`` 422 in plain words otherwise."""
    unknown = sorted(set(body) - {"steps_per_second"})
    if unknown or "steps_per_second" not in body:
        raise ApiError(422, 'send {"steps_per_second": a number of steps a second, or null for '
                            'as fast as it goes}', field="steps_per_second")
    pace = body["steps_per_second"]
    if pace is None:
        return None
    if (isinstance(pace, bool) or not isinstance(pace, (int, float))
            or not 0 < pace <= MAX_PACE):
        raise ApiError(422, f"Speed must be more than 0 and at most {MAX_PACE:g} steps a second "
                            f"(or none: as fast as it goes); {came(pace)}",
                       field="steps_per_second")
    return float(pace)


STATIC = os.path.join(os.path.dirname(__file__), "static")


async def _events(run: LiveRun, request: Request) -> AsyncIterator[str]:
    """The event stream of one run: an ``update`` at most every EVENT_INTERVAL seconds when
    something changed, a comment now and then to keep the connection, ``end`` at the end."""
    n_cost, mark, quiet = 0, None, 0
    while True:
        run.touch()
        payload, n_cost, mark = run.update_since(n_cost, mark)
        if payload is not None:
            quiet = 0
            yield f"event: update\ndata: {json.dumps(payload, allow_nan=False)}\n\n"
            if payload["state"] not in ACTIVE:
                yield "event: end\ndata: {}\n\n"
                return
        else:
            quiet += 1
            if quiet % 30 == 0:  # every 3 to 15 s: keeps proxies from closing an idle stream
                yield ": still here\n\n"
        if await request.is_disconnected():
            return
        # a waiting run's place changes seldom: a class's 30 waiting streams woken 10 times a
        # second took the interpreter from the runs that compute (benchmarks/class_load.py)
        await asyncio.sleep(QUEUED_INTERVAL if run.state == "queued" else EVENT_INTERVAL)


def _why_no_model(run: LiveRun, fallback: str) -> str:
    """Why a run has no model (yet): its state while active, else its error."""
    return f"it is {run.state}" if run.state in ACTIVE else run.error or fallback


def make_router(runs: LiveRuns, version_of: Callable[[Session], str],
                answer: Answer) -> APIRouter:
    """The live-training routes over ``runs``; ``version_of(session)`` is the version of a
    session's draw network (``GET /api/model`` tells the same), ``answer(model, request)``
    the draw view's answer (``web.app.answerer``), given by a run's pad with its network.
    Bodies are read (with their deadline) by ``web.api.RequestGuard``; the session comes
    from ``web.sessions.SessionMiddleware``."""
    router = APIRouter()

    @router.get("/train", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(os.path.join(STATIC, "train.html"),
                            headers={"Cache-Control": "no-cache"})

    @router.get("/api/train/options")
    async def get_options() -> JSONResponse:
        return no_store(dict(options(runs.bounds()), **rows_options()))

    @router.post("/api/train", status_code=202, openapi_extra={"requestBody": {
        "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/TrainSettings"}}}}})
    async def post_train(request: Request) -> JSONResponse:
        body = await request.body()
        given = json_object(body, 'a JSON object of settings, e.g. {"preset": "tutorial"}') \
            if body else {}
        run, replaced = runs.start(session_of(request), given)
        if replaced is not None:  # it ends after its current update: wait for it
            await run_in_threadpool(replaced.stop, replaced.stop_reason or "replaced")
        info = run.describe(full=False)
        return no_store({k: info[k] for k in ("id", "state", "total", "label", "place",
                                              "wait_seconds")} |
                        {"replaced": None if replaced is None else replaced.id}, 202)

    @router.get("/api/train/runs")
    async def list_runs(request: Request) -> JSONResponse:
        return no_store({"runs": runs.listing(session_of(request))})

    @router.get("/api/train/{run_id}")
    async def get_run(run_id: str, request: Request) -> JSONResponse:
        run = runs.get(session_of(request), run_id)
        run.touch()
        return no_store(run.describe())

    @router.get("/api/train/{run_id}/events")
    async def get_events(run_id: str, request: Request) -> StreamingResponse:
        return StreamingResponse(_events(runs.get(session_of(request), run_id), request),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @router.post("/api/train/{run_id}/speed", openapi_extra={"requestBody": {
        "content": {"application/json": {"schema": Speed.model_json_schema()}}}})
    async def speed(run_id: str, request: Request) -> JSONResponse:
        run = runs.get(session_of(request), run_id)
        body = json_object(await request.body(), '{"steps_per_second": a number or null}')
        pace = steps_per_second(body)
        run.touch()
        run.set_pace(pace)
        return no_store(run.describe(full=False))

    @router.post("/api/train/{run_id}/predict")
    async def run_predict(run_id: str, body: PredictRequest, request: Request) -> JSONResponse:
        run = runs.get(session_of(request), run_id)
        run.touch()  # someone draws against it: it is watched
        now = await run_in_threadpool(run.network)  # between two updates
        if now is None:
            raise ApiError(409, f"this run has no network yet ({_why_no_model(run, 'no update')})")
        model, iteration = now
        return no_store(await answer(model, body) | {"iteration": iteration})

    @router.post("/api/train/{run_id}/{action}")
    async def control(run_id: str, action: str, request: Request) -> JSONResponse:
        run = runs.get(session_of(request), run_id)
        actions = {"pause": run.pause, "resume": run.resume, "step": run.step,
                   "stop": run.stop}
        if action not in actions:
            raise ApiError(404, f"action must be one of {sorted(actions)}, got "
                                f"{action[:20]!r}")
        run.touch()
        await run_in_threadpool(actions[action])  # waits for the worker to obey
        return no_store(run.describe(full=False))

    @router.get("/api/train/{run_id}/model.npz")
    async def download(run_id: str, request: Request) -> FileResponse:
        run = runs.get(session_of(request), run_id)
        if run.model_path is None:
            raise ApiError(409, f"this run has no saved model "
                                f"({_why_no_model(run, 'it made no update')})")
        if not os.path.exists(run.model_path):
            raise ApiError(404, "this run's folder was removed: the server keeps only the "
                                "newest run folders the page wrote; use its network or "
                                "train it again")
        return FileResponse(run.model_path, media_type="application/octet-stream",
                            filename=f"neuralpath-{run.preset}-{run_id}.npz")

    @router.post("/api/model")
    async def post_model(body: UseModel, request: Request) -> JSONResponse:
        session = session_of(request)
        if body.train_id is None:
            return no_store(_use(runs, session, None, version_of))
        run = runs.get(session, body.train_id)
        if run.model is None:
            raise ApiError(409, f"this run has no network to use yet "
                                f"({_why_no_model(run, 'no update')})")
        return no_store(_use(runs, session, run, version_of))

    @router.delete("/api/model")
    async def delete_model(request: Request) -> JSONResponse:
        return no_store(_use(runs, session_of(request), None, version_of))

    return router


def document(app: Any) -> None:
    """Put ``TrainSettings`` (the documented body of POST /api/train, read by
    ``settings.parse_settings`` rather than by FastAPI) in ``app``'s OpenAPI schema."""
    made = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = made()
            schema.setdefault("components", {}).setdefault("schemas", {})["TrainSettings"] = \
                TrainSettings.model_json_schema(ref_template="#/components/schemas/{model}")
        return app.openapi_schema

    app.openapi = openapi


def _use(runs: LiveRuns, session: Session, run: LiveRun | None,
         version_of: Callable[[Session], str]) -> dict[str, Any]:
    """Make ``run``'s network ``session``'s draw network (None: the server's again)."""
    with runs.lock:
        session.use_model(None if run is None else run.model, None if run is None else run.id)
    if run is None:
        return {"train_id": None, "source": None, "version": version_of(session)}
    return {"train_id": run.id, "source": f"live run: {run.label}", "label": run.label,
            "saved_as": run.saved_as(), "version": version_of(session)}
