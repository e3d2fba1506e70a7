"""The live training view's HTTP routes (``/train`` and ``/api/train/...``, ``POST /api/model``).

The runs themselves (their worker threads, bounds and registry) are ``web/live.py``'s; this
module only turns requests into calls on a ``LiveRuns`` and its answers into JSON, with the
error type and body reader every endpoint shares (``web/api.py``). The API is described in
``web/live.py``'s docstring.
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
from ..model import TrainedModel
from ..presets import PRESETS
from .api import ApiError, no_store
from .live import ACTIVE, EVENT_INTERVAL, LiveRun, LiveRuns, options

MAX_BODY = 64 * 1024  # bytes of a settings request (web.api.RequestGuard holds them to it)


def _settings_model() -> type[BaseModel]:
    """The ``POST /api/train`` body as a request model, made from ``TrainConfig``'s fields:
    ``preset`` and any setting, each of its type or null (the preset's value; ``batch_size``
    null is the full batch). Its checks (ranges, choices) stay ``TrainConfig``'s: one place."""
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
    """A ``POST /api/model`` body: the live run whose network the draw view uses from now on."""

    model_config = ConfigDict(extra="forbid", strict=True)
    train_id: str = Field(description="the id of a live run (POST /api/train answered it)")
STATIC = os.path.join(os.path.dirname(__file__), "static")


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


def _why_no_model(run: LiveRun, fallback: str) -> str:
    """Why a run has no model (yet): its state while active, else its error."""
    return f"it is {run.state}" if run.state in ACTIVE else run.error or fallback


def make_router(runs: LiveRuns,
                use_model: Callable[[TrainedModel, str | None], None]) -> APIRouter:
    """The live-training routes over ``runs``; ``use_model(model, source)`` switches the draw
    view's model (POST /api/model). Bodies are read (with their deadline) by
    ``web.api.RequestGuard`` and checked by the request models."""
    router = APIRouter()

    @router.get("/train", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(os.path.join(STATIC, "train.html"),
                            headers={"Cache-Control": "no-cache"})

    @router.get("/api/train/options")
    async def get_options() -> JSONResponse:
        return no_store(options())

    @router.post("/api/train", status_code=202)
    async def post_train(settings: TrainSettings | None = None) -> JSONResponse:  # type: ignore[valid-type]
        given: dict[str, Any] = {} if settings is None else settings.model_dump(exclude_unset=True)
        run = await run_in_threadpool(runs.start, given)
        return no_store({"id": run.id, "state": run.state, "total": run.total}, 202)

    @router.get("/api/train/{run_id}")
    async def get_run(run_id: str) -> JSONResponse:
        run = runs.get(run_id)
        run.touch()
        return no_store(run.describe())

    @router.get("/api/train/{run_id}/events")
    async def get_events(run_id: str, request: Request) -> StreamingResponse:
        return StreamingResponse(_events(runs.get(run_id), request),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @router.post("/api/train/{run_id}/{action}")
    async def control(run_id: str, action: str) -> JSONResponse:
        run = runs.get(run_id)
        actions = {"pause": run.pause, "resume": run.resume, "step": run.step,
                   "stop": run.stop}
        if action not in actions:
            raise ApiError(404, f"action must be one of {sorted(actions)}, got {action!r}")
        run.touch()
        await run_in_threadpool(actions[action])  # waits for the worker to obey
        return no_store(run.describe(full=False))

    @router.get("/api/train/{run_id}/model.npz")
    async def download(run_id: str) -> FileResponse:
        run = runs.get(run_id)
        if run.model_path is None:
            raise ApiError(409, f"run {run_id} has no saved model "
                                f"({_why_no_model(run, 'it made no update')})")
        return FileResponse(run.model_path, media_type="application/octet-stream",
                            filename=f"neuralpath-{run.preset}-{run_id}.npz")

    @router.post("/api/model")
    async def post_model(body: UseModel) -> JSONResponse:
        run = runs.get(body.train_id)
        if run.model is None:
            raise ApiError(409, f"run {run.id} has no network to use yet "
                                f"({_why_no_model(run, 'no update')})")
        source = f"live run {run.id}"  # shown by the draw view (no folders: no slash)
        use_model(run.model, source)
        return no_store({"train_id": run.id, "source": source, "saved_as": run._saved_as()})

    return router
