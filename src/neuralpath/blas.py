"""How many BLAS threads a training run uses: the rule, and a way to pin the count.

The rule: below ``SINGLE_THREAD_BELOW`` multiply-adds in a batch's largest matrix product,
BLAS runs on one thread (waking a second one costs more than it saves); above it, BLAS gets
every core but one, never all of them: OpenBLAS's threads spin while they wait for each other,
so one other busy process on the machine makes a thread that lost its core stall the others,
10x and more (issue 14: `best` took 54.6 s instead of 5.9 s on two threads of a 2-core machine
beside one busy process). On two cores this means one thread always; benchmarks/README.md has
the measurements (`neuralpath bench --contention`).

``pinned(n)``: every run started inside the block uses exactly ``n`` threads, whatever the
rule says. A sweep pins 1 (its runs go side by side, one per core) and the contention
benchmark pins the count it measures. Part of the engine: standard library only, and
threadpoolctl (a dependency of scikit-learn) imported when a run starts.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence

SINGLE_THREAD_BELOW = 1 << 23

_pins: list[int] = []  # the counts pinned, innermost last (every run of the process obeys it)
_pins_lock = threading.Lock()


def blas_thread_count(layer_sizes: Sequence[int], m: int, cores: int | None = None) -> int:
    """BLAS threads for training on batches of ``m`` rows on a machine of ``cores`` cores
    (default: this one's): the pinned count if any, else 1 for small products and every core
    but one for large ones."""
    if _pins:
        return _pins[-1]
    work = m * max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    cores = cores or os.cpu_count() or 1
    return 1 if work < SINGLE_THREAD_BELOW else max(1, cores - 1)


def blas_threads(layer_sizes: Sequence[int], m: int) -> contextlib.AbstractContextManager:
    """A context for training on batches of ``m`` rows with ``blas_thread_count`` threads."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(blas_thread_count(layer_sizes, m), user_api="blas")


@contextlib.contextmanager
def pinned(threads: int) -> Iterator[None]:
    """Every training run started in this block (in any thread of the process) uses exactly
    ``threads`` BLAS threads. Blocks nest; runs side by side in threads may each pin."""
    if not (isinstance(threads, int) and threads >= 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    with _pins_lock:
        _pins.append(threads)
    try:
        yield
    finally:
        with _pins_lock:
            _pins.remove(threads)
