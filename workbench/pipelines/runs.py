"""``runs``: the history of notebook runs, newest first, one run in full, and cancelling one.

A run whose process vanished (killed with SIGKILL, machine restarted) would stay
``running`` for ever; reading the history notices such runs on this host and
records them as failed, so a dead run is never shown as alive or as succeeded.
Runs are tracked processes (:mod:`workbench.processes`): found by id prefix, their
status changed only along :data:`~workbench.processes.RUN_LIFECYCLE`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict
from workbench.core.values import from_row
from workbench.notebooks.execute import CellTiming
from workbench.pipelines.values import RunRecord
from workbench.processes import RUN_LIFECYCLE, find_id, listing, stop_process, this_host, transition, vanished
from workbench.project.workspace import Workspace
from workbench.store.schema import runs

__all__ = ["cancel_run", "get_run", "list_runs", "reap_vanished_runs", "row_to_run"]


def row_to_run(row: Row[Any]) -> RunRecord:
    return from_row(
        RunRecord,
        row,
        params=dict(row.params or {}),
        cells=tuple(CellTiming.from_dict(cell) for cell in (row.cells or [])),
        error_name=row.error_type,
        error_message=row.error,
    )


def reap_vanished_runs(workspace: Workspace) -> list[str]:
    """Mark ``running`` runs of this host whose process is gone as failed; returns their ids."""
    host = this_host()
    with workspace.read() as conn:
        query = sa.select(runs.c.id, runs.c.pid, runs.c.started_at)
        candidates = list(conn.execute(query.where(runs.c.status == "running", runs.c.host == host)))
    gone = [row.id for row in candidates if row.pid is not None and vanished(row.pid, host, row.started_at)]
    for run_id in gone:
        with workspace.transaction() as tx:
            if transition(
                tx.conn,
                runs,
                run_id,
                RUN_LIFECYCLE,
                "failed",
                ended_at=utcnow(),
                error_type="ProcessVanished",
                error=(
                    "The workbench process running this notebook ended without recording an outcome "
                    "(killed, or the machine restarted). Run it again."
                ),
            ):
                tx.record("pipeline.run.vanished", f"run:{run_id}", {"status": "failed"})
    return gone


def list_runs(
    workspace: Workspace,
    *,
    stage: str | None = None,
    status: str | None = None,
    limit: int | None = 50,
) -> list[RunRecord]:
    """Runs, newest first, optionally of one stage or status."""
    query = listing(runs, RUN_LIFECYCLE, runs.c.started_at, limit=limit, stage=stage, status=status)
    reap_vanished_runs(workspace)
    with workspace.read() as conn:
        return [row_to_run(row) for row in conn.execute(query)]


def get_run(workspace: Workspace, run_id: str) -> RunRecord:
    """One run by id or by a unique prefix of at least four characters."""
    reap_vanished_runs(workspace)
    with workspace.read() as conn:
        full_id = find_id(conn, runs, run_id, "run", "workbench runs list")
        return row_to_run(conn.execute(sa.select(runs).where(runs.c.id == full_id)).one())


def cancel_run(workspace: Workspace, run_id: str) -> RunRecord:
    """Stop a running run through its recorded process (SIGTERM, which ``workbench run`` records as
    cancelled), whoever started it, when it runs on this host; raises :class:`Conflict` otherwise."""
    record = get_run(workspace, run_id)
    if record.finished:
        raise Conflict(f"Run {record.id[:12]} has already {record.status}; there is nothing to cancel.")
    if not stop_process(record.pid, record.host, record.started_at):
        raise Conflict(
            f"Run {record.id[:12]} runs elsewhere (trigger {record.trigger}, process {record.pid} on "
            f"{record.host}); stop it where it runs."
        )
    return record
