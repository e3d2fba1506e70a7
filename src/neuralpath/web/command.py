"""``neuralpath serve``: the draw-a-digit page on uvicorn.

A plug-in of the command line (``cli.PLUGINS``): ``HELP``, ``add_arguments`` and ``run``.
FastAPI and uvicorn are imported inside ``run`` only, so ``neuralpath --help`` works
without the ``web`` extra.
"""
from __future__ import annotations

import argparse
import contextlib
import ipaddress
import socket
import sys
import threading

HELP = "serve the draw-a-digit page: draw a digit, watch the network answer"


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("--model", help="model file (default runs/latest/model.npz; if there "
                                         "is none, train the best preset once at start)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port (default 8000; 0 picks a free one)")


def listen(host, port):
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


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _url(sock):
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def background_server(app, host="127.0.0.1", port=0, timeout=20.0):
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
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def run(args):
    try:
        import uvicorn

        from .app import create_app, describe_model
    except ImportError as exc:
        print(f"neuralpath: serve needs the web extra ({exc}); install it with "
              "pip install 'neuralpath[web]'", file=sys.stderr)
        return 1
    app = create_app(model_path=args.model)
    state = app.state.model_state
    sock = listen(args.host, args.port)
    host = sock.getsockname()[0]
    if state.model is not None:
        info = describe_model(state.model, state.source)
        accuracy = info["test_accuracy"]
        print(f"neuralpath: model {info['source']}: preset {info['preset']}, layer sizes "
              f"{info['layer_sizes']}" + (f", test accuracy {accuracy:.2%}"
                                          if accuracy is not None else ""), file=sys.stderr)
    else:
        print(f"neuralpath: no model in runs/latest: training the {state.preset} preset in the "
              "background (the page shows its progress), then saving it under runs/",
              file=sys.stderr)
    if not _is_loopback(host):
        print(f"neuralpath: warning: {host} can be reached from other machines, and the page "
              "has no login", file=sys.stderr)
    print(f"neuralpath: draw a digit at {_url(sock)}/ (Ctrl-C to stop)", file=sys.stderr)
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on",
                            server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("neuralpath: server stopped", file=sys.stderr)
    return 0
