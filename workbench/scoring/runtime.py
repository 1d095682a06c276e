"""Process-wide state while a job scores: Arrow's memory pool and Python's cyclic collector.

Both are settings of the whole process, shared by every job it runs at once, so each
is switched by the first job to start and restored by the last one to finish, whatever
order concurrent jobs end in. :func:`scoring_state` wraps an engine's scoring function
in both.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

__all__ = ["collector_paused", "scoring_memory_pool", "scoring_state"]

P = ParamSpec("P")
R = TypeVar("R")

_POOL_LOCK = threading.Lock()
_POOL_USERS: list[Any] = []  # [the pool to restore] while jobs score; one entry per running job
_GC_LOCK = threading.Lock()
_GC_PAUSES: list[bool] = []  # one entry per running job: whether the collector was on before the first


@contextlib.contextmanager
def scoring_memory_pool() -> Iterator[None]:
    """Allocate Arrow memory from the system allocator while a job scores.

    pyarrow's default pool (mimalloc in the Linux wheels) hands freed pages back to the
    OS within milliseconds, so every batch faults its buffers in again and the kernel
    zeroes them: about 1 CPU-second per million rows here, a tenth of the job
    (``benchmarks/scoring.py``, docs/performance.md). The system allocator keeps them
    for the next batch.
    """
    import pyarrow as pa

    with _POOL_LOCK:
        if not _POOL_USERS:
            _POOL_USERS.append(pa.default_memory_pool())
            pa.set_memory_pool(pa.system_memory_pool())
        else:
            _POOL_USERS.append(_POOL_USERS[0])
    try:
        yield
    finally:
        with _POOL_LOCK:
            previous = _POOL_USERS.pop()
            if not _POOL_USERS:
                pa.set_memory_pool(previous)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a scoring job, and restore it after.

    A job allocates many short-lived objects (the review items' rows, for one) and makes
    no reference cycles; each full collection walks every object the process holds, so
    the collections they trigger cost 0.3 CPU-s in a 1M-row job (perf, benchmarks/scoring.py).
    """
    with _GC_LOCK:
        _GC_PAUSES.append(_GC_PAUSES[0] if _GC_PAUSES else gc.isenabled())
        gc.disable()
    try:
        yield
    finally:
        with _GC_LOCK:
            enabled = _GC_PAUSES.pop()
            if not _GC_PAUSES and enabled:
                gc.enable()


def scoring_state(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` (an engine's scoring function) with the collector paused and Arrow
    allocating from the system allocator."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused(), scoring_memory_pool():
            return fn(*args, **kwargs)

    return run
