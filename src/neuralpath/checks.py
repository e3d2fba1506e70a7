"""The kinds of value a setting takes, each as one object that both checks a value and says
in words what it accepts.

A setting's field (``training.Settings``, ``config.TrainConfig``) carries one of these in its
metadata under ``"check"``; the check refuses a bad value with a ``SettingError`` naming the
setting, and ``neuralpath train --help`` prints ``words`` as the option's range. So the range
of a setting is written once and the help can never disagree with the check.

Standard library and NumPy only: the engine (``training.py``) uses these for its own settings.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import SettingError

__all__ = ["Check", "Choice", "Count", "Flag", "Number", "Sizes", "SettingError"]


def is_number(value: Any) -> bool:
    """A real number (a bool is not one, though Python counts it as an int)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value,
                                                                                        bool)


def is_int(value: Any) -> bool:
    """An integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Check:
    """What every kind of value is: ``expected`` (the error's words: ``a positive number``),
    ``words`` (the range in --help: ``> 0``) and ``__call__(name, value)``, which returns the
    value (in its plain form) or raises ``SettingError``."""

    expected = "a valid value"
    words = "any"

    def accepts(self, value: Any) -> bool:
        """True when ``value`` is one this check lets through."""
        raise NotImplementedError

    def __call__(self, name: str, value: Any) -> Any:
        if not self.accepts(value):
            raise SettingError(name, self.expected, value)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.words!r})"


class Number(Check):
    """A finite real number from ``low`` to ``high``; ``low_closed``: ``low`` itself is
    allowed (the upper end never is: every bounded setting here stops short of it)."""

    def __init__(self, low: float = -math.inf, high: float = math.inf,
                 low_closed: bool = True) -> None:
        self.low, self.high, self.low_closed = low, high, low_closed
        if high == math.inf:
            self.words = f"{'>=' if low_closed else '>'} {low:g}"
            self.expected = ("a positive number" if (low, low_closed) == (0, False)
                             else f"a number {self.words}")
        else:
            self.words = f"in {'[' if low_closed else '('}{low:g}, {high:g})"
            self.expected = f"a number {self.words}"

    def accepts(self, value: Any) -> bool:
        return (is_number(value) and math.isfinite(value) and value < self.high
                and (value >= self.low if self.low_closed else value > self.low))


class Count(Check):
    """An integer >= ``low``. None is allowed too when ``optional``, or when ``absent`` says
    what None means (``all m samples``, shown in the help)."""

    def __init__(self, low: int = 1, optional: bool = False, absent: str | None = None) -> None:
        self.low, self.optional, self.absent = low, optional or absent is not None, absent
        self.expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        self.words = f"integer >= {low}" + (f", or {absent} when left out" if absent else "")

    def accepts(self, value: Any) -> bool:
        return (value is None and self.optional) or (is_int(value) and value >= self.low)

    def __call__(self, name: str, value: Any) -> Any:
        value = super().__call__(name, value)
        return None if value is None else int(value)


class Choice(Check):
    """One of ``options`` (names from one of the package's tables)."""

    def __init__(self, options: Iterable[str]) -> None:
        self.options = tuple(options)
        self.expected = f"one of {list(self.options)}"
        self.words = "one of " + ", ".join(self.options)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options


class Flag(Check):
    """True or False (on or off on the command line)."""

    expected = "True or False"
    words = "on or off"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __call__(self, name: str, value: Any) -> Any:
        return bool(super().__call__(name, value))


class Sizes(Check):
    """Layer sizes: two or more positive integers, given as a list (kept as a list of ints)."""

    expected = "a list of two or more positive integers"
    words = "two or more integers >= 1, comma-separated"

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, (list, tuple, np.ndarray)) and len(value) >= 2
                and all(is_int(s) and s >= 1 for s in value))

    def __call__(self, name: str, value: Any) -> Any:
        return [int(s) for s in super().__call__(name, value)]
