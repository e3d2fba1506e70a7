"""What every endpoint of the pages shares: one error type, one guard for requests and bodies.

Every error a client gets is JSON ``{"error": message}``, one line, with a 4xx status for bad
input: the routes raise ``ApiError`` (or FastAPI's own ``HTTPException``, e.g. 404 for an
unknown path), and ``add_error_handlers`` turns each into that answer; a body FastAPI's request
models refuse is a 422 whose ``error`` names the field, with FastAPI's ``detail`` list beside
it (400 if it is not JSON at all). Every request passes ``RequestGuard`` first: state changes
only from the server's own pages (403), bodies declared JSON (415), at most a limit of bytes
(413, known from Content-Length or counted as it arrives), and all of it within a deadline
(408, and the connection closed), so that one slow or huge request cannot hold a worker or a
connection.
"""
from __future__ import annotations

import json
import logging
import math
import re
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

BODY_TIMEOUT = 10.0  # seconds a client has to send the whole body
LOG = logging.getLogger("uvicorn.error")  # uvicorn's log: one line per event, its format
_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]+\b|0x[0-9a-fA-F]{6,}")


class ApiError(Exception):
    """A request an endpoint refuses: answered as ``{"error": message}`` with ``status``
    (and ``headers``, e.g. Retry-After); ``field`` (a setting's name) is added to the answer
    as ``"field"`` when the refusal is about one field of a form."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.field = status, message, headers, field


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


class RequestGuard:
    """ASGI middleware: what every request must be before the app sees it.

    - A request that may change state (any method but GET, HEAD and OPTIONS) must come from the
      server's own pages: one a browser marks ``Sec-Fetch-Site: cross-site`` or ``same-site``
      (another port of localhost is same-site) or whose ``Origin`` names another host is
      refused (403), so no other web page can stop a run or switch the model, even without
      a body. Scripts and ``curl`` send neither header and are let in.
    - A body must be declared JSON (415; that also keeps other sites' plain form posts out),
      at most ``limit`` bytes (413: from Content-Length before anything is read, and counted
      as it arrives, since a chunked body has no Content-Length and a client may send more than
      it declared) and all of it must arrive within ``timeout`` seconds (408).

    Every refusal is ``{"error": message}`` and closes the connection (its body was not read),
    so a client that sends half a body holds its connection for ``timeout`` seconds at most.
    The body is read whole here and handed on, so FastAPI's own body parsing (the request
    models) never waits on a client. A client that leaves mid-body is one line in the log.

    Parameters
    ----------
    app : ASGI application
    limits : dict of str to int
        The largest body of a path (``/api/predict``: a picture); other paths take ``limit``.
        A path may hold ``{name}`` parts, each one path segment, as FastAPI's routes do
        (``/api/train/{run_id}/predict``).
    limit : int
        The largest body of any other path.
    timeout : float
        Seconds a client has to send a whole body.
    """

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, app: Any, limits: dict[str, int] | None = None, limit: int = 64 * 1024,
                 timeout: float = BODY_TIMEOUT) -> None:
        self.app, self.limit, self.timeout = app, limit, timeout
        self.limits = [(re.compile("".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}/]*\})", path))), size)
            for path, size in (limits or {}).items()]

    def _limit(self, path: str) -> int:
        """The largest body ``path`` may have."""
        return next((size for pattern, size in self.limits if pattern.fullmatch(path)),
                    self.limit)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Refuse a request that breaks a rule; else read its body and hand it on."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _refuse(send, *refusal)
        limit = self._limit(scope["path"])
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        client = scope.get("client")
                        LOG.warning("%s left before sending the whole body (%d bytes came)",
                                    f"{client[0]}:{client[1]}" if client else "a client", size)
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        return await _refuse(send, 413, f"the body may hold at most {limit} "
                                                        "bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return await _refuse(send, 408, f"the body did not arrive within {self.timeout:g} "
                                            f"s ({size} bytes came)")
        body, handed = b"".join(chunks), False
        if body and _kind(headers) != "application/json":  # a body no header announced
            return await _refuse(send, 415, _NOT_JSON.format(_kind(headers) or
                                                             "no Content-Type"))

        async def replay() -> dict[str, Any]:
            nonlocal handed
            if not handed:
                handed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # only a disconnect can come now

        await self.app(scope, replay, send)

    def _refusal(self, scope: dict[str, Any], headers: Headers) -> tuple[int, str] | None:
        """(status, message) if the request's headers already break a rule, else None."""
        if scope["method"] not in self.SAFE:
            site = headers.get("sec-fetch-site", "").lower()
            if site and site not in ("same-origin", "none"):
                return 403, (f"this request came from another site ({site}); only the "
                             "server's own pages may change its state")
            origin = headers.get("origin")
            if origin is not None and urlsplit(origin).netloc.lower() != \
                    headers.get("host", "").lower():
                return 403, ("this request came from another origin; only the server's own "
                             "pages may change its state")
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if (declared is None or declared == "0") and not chunked:
            return None
        if _kind(headers) != "application/json":
            return 415, _NOT_JSON.format(_kind(headers) or "no Content-Type")
        limit = self._limit(scope["path"])
        if declared is not None:
            if not declared.isdigit():
                return 400, f"Content-Length must be a whole number, got {declared!r}"
            if int(declared) > limit:
                return 413, f"the body may hold at most {limit} bytes, got {int(declared)}"
        return None


_NOT_JSON = "send the request as JSON (Content-Type: application/json), got {!r}"


def _kind(headers: Headers) -> str:
    """The media type a request's Content-Type declares, lower case ('' if none)."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


async def _refuse(send: Any, status: int, message: str) -> None:
    """Answer ``{"error": message}`` with ``status`` and close the connection."""
    body = json.dumps({"error": one_line(message)}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


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


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   field: str | None = None) -> JSONResponse:
    """``{"error": message}`` (one line) with ``status``, and ``"field"`` if given."""
    content: dict[str, Any] = {"error": one_line(message)}
    if field is not None:
        content["field"] = field
    return JSONResponse(content, status_code=status, headers=headers)


def validation_response(errors: Any) -> JSONResponse:
    """The answer to a body FastAPI's request models refuse: 400 if it is not JSON at all,
    else 422 with ``error`` (one line naming each field, for the pages) and FastAPI's own
    ``detail`` list (``loc``, ``msg``, ``type`` of each error; the input is not echoed)."""
    errors = list(errors)
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next(str(e.get("ctx", {}).get("error", "")) for e in errors
                      if e.get("type") == "json_invalid")
        return error_response(400, f"the body is not valid JSON ({reason[:200]}); send a JSON "
                                   "object")
    detail = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in errors[:20]]
    message = "; ".join(f"{field_of(e.get('loc', ()))}: {e.get('msg')}" for e in detail[:3])
    if len(errors) > 3:
        message += f" (and {len(errors) - 3} more)"
    return JSONResponse({"error": one_line(message), "detail": jsonable_encoder(detail)},
                        status_code=422)


def field_of(loc: Any) -> str:
    """The field a validation error's ``loc`` names: ``("body", "pixels", 3)`` -> ``pixels[3]``,
    the whole body -> ``body``."""
    parts = list(loc)[1:] if list(loc)[:1] == ["body"] else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``{"error": message}``: ``ApiError`` and FastAPI's
    own with their status, a request FastAPI cannot validate with 422, and anything
    unexpected with 500 and a one-line message, never a traceback."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.headers, exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc.errors())

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, f"internal error ({type(exc).__name__}); the server log "
                                   "has details")
