"""Running the app on uvicorn: a listening socket, and a server in a background thread.

``neuralpath serve`` (commands/serve.py) and the tests and scripts that need a real server (a
browser needs one) start it through these, so all of them listen and start the same way.
Nothing here prints.
"""
from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any


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


def url_of(sock: socket.socket) -> str:
    """The http URL a listening socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def background_server(app: Any, host: str = "127.0.0.1", port: int = 0,
                      timeout: float = 20.0) -> Iterator[str]:
    """Run ``app`` on uvicorn in a thread while the block runs; yields its base URL.

    For tests and scripts (a browser needs a real server). ``port=0`` picks a free port.
    """
    import uvicorn
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
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
