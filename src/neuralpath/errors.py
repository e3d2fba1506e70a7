"""The package's exceptions, in one low module so that any layer can raise them.

Each is also a standard exception (``ValueError``, ``ArithmeticError``, ``OSError``), so code
that catches those keeps working. The command line turns ``UsageError``, ``ModelFileError``
and ``ValueError`` into exit code 2 with a one-line message.
"""
from __future__ import annotations

from typing import Any


class UsageError(ValueError):
    """Bad input from the command line (a value or a combination of options): exit code 2."""


class ModelFileError(ValueError):
    """The file is not a neuralpath model this version can read."""


class DownloadError(OSError):
    """A file could not be fetched whole, or what came does not match its checksum."""


class TrainingDiverged(ArithmeticError):
    """The cost (or the weights) became NaN or infinite; the network holds the last weights
    whose cost was finite and ``history`` says what ran until then."""

    def __init__(self, message: str, history: Any) -> None:
        super().__init__(message)
        self.history = history
        self.model: Any = None  # set by the pipeline: the model holding those weights
