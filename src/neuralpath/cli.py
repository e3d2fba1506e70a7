"""The command line: ``neuralpath train|evaluate|predict|presets|tutorial|bench|serve|data``.

``main(argv)`` builds the parser from the subcommand modules in ``neuralpath.commands`` (each
``add_arguments(parser)`` and ``run(args, out, err)``), runs one, and turns errors into exit
codes: 0 ok, 2 bad input (one line on stderr, ``neuralpath COMMAND: MESSAGE``, no traceback),
1 anything else, 130
interrupted by Ctrl-C, SIGTERM or SIGHUP (the weights reached so far are saved; the signals
are handled in ``signals.py``). With ``train --json`` stdout
is one JSON object and everything else (progress, tables) goes to stderr.

The argument types that several commands share live in ``commands/common.py`` rather than
here, so that the commands need not import this module (which imports them).
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import IO, NoReturn

from ._version import __version__
from .commands import COMMANDS
from .errors import ModelFileError, UsageError
from .signals import as_interrupt

DESCRIPTION = ("neuralpath: the neural network of 'Neural Networks Tutorial - A Pathway to\n"
               "Deep Learning', as real software")


EPILOG = """examples:
  neuralpath train                          the tutorial's section 5: [64, 30, 10], 86-90%
  neuralpath presets                        every preset's settings
  neuralpath evaluate runs/latest/model.npz
  neuralpath predict runs/latest/model.npz digit.png
  neuralpath serve                          draw a digit in the browser

neuralpath COMMAND --help explains each command's options.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line on stderr, exit 2, no usage dump
        exc = UsageError(message)
        exc.prog = self.prog  # type: ignore[attr-defined]  # "neuralpath train"
        raise exc


# a prefix a message may already carry: one style is put back on every error line (`prefix`)
_PREFIX = re.compile(r"^neuralpath(?: [a-z]+)?: (?:error: )?")


def error_line(prog: str, exc: BaseException) -> str:
    """The one line an error is reported in: ``neuralpath COMMAND: MESSAGE`` (``neuralpath:
    MESSAGE`` before a command is known). A file the system could not open is named in
    words ("no such file: PATH"), never as the raw "[Errno 2] ..."."""
    name = os.fsdecode(exc.filename) if isinstance(exc, OSError) and exc.filename else None
    if isinstance(exc, FileNotFoundError) and name is not None:
        message = f"no such file: {name}"
    elif isinstance(exc, IsADirectoryError) and name is not None:
        message = f"{name} is a folder, not a file"
    elif isinstance(exc, NotADirectoryError) and name is not None:
        message = f"not a folder: a part of {name} is a file"
    elif isinstance(exc, PermissionError) and name is not None:
        message = f"permission denied: {name}"
    else:
        message = str(exc)
    return f"{prog}: {_PREFIX.sub('', one_line(message))}"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser: one subparser per module of ``neuralpath.commands``.

    With ``argv``, only the subcommand it names (its first word: the top level takes no
    option with a value) gets its options, so that ``--version`` or ``serve`` does not build
    ``train``'s; without, every subcommand gets them (the README's usage is made from that).
    """
    parser = _Parser(prog="neuralpath", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"neuralpath {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    words = None if argv is None else [a for a in argv if not a.startswith("-")][:1]
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f".commands.{module_name}", __package__)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        if words is None or words == [name]:
            module.add_arguments(command)
    return parser


def one_line(message: str) -> str:
    """``message`` with line breaks and other control characters shown as escapes (a value
    the user typed may hold them), so that an error is always one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None,
         err: IO[str] | None = None) -> int:
    """Run the command line; returns the exit code (``sys.exit(main())`` in the script)."""
    out = out or sys.stdout
    err = err or sys.stderr
    prog = "neuralpath"
    try:
        with as_interrupt():  # SIGTERM and SIGHUP end a command as Ctrl-C does
            argv = sys.argv[1:] if argv is None else list(argv)
            args = build_parser(argv).parse_args(argv)
            prog = f"neuralpath {args.command}"
            module = importlib.import_module(f".commands.{COMMANDS[args.command]}",
                                             __package__)
            return module.run(args, out, err)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, ModelFileError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError, ValueError) as exc:
        print(error_line(getattr(exc, "prog", prog), exc), file=err)
        return 2
    except KeyboardInterrupt:  # before a command began its work (train says more itself)
        words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
        saved = "; no model was written" if words[:1] == ["train"] else ""
        print(f"{prog}: interrupted{saved}", file=err)
        return 130
    except BrokenPipeError:  # e.g. `neuralpath ... | head`: the reader has gone, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return 0
    except Exception as exc:  # noqa: BLE001 - the CLI reports, never shows a traceback
        if os.environ.get("NEURALPATH_DEBUG"):
            raise
        print(f"{prog}: unexpected error: {type(exc).__name__}: {one_line(str(exc))} "
              "(set NEURALPATH_DEBUG=1 for a traceback)", file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
