"""The live runs of every browser: started, looked up, bounded, lined up and stopped.

``LiveRuns`` holds the sessions (``web/sessions.py``), the line of computing slots
(``web/queue.py``), the page's run folders (``web/folders.py``) and every kept run
(``web/live.py``). A browser has at most one run waiting or training: starting another stops
it ("replaced by a new run"). Runs answer only to their own browser; one that was dropped to
keep the bounds answers 404 saying why.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from .. import blas
from .api import ApiError
from .folders import MAX_FOLDERS, PageFolders
from .live import ACTIVE, EVENT_INTERVAL, IDLE_SECONDS, MAX_SECONDS, REPLACED, LiveRun
from .queue import Line, wait_estimate
from .rows import check_epochs
from .sessions import MAX_SESSIONS, Session, Sessions
from .settings import label_of, parse_settings

MAX_RUNNING = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
    (os.cpu_count() or 1)  # runs computing at once: the cores this process may use
MAX_WAITING = 64  # runs waiting in line, all browsers together
MAX_KEPT = 8  # finished runs kept per browser
MAX_KEPT_TOTAL = 256  # finished runs kept in memory, all browsers together
SMOOTHING = 0.3  # weight of the newest run in the estimate of seconds per unit of work


MALLOC_ARENAS = 2  # glibc malloc arenas while runs train side by side in threads
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def few_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Ask glibc's malloc for at most ``arenas`` arenas in this process (False where there
    is no glibc ``mallopt``, e.g. musl or macOS: nothing changes).

    By default glibc gives each thread that allocates its own arena, up to 8 per core, and an
    arena keeps what its thread freed: a class of 30 runs, each trained and measured in its own
    thread, left the server at 507 MB peak; with 2 arenas, 332 MB (benchmarks/class_load.py).
    It holds for the rest of the process (glibc has no way back to its default)."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, int(arenas)))


FULL_BATCH_GUESS = 1078  # rows of a full batch before a run has read its data (the digits')


def work(run: LiveRun) -> float:
    """A run's work per step, roughly: rows in a batch x weights (what a step multiplies)."""
    sizes = run.cfg.layer_sizes
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    batch = run.cfg.batch_size or run.rows or FULL_BATCH_GUESS
    return float(min(batch, run.rows or batch) * n_params)


