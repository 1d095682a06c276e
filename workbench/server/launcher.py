"""Long operations started from the sidebar, as child processes of the server.

A notebook run (and a scoring job, when its service has no detach function of its
own) must not block the server's event loop, and must answer with its id at once.
The launcher starts a run's command (``dvc repro ... STAGE``) with an argument list (no
shell), in its own session so that stopping the Jupyter server leaves it running
to completion, and with ``WORKBENCH_USER`` set to the acting user so the run's
record and audit events name who pressed the button. The child records its own
progress in the store; the launcher only keeps what the store cannot know: the
process, its console log, and its exit code if it died before recording anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core.clock import isoformat, utcnow
from workbench.processes import start_detached, stop_process, this_host

__all__ = ["Launch", "ProcessLauncher"]

_LOG_TAIL_BYTES = 16 * 1024
# Ended launches kept for lookups; older ones are forgotten (their runs are on record).
_KEEP_ENDED = 200


@dataclass
class Launch:
    """One child process started by this server."""

    id: str
    kind: str
    command: list[str]
    pid: int
    log_path: Path
    started_at: datetime
    cancel_requested: bool = False
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def returncode(self) -> int | None:
        # Polling collects the exit code, so a finished child does not linger as a zombie.
        return None if self._process is None else self._process.poll()

    @property
    def running(self) -> bool:
        return self.returncode is None

    def log_tail(self, limit: int = _LOG_TAIL_BYTES) -> str:
        """The end of the child's console output (empty when there is none yet)."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - limit))
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "pid": self.pid,
            "started_at": isoformat(self.started_at),
            "running": self.running,
            "returncode": self.returncode,
            "cancel_requested": self.cancel_requested,
        }


class ProcessLauncher:
    """Starts (:func:`~workbench.processes.start_detached`), tracks and stops the server's children."""

    def __init__(self) -> None:
        self._launches: dict[str, Launch] = {}

    async def start(
        self,
        kind: str,
        launch_id: str,
        command: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
    ) -> Launch:
        """Start ``command`` in ``cwd`` with ``env`` added to the server's environment."""
        process = start_detached(command, cwd=cwd, env=env, log_path=log_path)
        launch = Launch(launch_id, kind, list(command), process.pid, log_path, utcnow(), _process=process)
        self._forget_old()
        self._launches[launch_id] = launch
        return launch

    def _forget_old(self) -> None:
        ended = [key for key, launch in self._launches.items() if not launch.running]
        for key in ended[: max(0, len(ended) - _KEEP_ENDED)]:
            del self._launches[key]

    def get(self, launch_id: str) -> Launch | None:
        return self._launches.get(launch_id)

    def find(self, prefix: str) -> Launch | None:
        """The launch whose id starts with ``prefix``, when exactly one does."""
        found = [launch for key, launch in self._launches.items() if key.startswith(prefix)]
        return found[0] if len(found) == 1 else None

    def cancel(self, launch_id: str) -> bool:
        """Ask a running child to stop (SIGTERM, which ``workbench run`` records as cancelled).

        The signal goes to the child's whole process group (it leads its own session): a
        ``dvc repro`` passes nothing on to the ``workbench run`` it started. Returns False
        when this server did not start it or it has already ended.
        """
        launch = self._launches.get(launch_id)
        if launch is None or not launch.running:
            return False
        launch.cancel_requested = True
        try:
            os.killpg(launch.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            stop_process(launch.pid, this_host(), launch.started_at)
        return True

    async def close(self) -> None:
        """Stop following the children (they keep running in their own sessions and record their outcome)."""
        self._launches.clear()
