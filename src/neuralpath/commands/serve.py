"""``neuralpath serve``: the draw-a-digit page on uvicorn.

FastAPI and uvicorn are imported inside ``run`` only, so ``neuralpath --help`` works
without the ``web`` extra.
"""
from __future__ import annotations

import argparse
from typing import IO

HELP = "serve the draw-a-digit page: draw a digit, watch the network answer"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The model, the address and the port."""
    parser.add_argument("--model", help="model file (default runs/latest/model.npz; if there "
                                         "is none, train the best preset once at start)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port (default 8000; 0 picks a free one)")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Load (or train) the model, listen, serve until Ctrl-C."""
    try:
        import uvicorn

        from ..web.app import create_app, describe_model
        from ..web.server import is_loopback, listen, url_of
    except ImportError as exc:
        print(f"neuralpath: serve needs the web extra ({exc}); install it with "
              "pip install 'neuralpath[web]'", file=err)
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
                                          if accuracy is not None else ""), file=err)
    else:
        print(f"neuralpath: no model in runs/latest: training the {state.preset} preset in the "
              "background (the page shows its progress), then saving it under runs/",
              file=err)
    if not is_loopback(host):
        print(f"neuralpath: warning: {host} can be reached from other machines, and the page "
              "has no login", file=err)
    print(f"neuralpath: draw a digit at {url_of(sock)}/ (Ctrl-C to stop)", file=err)
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on",
                            server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("neuralpath: server stopped", file=err)
    return 0