class LiveRuns:
    """The live runs of one app.

    Parameters
    ----------
    runs_dir : str or None
        Where finished runs are saved (as every run); None: not saved.
    slots : int
        Runs computing at once.
    max_waiting, max_kept, max_kept_total, max_folders, max_sessions : int
        Runs in line; finished runs kept per browser and in all; page run folders on disk;
        browsers.
    idle_seconds, max_seconds : float
        Stop a run nobody has read for ``idle_seconds``, or trained over ``max_seconds``.
    min_interval : float
        Seconds between two measurements of the network (0: after every update).
    clock : callable
        The clock of the two limits above (tests pass a fake one).
    """

    def __init__(self, runs_dir: str | None = "runs", *, slots: int = MAX_RUNNING,
                 max_waiting: int = MAX_WAITING, max_kept: int = MAX_KEPT,
                 max_kept_total: int = MAX_KEPT_TOTAL, max_folders: int = MAX_FOLDERS,
                 max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS,
                 max_seconds: float = MAX_SECONDS, min_interval: float = EVENT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runs_dir, self.max_waiting = runs_dir, max_waiting
        self.max_kept, self.max_kept_total = max_kept, max_kept_total
        self.options: dict[str, Any] = dict(idle_seconds=idle_seconds,
                                            max_seconds=max_seconds,
                                            min_interval=min_interval, clock=clock)
        self.line = Line(slots)
        self.folders = None if runs_dir is None else PageFolders(runs_dir, max_folders)
        self.sessions = Sessions(max_sessions, on_drop=self._dropped)
        self.lock = self.sessions.lock  # one lock for the sessions and their runs
        self.runs: OrderedDict[str, LiveRun] = OrderedDict()  # every kept run, oldest first
        self.pace_lock = threading.Lock()
        self.seconds_per_work: float | None = None  # learned from the runs that ended

    @contextlib.contextmanager
    def side_by_side(self) -> Iterator[None]:
        """While the server runs: every run uses one BLAS thread (``blas.pinned(1)``), and so
        does the whole process (threadpoolctl), as a sweep's runs do; malloc keeps few arenas
        (``few_malloc_arenas``).

        Runs train side by side in threads of one process, and a BLAS thread count is the
        process's: each run's ``threadpool_limits`` context restores the count it found when
        it ends, so with a default of several threads, the first run to end gave the other
        one every core back while it still trained, and OpenBLAS's spinning threads made it
        about 8 times slower on this 2-core machine (benchmarks/class_load.py). With one
        thread as the process's default, every restore is to one thread."""
        from threadpoolctl import threadpool_limits
        few_malloc_arenas()
        with threadpool_limits(1, user_api="blas"), blas.pinned(1):
            yield

    def bounds(self) -> dict[str, Any]:
        """This server's bounds, for the page."""
        return dict(max_running=self.line.slots, max_waiting=self.max_waiting,
                    max_kept=self.max_kept, max_kept_total=self.max_kept_total,
                    max_folders=None if self.folders is None else self.folders.max_folders,
                    max_sessions=self.sessions.max_sessions,
                    idle_seconds=self.options["idle_seconds"],
                    max_seconds=self.options["max_seconds"],
                    events_per_second=1 / EVENT_INTERVAL)

    # -- starting and finding runs --------------------------------------------------------

    def start(self, session: Session, body: bytes | dict[str, Any]) -> tuple[LiveRun,
                                                                            LiveRun | None]:
        """Check the settings and put a new run of ``session`` in line; returns (the run,
        the run it replaced or None). ``ApiError`` 422 for a refused setting, 429 when the
        line is full."""
        preset, cfg = parse_settings(body)
        check_epochs(cfg)  # too many steps: refused now, not once the data is read
        with self.lock:
            previous = session.active()
            waiting = sum(r.state == "queued" for r in self.runs.values() if r is not previous)
            if waiting >= self.max_waiting:
                raise ApiError(429, f"{waiting} runs are waiting for their turn, the most this "
                                    "server takes; try again in a minute", {"Retry-After": "30"})
            if previous is not None:
                previous.cancel(REPLACED)
            run = LiveRun(secrets.token_hex(4), session.id, preset, cfg, label_of(preset, cfg),
                          self, **self.options)
            session.runs[run.id] = run
            self.runs[run.id] = run
            self._bound(session)
            run.thread.start()
        return run, previous

    def _bound(self, session: Session) -> None:
        """Drop the oldest finished runs over the browser's and the server's bounds."""
        finished = [r for r in session.runs.values() if r.state not in ACTIVE]
        while len(finished) > self.max_kept:
            self._drop(finished.pop(0), f"only the {self.max_kept} newest runs of this "
                                        "browser are kept")
        finished = [r for r in self.runs.values() if r.state not in ACTIVE]
        while len(finished) > self.max_kept_total:
            self._drop(finished.pop(0), f"this server keeps {self.max_kept_total} finished "
                                        "runs in all, the oldest go first")

    def _drop(self, run: LiveRun, why: str) -> None:
        self.runs.pop(run.id, None)
        owner = self.sessions.table.get(run.session_id)
        if owner is not None:
            owner.forget(run.id, why)

    def _dropped(self, session: Session) -> None:
        """A session left the table: its runs stop and go (called under the lock)."""
        for run in list(session.runs.values()):
            run.cancel("stopped: this browser was not seen for a long time")
            self.runs.pop(run.id, None)

    def get(self, session: Session, run_id: str) -> LiveRun:
        """``session``'s run ``run_id``; ``ApiError`` 404 if it has none (another browser's
        run is none of its business: the same answer)."""
        with self.lock:
            run = session.runs.get(run_id)
            why = session.removed.get(run_id)
        if run is not None:
            return run
        shown = run_id if len(run_id) <= 16 and run_id.isalnum() else "with this id"
        if why is not None:
            raise ApiError(404, f"run {shown} was removed: {why}")
        raise ApiError(404, f"no such run {shown} for this browser (runs are kept while the "
                            "server runs, not over a restart)")

    def listing(self, session: Session) -> list[dict[str, Any]]:
        """``session``'s runs, newest first, for its run list."""
        with self.lock:
            runs = list(session.runs.values())[::-1]
            in_use = session.model_run
        return [r.summary(in_use=r.id == in_use) for r in runs]

    # -- the line -------------------------------------------------------------------------

    def line_info(self, run: LiveRun) -> tuple[int | None, float | None]:
        """(place in line, seconds to wait: an estimate, None if none can be made yet)."""
        seen = self.line.snapshot(run.id)
        if seen is None:
            return None, None
        holders, ahead = seen
        place = len(ahead) + 1
        per = self._seconds_per_work(holders)
        if per is None:
            return place, None
        runs = self.runs
        remaining = []
        for key in holders:
            other = runs.get(key)
            if other is not None:
                remaining.append(max(0, other.total - other.iteration) * work(other) * per)
        ahead_runs = [runs[k] for k in ahead if k in runs]
        if any(not r.total for r in ahead_runs):  # epochs: steps unknown until data is read
            return place, None
        expected = [r.total * work(r) * per for r in ahead_runs]
        return place, round(wait_estimate(self.line.slots, remaining, expected), 1)

    def _seconds_per_work(self, holders: list[str]) -> float | None:
        """Seconds per unit of work: from the runs that ended, else from the rate of one
        that computes now; None before either is known."""
        with self.pace_lock:
            if self.seconds_per_work is not None:
                return self.seconds_per_work
        for key in holders:
            other = self.runs.get(key)
            if other is not None and other.rate > 0 and other.pace is None:
                return 1.0 / (other.rate * work(other))
        return None

    def ended(self, run: LiveRun) -> None:
        """A run's worker ended: learn how long a unit of work takes (runs that trained)."""
        if run.state != "done" or not run.iteration or run.pace is not None:
            return
        per = run.slot_seconds / (run.iteration * work(run))
        with self.pace_lock:
            old = self.seconds_per_work
            self.seconds_per_work = per if old is None else \
                (1 - SMOOTHING) * old + SMOOTHING * per

    def saved(self, folder: str) -> None:
        """A run wrote its folder: cap the page's folders."""
        if self.folders is not None:
            self.folders.record(folder)

    def stop_all(self) -> None:
        """Stop every run (the server is shutting down)."""
        with self.lock:
            runs = list(self.runs.values())
        for run in runs:
            run.cancel("stopped: the server shut down")
        for run in runs:
            run.stop("stopped: the server shut down")
