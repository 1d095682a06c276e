"""The operating-system side of a tracked process: start it detached, tell whether it lives, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

__all__ = ["process_alive", "start_detached", "stop_process", "this_host", "vanished", "workbench_command"]


def this_host() -> str:
    return socket.gethostname()


def workbench_command() -> list[str]:
    """How to call workbench from a child process: the console script beside this Python, else ``-m``."""
    beside = Path(sys.executable).with_name("workbench")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "workbench.cli.main"]


def start_detached(command: Sequence[str], *, cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``command`` (an argument list, no shell) in ``cwd`` in its own session, with ``env``
    added to this process's environment and its output appended to ``log_path``.

    Its own session means closing the terminal, the kernel or the Jupyter server that started
    it does not stop it; it records its own outcome.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **env},
            start_new_session=True,
        )


def process_alive(pid: int | None, alive_since: datetime | None) -> bool | None:
    """True if ``pid`` runs on this host and is older than ``alive_since`` (when the record last
    showed life); False if it is gone, a zombie, or a newer program reusing the id; None when unknown."""
    if pid is None:
        return None
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return not (alive_since is not None and process.create_time() > alive_since.timestamp() + 1.0)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return None


def vanished(pid: int | None, host: str | None, alive_since: datetime | None) -> bool:
    """Whether a record's process is known to be gone: only on this host (or with no host recorded)
    can its pid tell; elsewhere this says False and the caller decides by other signs."""
    if host not in (None, this_host()):
        return False
    return process_alive(pid, alive_since) is False


def stop_process(pid: int | None, host: str | None, alive_since: datetime | None) -> bool:
    """Ask the recorded process to stop (SIGTERM, which jobs and runs record as cancelled) when it
    runs on this host and is still the recorded one; returns whether a signal was sent."""
    if pid is None or host != this_host() or not process_alive(pid, alive_since):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        return True
    return False
