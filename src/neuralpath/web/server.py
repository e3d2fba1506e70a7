"""Running the app on uvicorn: a listening socket, its limits, and a server in a thread.

``neuralpath serve`` (commands/serve.py) and the tests and scripts that need a real server (a
browser needs one) start it through these, so all of them listen, guard and start the same way.
Nothing here prints.

The guards, for a server anyone on the network (or any web page, by DNS rebinding) can reach:

- Starlette's ``TrustedHostMiddleware``: a request whose Host header is not a name the server
  was bound for is answered 400, so a page on ``evil.example`` that resolves to 127.0.0.1
  cannot read the API.
- uvicorn's public settings: ``limit_concurrency`` (``MAX_CONNECTIONS`` open connections; a
  request beyond them is answered 503), ``timeout_keep_alive`` (an idle kept-alive connection
  is closed), ``h11_max_incomplete_event_size`` (headers over ``MAX_HEADER_BYTES`` are refused)
  and ``timeout_graceful_shutdown`` (open event streams do not hold a stop).
- ``header_deadline_protocol``: uvicorn has no deadline for a request's headers (a client that
  sends one byte a second holds its connection for ever), so its h11 protocol gets one (408
  and close). That class is uvicorn's own, not its public API: the web extra pins the uvicorn
  releases it was tested with (``UVICORN_RANGE``; tests/test_server.py fails outside them).
- The body's deadline and size are the app's (``web.api.RequestGuard``, ``create_app(
  body_timeout=...)``): 408 and close.

So a slot is held by a stalled client for a deadline at most (``HEADER_TIMEOUT`` or the body's),
and ``MAX_CONNECTIONS`` is far above what 64 stalled bodies and 70 slow header senders take:
benchmarks/connection_hold.py shows a normal request answered meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import json
import logging
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import Any

HEADER_TIMEOUT = 10.0  # seconds from a connection (or its previous answer) to a request's headers
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)
# open connections (uvicorn's limit_concurrency): a request beyond them is answered 503. Each
# costs a file descriptor and a few kB; a stalled one is dropped at its deadline
MAX_CONNECTIONS = 1000
SHUTDOWN_GRACE = 5  # seconds open requests (event streams) get when the server stops
# the uvicorn releases header_deadline_protocol was tested with (the web extra pins them)
UVICORN_LOWEST, UVICORN_BELOW = (0, 54), (0, 55)  # tested: 0.54.0
UVICORN_RANGE = ">={},<{}".format(*(".".join(map(str, v)) for v in (UVICORN_LOWEST, UVICORN_BELOW)))
MAX_HEADER_BYTES = 16 * 1024  # a request line and headers larger than this are refused
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOG = logging.getLogger("uvicorn.error")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; ``ValueError`` with the reason if not possible."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"--host {host!r} is not an address this machine can use "
                         f"({exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ValueError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (a loopback address or localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _raw_response(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 response with a JSON ``{"error": message}`` body that closes."""
    body = json.dumps({"error": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


def header_deadline_protocol(header_timeout: float = HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline for a request's headers.

    Parameters
    ----------
    header_timeout : float
        Seconds a connection has, from its start or from the previous answer on it, to send
        a request's complete headers; after that it is answered 408 and closed (the client
        that sent half a header and waits holds nothing for long).

    Returns
    -------
    type
        A protocol class for ``uvicorn.Config(http=...)``. It overrides four of
        ``H11Protocol``'s methods and reads ``conn``, ``transport`` and ``loop``: uvicorn's
        internals, tested with the releases in ``UVICORN_RANGE``.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineH11Protocol(H11Protocol):
        """H11Protocol plus a deadline for headers."""

        header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self.header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self.header_timer is not None:
                self.header_timer.cancel()
                self.header_timer = None

        def _headers_late(self) -> None:
            self.header_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self.conn.our_state is h11.IDLE and self.conn.trailing_data[0]:
                # part of a request came: tell the client why it is dropped
                self.transport.write(_raw_response(
                    408, "Request Timeout",
                    f"the request's headers did not arrive within {header_timeout:g} s"))
            self.transport.close()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the headers are complete
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm()  # the next request's headers get the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineH11Protocol


def uvicorn_is_tested(version: str | None = None) -> bool:
    """Whether ``version`` (the installed uvicorn's by default) is in ``UVICORN_RANGE``."""
    if version is None:
        import uvicorn
        version = uvicorn.__version__
    found = re.match(r"(\d+)\.(\d+)", version)
    return found is not None and UVICORN_LOWEST <= (int(found[1]), int(found[2])) < UVICORN_BELOW


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names a request's Host header may give for a server bound to ``host``.

    A loopback bind allows localhost, 127.0.0.1 and ::1; a wildcard bind (0.0.0.0, ::) also
    allows this machine's name and the addresses it resolves to; any bind allows its own
    address and the names in ``extra`` (``neuralpath serve --allow-host``).
    """
    names = {host.lower().strip("[]"), *(e.lower().strip("[]") for e in extra)}
    if is_loopback(host) or host in ("0.0.0.0", "::", ""):
        names.update(LOOPBACK_NAMES)
    if host in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
        names.update({name.lower(), socket.getfqdn(name).lower()})
        with contextlib.suppress(OSError, UnicodeError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
    names.discard("")
    return frozenset(names)


def trusted_host_patterns(names: Iterable[str]) -> list[str]:
    """``allowed_hosts`` names as ``TrustedHostMiddleware`` compares them: an IPv6 address in
    brackets (as a Host header gives it), a name also with a final dot (``localhost.``)."""
    patterns = []
    for name in sorted(names):
        if ":" in name:
            patterns.append(f"[{name}]")
        else:
            patterns += [name] if _is_ip(name) else [name, f"{name}."]
    return patterns


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def uvicorn_config(app: Any, host: str, *, extra_hosts: Iterable[str] = (),
                   access_log: bool = False, header_timeout: float = HEADER_TIMEOUT,
                   max_connections: int = MAX_CONNECTIONS, keep_alive: int = KEEP_ALIVE,
                   shutdown_grace: int = SHUTDOWN_GRACE) -> Any:
    """The ``uvicorn.Config`` every neuralpath server runs with.

    Parameters
    ----------
    app : ASGI application
        The app (``create_app``); it is wrapped in ``TrustedHostMiddleware`` for ``host``.
    host : str
        The address the server's socket is bound to.
    extra_hosts : iterable of str
        More names the Host header may give.
    access_log : bool
        Log a line per request to stderr (uvicorn's access log).
    header_timeout : float
        See ``header_deadline_protocol``.
    max_connections : int
        Open connections (uvicorn's ``limit_concurrency``); a request beyond them is 503.
    keep_alive : int
        Seconds an idle keep-alive connection stays open.
    shutdown_grace : int
        Seconds open requests get when the server stops.

    Returns
    -------
    uvicorn.Config
    """
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"  # stdout is for results
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    if not uvicorn_is_tested():
        LOG.warning("uvicorn %s is not one of the releases (%s) the header deadline was tested "
                    "with", uvicorn.__version__, UVICORN_RANGE)
    guarded = TrustedHostMiddleware(
        app, allowed_hosts=trusted_host_patterns(allowed_hosts(host, extra_hosts)),
        www_redirect=False)
    config = uvicorn.Config(
        guarded, log_level="warning", ws="none", lifespan="on", server_header=False,
        access_log=access_log, log_config=log_config, http=header_deadline_protocol(header_timeout),
        limit_concurrency=max_connections, timeout_keep_alive=keep_alive,
        timeout_graceful_shutdown=shutdown_grace, h11_max_incomplete_event_size=MAX_HEADER_BYTES)
    if access_log:  # uvicorn ties the access log to log_level: warning would hide it
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    return config


def url_of(sock: socket.socket) -> str:
    """The http URL a listening socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def background_server(app: Any, host: str = "127.0.0.1", port: int = 0,
                      timeout: float = 20.0, **limits: Any) -> Iterator[str]:
    """Run ``app`` on uvicorn in a thread while the block runs; yields its base URL.

    For tests and scripts (a browser needs a real server). ``port=0`` picks a free port;
    ``limits`` go to ``uvicorn_config`` (e.g. ``header_timeout=1``).
    """
    import uvicorn
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn_config(app, host, **limits))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="neuralpath-serve", daemon=True)
    thread.start()
    try:
        waited = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if server.started or not thread.is_alive():
                break
            waited.wait(0.02)
        if not server.started:
            raise RuntimeError("the server did not start")
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
