"""The one place SIGINT, SIGTERM and SIGHUP are handled: every command that must not lose work
to a signal uses what is here.

The three signals mean the same thing (stop, and keep what was done): Ctrl-C, ``kill``, and a
terminal or SSH session that closes. Four situations need them handled:

* ``as_interrupt()``: while a command runs, SIGTERM and SIGHUP act as Ctrl-C
  (``KeyboardInterrupt``), so every command ends the same way, exit code 130.
* ``HeldSignals``: around a file write, signals are recorded, not acted on; when the file is
  complete the first one is raised again (or, with ``redeliver=False``, left in ``received``
  for the caller to act on), so no signal cuts a file in half. ``HoldSignalsFromTraining``
  holds them from the first training step until the run is saved.
* ``TrainingStop``: while training runs, the first signal asks the loop to stop after the
  step it is in (``requested``); a second one stops it at once (``StopNow``), but only while
  a gradient is being computed, never inside an update, so the weights are always those of a
  complete step and can be saved.
* ``serving()``: while uvicorn serves, it stops gracefully on SIGINT and SIGTERM and then
  raises the signal again; this makes that a ``KeyboardInterrupt``, and forwards SIGHUP (which
  uvicorn does not catch) as SIGTERM so that it stops gracefully too.

Only the main thread can set signal handlers; elsewhere each of these does nothing, and the
previous handlers are always put back. Standard library only: the training loop (part of the
NumPy-only engine) uses ``TrainingStop``.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["STOP_SIGNALS", "HeldSignals", "HoldSignalsFromTraining", "StopNow", "TrainingStop",
           "as_interrupt", "handling", "serving"]

# the signals that ask a command to stop (SIGHUP does not exist on Windows)
STOP_SIGNALS: tuple[int, ...] = tuple(getattr(signal, name) for name in
                                      ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

Handler = Callable[[int, Any], Any]


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handling(handlers: dict[int, Handler]) -> Iterator[None]:
    """``handlers`` ({signal: handler}) in place for the block (main thread only), the previous
    ones back after it, whatever happens."""
    previous: dict[int, Any] = {}
    if _main_thread():
        previous = {s: signal.signal(s, h) for s, h in handlers.items()}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def as_interrupt() -> Any:
    """While a command runs: SIGTERM and SIGHUP raise ``KeyboardInterrupt`` as Ctrl-C does (the
    commands that write files hold them until a file is complete)."""
    return handling({s: _raise_interrupt for s in STOP_SIGNALS if s != signal.SIGINT})


class HeldSignals:
    """While active, the stop signals are recorded in ``received`` instead of acted on.

    Used around a file write so that no signal cuts it half-way: on leaving, the previous
    handlers come back and, when ``redeliver`` is true, the first signal that came is raised
    again, now that the file is complete (or its temporary file removed). Nested uses pass the
    signal outward.
    """

    def __init__(self, redeliver: bool = True) -> None:
        self.redeliver = redeliver
        self.received: list[int] = []
        self._held: Any = None

    def _record(self, signum: int, frame: Any) -> None:
        self.received.append(signum)

    def __enter__(self) -> HeldSignals:
        self._held = handling({s: self._record for s in STOP_SIGNALS})
        self._held.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)
        if self.redeliver and self.received:
            signal.raise_signal(self.received[0])


class HoldSignalsFromTraining(HeldSignals):
    """A training callback: from the first step on, the stop signals are recorded rather than
    raised (training itself stops on them after a complete step), so that no signal between
    the last step and the saved file loses the run; ``received`` says which came, and
    ``stop()`` ends the hold. ``neuralpath train`` exits 130 when any came."""

    def __init__(self) -> None:
        super().__init__(redeliver=False)
        self.active = False

    def on_train_begin(self, total: int) -> None:
        """Start holding signals (training's own handler takes them while it runs)."""
        self.__enter__()
        self.active = True

    def stop(self) -> None:
        """Put the previous handlers back (the received signals stay in ``received``)."""
        if self.active:
            self.active = False
            self.__exit__(None, None, None)


class StopNow(Exception):
    """A second stop signal during training: leave the loop at once."""


class TrainingStop:
    """The stop signals as flags for the duration of training (main thread only).

    The first signal sets ``requested``: the loop stops after the current update. A second
    one raises ``StopNow`` while a step's gradient is being computed (between ``allow()`` and
    ``done()``), or at the next ``allow()``, never inside an update. Leaving the block after a
    ``StopNow`` is quiet: a stop at once ends training like any other stop. Outside the block
    the previous handlers (Python's KeyboardInterrupt, the command line's) are in place.
    With ``enabled`` false nothing is caught (a signal does what it did before).
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.requested = False
        self.count = 0  # signals received
        self.interruptible = False  # True while a second signal may stop the loop at once
        self._handling: Any = None

    def __enter__(self) -> TrainingStop:
        if self.enabled:
            owners = [getattr(signal.getsignal(s), "__self__", None) for s in STOP_SIGNALS]
            held = [h for h in owners if isinstance(h, HeldSignals)]
            self._handling = handling({s: self._handle for s in STOP_SIGNALS})
            self._handling.__enter__()
            # a signal that an outer hold took just before training began (between a
            # callback's on_train_begin and here) is a request to stop too, not a lost one
            self.count = max((len(h.received) for h in held), default=0)
            self.requested = self.count > 0
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.requested = True
        if self.count >= 2 and self.interruptible:
            self.interruptible = False
            raise StopNow

    def allow(self) -> None:
        """A gradient is about to be computed: a second signal may stop here (or did)."""
        if self.count >= 2:
            raise StopNow
        self.interruptible = True

    def done(self) -> None:
        """The gradient is computed: from here to the end of the update, signals only count."""
        self.interruptible = False

    def __exit__(self, kind: Any, *exc: Any) -> bool:
        self.interruptible = False
        if self._handling is not None:
            self._handling.__exit__(None, None, None)
            self._handling = None
        return kind is StopNow


def _forward_as_sigterm(signum: int, frame: Any) -> None:
    signal.raise_signal(signal.SIGTERM)


def serving() -> Any:
    """While a server runs: SIGTERM (re-raised by uvicorn after its graceful stop) becomes
    ``KeyboardInterrupt``, and SIGHUP is sent on as SIGTERM, so all three signals stop the
    server gracefully and end the command like Ctrl-C."""
    handlers: dict[int, Handler] = {signal.SIGTERM: _raise_interrupt}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = _forward_as_sigterm
    return handling(handlers)
