"""Browser sessions: each browser its own runs and its own draw network, with no accounts.

``SessionMiddleware`` gives every request a ``Session``: the one its ``neuralpath_session``
cookie names, or a new one (a random ``secrets.token_urlsafe`` id, set as an HttpOnly,
SameSite=Lax cookie for a week) when the cookie is missing, malformed or unknown to this
server (after a restart, or dropped). The page's fetches and event streams send the cookie by
themselves (same origin), so nothing else in the page has to know.

The table is bounded (``MAX_SESSIONS``): a new session takes the place of the least recently
seen one that has nothing (no run, no chosen network), else of the least recently seen one with
no run waiting or training (its kept runs and chosen network go with it); when every session
has a run going, a new browser is answered 429 in plain words.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from .api import ApiError, error_response

if TYPE_CHECKING:
    from ..model import TrainedModel
    from .live import LiveRun

COOKIE = "neuralpath_session"
MAX_AGE = 7 * 24 * 3600  # seconds a browser keeps its cookie
MAX_SESSIONS = 500  # browsers this server keeps at a time
MAX_REMOVED = 64  # ids of removed runs a session remembers (to say why they are gone)
_VALID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class Session:
    """One browser: its runs (oldest first), its chosen draw network and why runs went away.

    Every field changes under the table's lock (``Sessions.lock``)."""

    def __init__(self, session_id: str, now: float) -> None:
        self.id, self.last_seen = session_id, now
        self.runs: OrderedDict[str, LiveRun] = OrderedDict()
        self.removed: OrderedDict[str, str] = OrderedDict()  # run id -> why it is gone
        self.model: TrainedModel | None = None  # None: the server's model
        self.model_run: str | None = None  # the run the chosen network came from
        self.model_changes = 0  # bumped whenever the chosen network changes

    def active(self) -> LiveRun | None:
        """The run this browser has waiting or training (at most one), or None."""
        return next((r for r in self.runs.values() if r.is_active()), None)

    def is_empty(self) -> bool:
        return not self.runs and self.model is None

    def forget(self, run_id: str, reason: str) -> None:
        """Drop run ``run_id`` from this session and remember why (bounded)."""
        self.runs.pop(run_id, None)
        self.removed[run_id] = reason
        while len(self.removed) > MAX_REMOVED:
            self.removed.popitem(last=False)

    def use_model(self, model: TrainedModel | None, run_id: str | None) -> None:
        """Draw with ``model`` (None: the server's again)."""
        self.model, self.model_run = model, run_id
        self.model_changes += 1


class Sessions:
    """The table of sessions, least recently seen first.

    Parameters
    ----------
    max_sessions : int
        Sessions kept at a time.
    on_drop : callable, optional
        Called with a session dropped from the table (under the lock: it must not block);
        the live runs stop its runs there.
    clock : callable
        The clock of ``last_seen``.
    """

    def __init__(self, max_sessions: int = MAX_SESSIONS,
                 on_drop: Callable[[Session], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_sessions, self.on_drop, self.clock = max_sessions, on_drop, clock
        self.lock = threading.RLock()
        self.table: OrderedDict[str, Session] = OrderedDict()

    def find(self, session_id: str | None) -> Session | None:
        """The session ``session_id`` names, marked as just seen; None if there is none."""
        if not isinstance(session_id, str) or not _VALID.fullmatch(session_id):
            return None
        with self.lock:
            session = self.table.get(session_id)
            if session is not None:
                session.last_seen = self.clock()
                self.table.move_to_end(session_id)
            return session

    def new(self) -> Session:
        """A new session; ``ApiError`` 429 when every place holds a browser with a run going."""
        with self.lock:
            if len(self.table) >= self.max_sessions:
                self._drop_one()
            session = Session(secrets.token_urlsafe(32), self.clock())
            self.table[session.id] = session
            return session

    def _drop_one(self) -> None:
        candidates = list(self.table.values())  # least recently seen first
        victim = next((s for s in candidates if s.is_empty()), None) or \
            next((s for s in candidates if s.active() is None), None)
        if victim is None:
            raise ApiError(429, f"this server is busy with {len(self.table)} browsers, each "
                                "with a run going, the most it takes; try again in a minute",
                           {"Retry-After": "30"})
        del self.table[victim.id]
        if self.on_drop is not None:
            self.on_drop(victim)

    def __len__(self) -> int:
        with self.lock:
            return len(self.table)


def cookie_header(session: Session) -> bytes:
    """The Set-Cookie value that gives a browser ``session``."""
    return (f"{COOKIE}={session.id}; Max-Age={MAX_AGE}; Path=/; HttpOnly; "
            "SameSite=Lax").encode("latin-1")


class SessionMiddleware:
    """ASGI middleware: put the request's ``Session`` in ``scope["state"]["session"]``, and
    set the cookie on the answer when the session is new."""

    def __init__(self, app: Any, sessions: Sessions) -> None:
        self.app, self.sessions = app, sessions

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
        session = self.sessions.find(cookies.get(COOKIE))
        fresh = session is None
        if session is None:
            try:
                session = self.sessions.new()
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.headers)
                return await response(scope, receive, send)
        scope.setdefault("state", {})["session"] = session

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if fresh and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", cookie_header(session))]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_of(request: Any) -> Session:
    """The request's session (``SessionMiddleware`` put it there)."""
    return request.scope["state"]["session"]
