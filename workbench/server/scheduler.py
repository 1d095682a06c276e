"""The pipelines scheduler inside the Jupyter server.

When the project says ``[tool.workbench.scheduler] enabled = true``, the server
runs :func:`workbench.pipelines.scheduler.scheduler_loop` on its event loop: every
``interval_s`` seconds it claims due slots in a worker thread and runs each claimed
slot as a child process, so the loop never blocks. Slot claims are exactly-once in
the database, so this loop may run beside ``workbench scheduler`` processes or other
servers. Scheduled runs act as the server process's own user (the local identity),
since no browser user pressed a button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from workbench.pipelines.scheduler import scheduler_loop
from workbench.pipelines.values import SlotOutcome
from workbench.project.identity import current_identity
from workbench.project.workspace import Workspace
from workbench.server.workspaces import WorkspaceProvider

__all__ = ["ServerScheduler"]


class ServerScheduler:
    """Starts and stops the scheduler loop with the server."""

    def __init__(self, provider: WorkspaceProvider, log: logging.Logger | Any) -> None:
        self.provider = provider
        self.log = log
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start the loop when the project enables it; returns whether it started. Needs a running loop."""
        try:
            project = self.provider.project()
        except Exception as exc:  # a broken config must not stop the server from starting
            self.log.warning("workbench scheduler not started: %s", exc)
            return False
        if project is None or not project.config.scheduler_enabled:
            return False
        workspace = Workspace(project, current_identity(project))
        interval = max(1.0, project.config.scheduler_interval_s)
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(
            scheduler_loop(workspace, interval_s=interval, stop=self._stop, on_outcome=self._report)
        )
        self._task.add_done_callback(self._ended)
        self.log.info("workbench scheduler started for %s (every %.0f s)", project.root, interval)
        return True

    def _report(self, outcome: SlotOutcome) -> None:
        self.log.info(
            "workbench scheduler: schedule %s stage %s slot %s %s %s",
            outcome.schedule_id,
            outcome.stage,
            outcome.slot.isoformat(),
            outcome.status,
            outcome.message,
        )

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.log.error("workbench scheduler stopped: %r", task.exception())

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the loop; runs it started are awaited for up to ``timeout_s`` seconds."""
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout=timeout_s)
        if not self._task.done():
            self._task.cancel()
        self._task = None
