"""The package's exceptions, in one low module so that any layer can raise them.

Each is also a standard exception (``ValueError``, ``ArithmeticError``, ``OSError``), so code
that catches those keeps working. The command line turns ``UsageError``, ``ModelFileError``
and ``ValueError`` into exit code 2 with a one-line message.
"""
from __future__ import annotations

from typing import Any


class UsageError(ValueError):
    """Bad input from the command line (a value or a combination of options): exit code 2."""


class SettingError(ValueError):
    """A setting's value is refused: ``learning_rate must be a positive number, got -1``.

    It keeps the setting's ``name``, what it takes (``expected``) and the ``value`` that came,
    so that each front end can name the setting its own way without rewriting the text: the
    command line says ``--learning-rate`` (``named("--learning-rate")``).
    """

    def __init__(self, name: str, expected: str, value: Any) -> None:
        self.name, self.expected, self.value = name, expected, value
        super().__init__(self.named(name))

    def named(self, label: str) -> str:
        """The message with the setting called ``label``."""
        return f"{label} must be {self.expected}, got {self.value!r}"


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
        self.metrics: dict[str, Any] | None = None  # set by the pipeline: the run's files
