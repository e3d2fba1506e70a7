"""What several subcommands share: argparse value types, the progress bar, table formatting.

Argument types raise ``argparse.ArgumentTypeError`` with the expected form and the text that
came, so every command reports a bad value the same way (one line, exit code 2).
"""
from __future__ import annotations

import argparse
import math
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import IO, Any

import numpy as np

from ..errors import SettingError, UsageError
from ..signals import HeldSignals


def number_type(convert: Callable[[str], Any], accept: Callable[[Any], bool],
                expected: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert`` the text, then refuse what ``accept`` rejects."""
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


positive_int = number_type(int, lambda v: v >= 1, "a positive integer")
nonneg_int = number_type(int, lambda v: v >= 0, "a non-negative integer")
positive_float = number_type(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
nonneg_float = number_type(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
unit_float = number_type(float, lambda v: math.isfinite(v) and 0 < v < 1, "a number in (0, 1)")
below_one = number_type(float, lambda v: math.isfinite(v) and 0 <= v < 1, "a number in [0, 1)")


def _ints(text: str, at_least: int, expected: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) < at_least or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return values


def int_list(text: str) -> list[int]:
    """``64,30,10`` -> [64, 30, 10]: two or more positive integers (layer sizes)."""
    return _ints(text, 2, "two or more positive comma-separated integers like 64,30,10")


def positive_int_list(text: str) -> list[int]:
    """``32,128`` -> [32, 128]: one or more positive integers."""
    return _ints(text, 1, "comma-separated positive integers like 32,128")


class TqdmProgress:
    """A training callback: a tqdm bar over the iterations showing the cost, on stderr."""

    def __init__(self, disable: bool = False, file: IO[str] | None = None,
                 initial: int = 0) -> None:
        self.disable = disable
        self.file = file or sys.stderr
        self.initial = initial  # iterations done before (a resumed run)

    def on_train_begin(self, total: int) -> None:
        from tqdm import tqdm
        self.bar = tqdm(total=total, initial=self.initial, unit="it", file=self.file,
                        disable=self.disable, dynamic_ncols=True, mininterval=0.2)

    def on_iteration(self, iteration: int, cost: float) -> None:
        self.bar.update(1)
        if iteration % 50 == 0:
            self.bar.set_postfix(cost=f"{cost:.5f}", refresh=False)

    def on_train_end(self, history: Any) -> None:
        self.bar.close()


def format_confusion(matrix: np.ndarray, labels: Sequence[Any]) -> str:
    """A confusion matrix as a text table: rows are the true labels, columns the predicted."""
    width = max(4, max(len(str(v)) for v in matrix.ravel()) + 1)
    head = "true\\pred".ljust(10) + "".join(str(c).rjust(width) for c in labels)
    rows = [str(c).ljust(10) + "".join(str(v).rjust(width) for v in row)
            for c, row in zip(labels, matrix)]
    return "\n".join([head] + rows)


# --- destinations: what --out, --plot and export --out may write (issues 14 and 24) -----------

def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


def check_destination(name: str, path: str, force: bool) -> None:
    """Before any work: ``path`` (option ``name``) can be written, as a regular file.

    ``UsageError`` naming the option and the path when it is a folder, a device, a FIFO, a
    socket (or a symbolic link to one: ``--force`` replaces only an existing regular file),
    an existing file without ``force``, a name longer than the file system takes, or in a
    folder that cannot be written (a probe file is made and removed there)."""
    try:
        mode: int | None = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # nothing there, a dangling symbolic link (replaced, as a file is), or a
        # file where a folder should be (said below)
    except OSError as exc:
        raise UsageError(f"{name} {path} cannot be written: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{name} {path} is a folder; give a file name inside it")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{name} {path} is {kind_of(mode)}, not a regular file; neuralpath "
                         "writes only regular files (--force replaces only those)")
    if os.path.lexists(path) and not force:
        raise UsageError(f"{name} {path} exists; add --force to overwrite it")
    check_folder_writable(name, path, os.path.dirname(os.path.abspath(path)),
                          [os.path.basename(path)])


def check_folder_writable(name: str, path: str, folder: str, new: list[str]) -> None:
    """``folder`` (made on saving if missing) can take the new names ``new``: every part of
    the folder still to be made and every name in ``new`` fits the file system's name length,
    and a probe file can be made and removed in the nearest folder that exists. ``UsageError``
    naming the option ``name`` and ``path`` otherwise."""
    existing, missing = folder, list[str]()
    while not os.path.lexists(existing):  # the folder is made on saving: probe its parent
        existing, part = os.path.split(existing)
        missing.insert(0, part)
    if not os.path.isdir(existing):
        raise UsageError(f"{name} {path} cannot be written: {existing} is not a folder")
    try:
        longest = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    for part in missing + new:
        if len(os.fsencode(part)) > longest:
            raise UsageError(f"{name} {path} cannot be written: the name {part[:20]}... is "
                             f"{len(os.fsencode(part))} bytes long; this file system takes "
                             f"at most {longest}")
    with HeldSignals():  # the probe file never outlives this block
        try:
            fd, probe = tempfile.mkstemp(prefix=".probe-", dir=existing)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UsageError(f"{name} {path} cannot be written: "
                             f"{exc.strerror or exc}") from None


def option(name: str) -> str:
    """The command-line option of setting ``name``: ``learning_rate`` -> ``--learning-rate``."""
    return "--" + name.replace("_", "-")


def refused(exc: ValueError, command: str) -> UsageError:
    """A setting the config refused, as the command line says it: the option the user typed
    is named (``--learning-rate must be ...``), not the setting; two settings that do not go
    together keep the config's words."""
    message = exc.named(option(exc.name)) if isinstance(exc, SettingError) else str(exc)
    return UsageError(f"neuralpath {command}: {message}")
