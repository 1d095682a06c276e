"""``runs``: the history of notebook runs, newest first, and one run in full.

A run whose process vanished (killed with SIGKILL, machine restarted) would stay
``running`` for ever; reading the history notices such runs on this host and
records them as failed, so a dead run is never shown as alive or as succeeded.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from workbench.core.clock import utcnow
from workbench.core.errors import NotFound, ValidationError
from workbench.notebooks.execute import CellTiming
from workbench.pipelines.models import RUN_STATUSES, RunRecord
from workbench.project.workspace import Workspace
from workbench.store.schema import runs

__all__ = ["as_utc", "get_run", "list_runs", "reap_vanished_runs", "row_to_run"]

_MIN_PREFIX = 4


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def row_to_run(row: Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        stage=row.stage,
        notebook=row.notebook,
        params=dict(row.params or {}),
        status=row.status,
        actor=row.actor,
        started_at=as_utc(row.started_at),  # type: ignore[arg-type]
        ended_at=as_utc(row.ended_at),
        git_commit=row.git_commit,
        git_dirty=row.git_dirty,
        cells=tuple(CellTiming.from_dict(cell) for cell in (row.cells or [])),
        error_cell=row.error_cell,
        error_name=row.error_name,
        error_message=row.error_message,
        output_path=row.output_path,
        output_digest=row.output_digest,
        log_path=row.log_path,
        pid=row.pid,
        host=row.host,
        trigger=row.trigger,
        timeout_s=row.timeout_s,
    )


def _process_gone(pid: int | None, started_at: datetime) -> bool:
    if pid is None:
        return False
    import psutil

    try:
        process = psutil.Process(pid)
        # A process with this pid that started after the run is another program.
        return process.create_time() > started_at.timestamp() + 1.0
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def reap_vanished_runs(workspace: Workspace) -> list[str]:
    """Mark ``running`` runs of this host whose process is gone as failed; returns their ids."""
    host = socket.gethostname()
    with workspace.read() as conn:
        candidates = list(
            conn.execute(
                sa.select(runs.c.id, runs.c.pid, runs.c.started_at).where(
                    runs.c.status == "running", runs.c.host == host
                )
            )
        )
    gone = [row.id for row in candidates if _process_gone(row.pid, as_utc(row.started_at))]  # type: ignore[arg-type]
    for run_id in gone:
        with workspace.transaction() as tx:
            updated = tx.conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == "running")
                .values(
                    status="failed",
                    ended_at=utcnow(),
                    error_name="ProcessVanished",
                    error_message=(
                        "The workbench process running this notebook ended without recording an outcome "
                        "(killed, or the machine restarted). Run it again."
                    ),
                )
            )
            if updated.rowcount:
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
    if status is not None and status not in RUN_STATUSES:
        raise ValidationError(f"Unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}.")
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    reap_vanished_runs(workspace)
    query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if stage is not None:
        query = query.where(runs.c.stage == stage)
    if status is not None:
        query = query.where(runs.c.status == status)
    if limit is not None:
        query = query.limit(limit)
    with workspace.read() as conn:
        return [row_to_run(row) for row in conn.execute(query)]


def get_run(workspace: Workspace, run_id: str) -> RunRecord:
    """One run by id or by a unique prefix of at least four characters."""
    text = (run_id or "").strip().lower()
    if len(text) < _MIN_PREFIX or not all(char in "0123456789abcdef" for char in text):
        raise ValidationError(
            f"{run_id!r} is not a run id; give at least {_MIN_PREFIX} hex characters (see `workbench runs list`)."
        )
    reap_vanished_runs(workspace)
    with workspace.read() as conn:
        rows = list(conn.execute(sa.select(runs).where(runs.c.id.startswith(text)).limit(2)))
    if not rows:
        raise NotFound(f"No run {run_id!r}; `workbench runs list` shows the recent ones.")
    if len(rows) > 1:
        raise ValidationError(f"{run_id!r} matches several runs; give more characters of the id.")
    return row_to_run(rows[0])
