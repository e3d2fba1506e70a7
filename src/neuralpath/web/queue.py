"""The line of live runs waiting to compute: a few computing slots, first come first served.

At most ``slots`` runs compute at once (the machine's cores): a run waits for its turn before
it prepares its data and trains, gives its slot back while it is paused or waits for its pace
(it uses no CPU then) and takes one again to go on. Runs are served in the order they first
asked (their ``ticket``), so a run that gives its slot back for a pause keeps its place ahead
of runs that came later, and a run that came later never overtakes one that waits.

A waiting run asks ``give_up`` now and then (and whenever ``wake`` is called): a stopped or
abandoned run leaves the line without computing.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable


class Line:
    """Computing slots and the runs waiting for one.

    Parameters
    ----------
    slots : int
        Runs computing at once.
    poll : float
        Seconds between two looks at ``give_up`` while waiting.
    """

    def __init__(self, slots: int, poll: float = 0.25) -> None:
        if slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        self.slots, self.poll = int(slots), poll
        self.cond = threading.Condition(threading.Lock())
        self.holders: set[str] = set()
        self.waiting: dict[str, int] = {}  # key -> ticket
        self._tickets = itertools.count()

    def ticket(self) -> int:
        """A new place at the end of the line (a run keeps its ticket for its whole life)."""
        return next(self._tickets)

    def _first(self) -> str | None:
        return min(self.waiting, key=self.waiting.__getitem__) if self.waiting else None

    def try_take(self, key: str, ticket: int) -> bool:
        """Take a slot now if one is free and no run that came earlier waits; else False."""
        with self.cond:
            if key in self.holders:
                return True
            if len(self.holders) < self.slots and all(t > ticket for t in
                                                      self.waiting.values()):
                self.holders.add(key)
                return True
            return False

    def wait_turn(self, key: str, ticket: int, give_up: Callable[[], bool]) -> bool:
        """Wait for a slot; True once ``key`` holds one, False if ``give_up()`` said so first.

        ``give_up`` is called without the line's lock held (it may take the run's)."""
        with self.cond:
            if key in self.holders:
                return True
            self.waiting[key] = ticket
        try:
            while True:
                with self.cond:
                    if len(self.holders) < self.slots and self._first() == key:
                        self.holders.add(key)
                        return True
                    self.cond.wait(self.poll)
                if give_up():
                    return False
        finally:
            with self.cond:
                self.waiting.pop(key, None)
                self.cond.notify_all()  # the next in line may be first now

    def release(self, key: str) -> None:
        """Give ``key``'s slot back (nothing if it holds none)."""
        with self.cond:
            if key in self.holders:
                self.holders.discard(key)
                self.cond.notify_all()

    def wake(self) -> None:
        """Make every waiting run look at its ``give_up`` now."""
        with self.cond:
            self.cond.notify_all()

    def place(self, key: str) -> int | None:
        """``key``'s 1-based place among the waiting runs; None if it is not waiting."""
        with self.cond:
            ticket = self.waiting.get(key)
            if ticket is None:
                return None
            return 1 + sum(t < ticket for t in self.waiting.values())

    def snapshot(self, key: str) -> tuple[list[str], list[str]] | None:
        """(holders, the keys waiting ahead of ``key`` in order), or None if ``key`` is not
        waiting."""
        with self.cond:
            ticket = self.waiting.get(key)
            if ticket is None:
                return None
            ahead = sorted((t, k) for k, t in self.waiting.items() if t < ticket)
            return sorted(self.holders), [k for _, k in ahead]

    def n_waiting(self) -> int:
        """Runs waiting for a slot now."""
        with self.cond:
            return len(self.waiting)


def wait_estimate(slots: int, remaining: list[float], ahead: list[float]) -> float:
    """Seconds until a run starts: the slots free after the ``remaining`` seconds of the runs
    that hold one, then each run ``ahead`` (its expected seconds) takes the first free slot."""
    free = sorted(list(remaining)[:slots] + [0.0] * max(0, slots - len(remaining)))
    heapq.heapify(free)
    for seconds in ahead:
        heapq.heappush(free, heapq.heappop(free) + seconds)
    return free[0]
