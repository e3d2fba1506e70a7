"""``neuralpath serve``: the draw-a-digit page on uvicorn.

FastAPI and uvicorn are imported inside ``run`` only, so ``neuralpath --help`` works
without the ``web`` extra.
"""
from __future__ import annotations

import argparse
from typing import IO

from ..errors import UsageError
from ..signals import serving

HELP = "serve the draw-a-digit page: draw a digit, watch the network answer"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return value


EPILOG = """examples:
  neuralpath serve
  neuralpath serve --model runs/latest/model.npz --port 8080
  neuralpath serve --host 0.0.0.0 --allow-host digits.example --access-log

serve opens no browser: open the address it prints, draw a digit, and watch the network
answer. Without --model and without runs/latest/model.npz, the best preset is trained once at
start (the page shows its progress) and saved under runs/. The API documents itself at /docs.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The model, the address and the port."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--model", help="model file (default runs/latest/model.npz; if there "
                                         "is none, train the best preset once at start)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a name the page may be reached by, besides the --host address "
                             "(and localhost for a loopback one); repeat for more. Requests "
                             "naming any other host are refused")
    parser.add_argument("--access-log", action="store_true",
                        help="log one line per request on stderr")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Load (or train) the model, listen, serve until Ctrl-C."""
    try:
        import uvicorn

        from ..web.app import create_app, describe_model
        from ..web.server import allowed_hosts, is_loopback, listen, url_of, uvicorn_config
    except ImportError as exc:  # exit 2, one line, as export's missing onnx
        raise UsageError(f"serve needs the {exc.name or 'fastapi and uvicorn'} package: "
                         "pip install 'neuralpath[web]'") from None
    app = create_app(model_path=args.model)
    state = app.state.model_state
    sock = listen(args.host, args.port)
    host = sock.getsockname()[0]
    if state.model is not None:
        info = describe_model(state.model, state.source)
        accuracy = info["test_accuracy"]
        print(f"neuralpath: model {state.source}: preset {info['preset']}, layer sizes "
              f"{info['layer_sizes']}" + (f", test accuracy {accuracy:.2%}"
                                          if accuracy is not None else ""), file=err)
    else:
        print(f"neuralpath: no model in runs/latest: training the {state.preset} preset in the "
              "background (the page shows its progress), then saving it under runs/",
              file=err)
    if not is_loopback(host):
        names = sorted(allowed_hosts(host, args.allow_host))
        print(f"neuralpath: warning: {host} can be reached from other machines, and the page "
              f"has no login; it answers requests for {', '.join(names)} (--allow-host adds "
              "names)", file=err)
    print(f"neuralpath: serving; open {url_of(sock)}/ in a browser to draw a digit "
          "(Ctrl-C to stop)", file=err)
    config = uvicorn_config(app, host, extra_hosts=args.allow_host, access_log=args.access_log)
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again; serving()
    # makes that (and SIGHUP) a KeyboardInterrupt, so every stop ends with the line below
    try:
        with serving():
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("neuralpath: server stopped", file=err)
    return 0
