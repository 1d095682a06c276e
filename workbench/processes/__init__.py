"""Tracked processes: scoring jobs and notebook runs share one model of a process on record.

* :mod:`.records`: a :class:`Lifecycle` (which status may follow which) and the only
  status writer, :func:`transition`, a guarded ``UPDATE`` that changes a row only from a
  status the lifecycle allows; :func:`find_id` finds a record by id or unique prefix.
* :mod:`.system`: the operating-system side: :func:`start_detached` starts a
  ``workbench`` command (:func:`workbench_command`) in its own session, :func:`process_alive` is the one rule for
  "is the recorded process still this one", :func:`stop_process` signals it on this host.

A record keeps ``pid`` and ``host``, so any process on the same host can watch or stop
a job or a run, whoever started it.
"""

from __future__ import annotations

from workbench.processes.records import JOB_LIFECYCLE, RUN_LIFECYCLE, Lifecycle, find_id, listing, transition
from workbench.processes.system import (
    process_alive,
    start_detached,
    stop_process,
    this_host,
    vanished,
    workbench_command,
)

__all__ = [
    "JOB_LIFECYCLE",
    "RUN_LIFECYCLE",
    "Lifecycle",
    "find_id",
    "listing",
    "process_alive",
    "start_detached",
    "stop_process",
    "this_host",
    "transition",
    "vanished",
    "workbench_command",
]
