"""What every endpoint of the pages shares: one error type, one body reader, one JSON reader.

Every error a client gets is JSON ``{"error": message}``, one line, with a 4xx status for bad
input: the routes raise ``ApiError`` (or FastAPI's own ``HTTPException``, e.g. 404 for an
unknown path), and ``add_error_handlers`` turns each into that answer. Every endpoint that
reads a body reads it with ``read_body``: declared JSON (415), at most a limit of bytes (413,
known from Content-Length or counted as it arrives), and all of it within a deadline (408),
so that one slow or huge request cannot hold a worker.
"""
from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

BODY_TIMEOUT = 10.0  # seconds a client has to send the whole body
LOG = logging.getLogger("uvicorn.error")  # uvicorn's log: one line per event, its format
_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]+\b|0x[0-9a-fA-F]{6,}")


class ApiError(Exception):
    """A request an endpoint refuses: answered as ``{"error": message}`` with ``status``
    (and ``headers``, e.g. Retry-After)."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def one_line(message: str, limit: int = 500) -> str:
    """``message`` fit for a client: one line, no object addresses, at most ``limit`` characters.

    Pillow and the standard library put ``<_io.BytesIO object at 0x7efd...>`` in their
    messages; a heap address helps an attacker and tells the user nothing.
    """
    text = " ".join(_ADDRESS.sub("<object>", str(message)).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def finite(value: Any) -> float | None:
    """A float for JSON, or None where JSON has no number (NaN, infinity, not a number)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


async def read_body(request: Request, limit: int, timeout: float = BODY_TIMEOUT) -> bytes:
    """The body of a request declared JSON, at most ``limit`` bytes, within ``timeout`` s.

    The Content-Type must say JSON (415): that also keeps other sites' plain form posts out.
    Content-Length is checked before anything is read (400 if it is not a number, 413 if it
    is over ``limit``); the stream is counted as well, because a chunked request has no
    Content-Length and a client may send more than it declared. A body that has not all
    arrived after ``timeout`` seconds is refused (408, and the connection is closed); a
    client that hangs up is one line in the log.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "send the request as JSON (Content-Type: application/json), "
                            f"got {kind or 'no Content-Type'!r}")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, f"Content-Length must be a whole number, got {declared!r}")
        if int(declared) > limit:
            raise ApiError(413, f"the body may hold at most {limit} bytes, got {int(declared)}")
    chunks, size = [], 0
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"the body may hold at most {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {timeout:g} s ({size} bytes came)",
                       {"Connection": "close"}) from None
    except ClientDisconnect:
        client = request.client
        LOG.warning("%s left before sending the whole body (%d bytes came)",
                    f"{client.host}:{client.port}" if client else "a client", size)
        raise ApiError(400, "the client left before sending the whole body") from None
    return b"".join(chunks)


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The JSON object in ``body``: 400 if it does not parse (NaN and Infinity are not JSON
    numbers), 422 if it is not an object; ``what`` says what to send instead."""
    try:
        payload = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ApiError(400, f"the body is not valid JSON ({detail[:200]}); send {what}") from None
    if not isinstance(payload, dict):
        raise ApiError(422, f"the body must be a JSON object: {what}; got a JSON "
                            f"{type(payload).__name__}")
    return payload


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def no_store(content: Any, status: int = 200) -> JSONResponse:
    """A JSON answer that no cache keeps (it changes from one request to the next)."""
    return JSONResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


def error_response(status: int, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": message}`` (one line) with ``status``."""
    return JSONResponse({"error": one_line(message)}, status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``{"error": message}``: ``ApiError`` and FastAPI's
    own with their status, a request FastAPI cannot validate with 422, and anything
    unexpected with 500 and a one-line message, never a traceback."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "the request is not valid: " + "; ".join(
            str(e.get("msg")) for e in exc.errors())[:500])

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, f"internal error ({type(exc).__name__}); the server log "
                                   "has details")
