"""The server's worker threads: where handlers do their blocking work.

Database queries, file reads and project discovery block, so no handler does them
on the Jupyter server's event loop, which also serves Jupyter's own endpoints
(kernels, contents, ``/api/status``). They run on :class:`WorkerPool`'s threads:

- ``work``: a fixed, small number of threads (``c.WorkbenchApp.worker_threads``)
  that every handler shares. Requests beyond that wait their turn as suspended
  coroutines, costing no thread and no CPU, so load queues instead of piling
  threads onto the GIL and the database.
- ``health``: one thread of its own for ``GET /health``, so a health check never
  queues behind list queries.

asyncio's default executor is deliberately not used: it is shared with the server
itself and sized by the CPU count, so a burst of workbench requests would starve
whatever else runs there.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["DEFAULT_WORKER_THREADS", "HEALTH_THREAD_PREFIX", "WORKER_THREAD_PREFIX", "WorkerPool"]

T = TypeVar("T")

# Two, measured: the work is mostly Python holding the GIL, so a third or fourth thread added
# little throughput on a 2-core machine and made the event loop wait for the GIL (/health's
# p50 went from 6-17 ms to 60-260 ms at 50 concurrent requests; docs/performance.md).
DEFAULT_WORKER_THREADS = 2
WORKER_THREAD_PREFIX = "workbench-worker"
HEALTH_THREAD_PREFIX = "workbench-health"


class WorkerPool:
    """Two bounded thread pools owned by the extension; closed when the server stops."""

    def __init__(self, workers: int = DEFAULT_WORKER_THREADS) -> None:
        if workers < 1:
            raise ValueError(f"worker_threads must be at least 1, not {workers}.")
        self.workers = workers
        self._work = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=WORKER_THREAD_PREFIX)
        self._health = ThreadPoolExecutor(max_workers=1, thread_name_prefix=HEALTH_THREAD_PREFIX)

    async def run(self, func: Callable[[], T]) -> T:
        """``func()`` on a worker thread; the caller's coroutine waits without blocking the loop."""
        return await self._submit(self._work, func)

    async def run_health(self, func: Callable[[], T]) -> T:
        """``func()`` on the health check's own thread."""
        return await self._submit(self._health, func)

    @staticmethod
    async def _submit(executor: ThreadPoolExecutor, func: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        # As asyncio.to_thread does: the work sees the request's context variables.
        context = contextvars.copy_context()
        return await loop.run_in_executor(executor, context.run, func)

    def close(self) -> None:
        """Stop accepting work; queued work is dropped, running work finishes on its own."""
        self._work.shutdown(wait=False, cancel_futures=True)
        self._health.shutdown(wait=False, cancel_futures=True)
