"""A scoring job's decision log: staged while it runs, stored and recorded when it succeeds.

The engine writes the job's decisions (:mod:`workbench.scoring.decision_log` lists the
columns) to a Parquet file in the job's private folder. When the job succeeds,
:func:`store_decision_log` puts that file into the artifact store (content-addressed,
verified on every read) before the final transaction, and :func:`record_decision_log`
inserts its row in ``decision_logs`` inside that transaction, so a succeeded job always
names its log and the ``job.succeed`` audit event carries its digest. A crash between
the two leaves an orphaned artifact, which is harmless. The user's output file is
theirs to move or delete; monitoring and audits read the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workbench.artifacts.store import ArtifactRef
from workbench.core.clock import utcnow
from workbench.core.errors import NotFound
from workbench.jobs.values import Job, job_dir
from workbench.project.config import Project
from workbench.project.workspace import Workspace
from workbench.store.schema import decision_logs

__all__ = [
    "DecisionLog",
    "decision_log_staging",
    "decision_logs_of",
    "logged_columns",
    "read_decision_log",
    "record_decision_log",
    "split_columns",
    "store_decision_log",
]

MEDIA_TYPE = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class DecisionLog:
    """One job's stored decision log."""

    job_id: str
    name: str
    version: int
    digest: str
    size: int
    rows: int
    keys: tuple[str, ...]
    monitored: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "model": self.name,
            "version": self.version,
            "digest": self.digest,
            "size": self.size,
            "rows": self.rows,
            "keys": list(self.keys),
            "monitored": list(self.monitored),
        }


def decision_log_staging(project: Project, job_id: str) -> Path:
    """Where a running job stages its decision log, until it is stored."""
    return job_dir(project, job_id) / "decisions.parquet"


def logged_columns(lineage: dict[str, Any]) -> tuple[str, ...]:
    """The input columns a version's decision log keeps: its sensitive attributes, then its monitored columns."""
    return tuple(dict.fromkeys([*(lineage.get("sensitive") or ()), *(lineage.get("monitor") or ())]))


def split_columns(columns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A log's key columns (those before ``row``) and monitored columns (those after ``job_id``)."""
    names = list(columns)
    keys = tuple(names[: names.index("row")]) if "row" in names else ()
    monitored = tuple(names[names.index("job_id") + 1 :]) if "job_id" in names else ()
    return keys, monitored


def store_decision_log(workspace: Workspace, job: Job, path: Path) -> tuple[ArtifactRef, int, tuple[str, ...]]:
    """Put the staged log into the artifact store; returns its reference, row count and column names."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    ref = workspace.artifacts.put_file(path, name=f"decision log of job {job.short_id}", media_type=MEDIA_TYPE)
    return ref, int(meta.num_rows), tuple(meta.schema.to_arrow_schema().names)


def record_decision_log(
    conn: Any, job: Job, ref: ArtifactRef, rows: int, keys: tuple[str, ...], monitored: tuple[str, ...]
) -> DecisionLog:
    """Insert the job's ``decision_logs`` row (inside the job's final transaction)."""
    log = DecisionLog(job.id, job.name or "", int(job.version or 0), ref.digest, ref.size, rows, keys, monitored)
    conn.execute(
        decision_logs.insert().values(
            job_id=log.job_id,
            name=log.name,
            version=log.version,
            digest=log.digest,
            size=log.size,
            rows=log.rows,
            keys=list(keys),
            monitored=list(monitored),
            created_at=utcnow(),
        )
    )
    return log


def _from_row(row: Any) -> DecisionLog:
    return DecisionLog(
        row.job_id,
        row.name,
        int(row.version),
        row.digest,
        int(row.size),
        int(row.rows),
        tuple(row.keys or ()),
        tuple(row.monitored or ()),
    )


def decision_logs_of(conn: Any, name: str, *, version: int | None = None) -> list[DecisionLog]:
    """The decision logs of a model's succeeded jobs (of one version, when given), oldest first."""
    query = sa.select(decision_logs).where(decision_logs.c.name == name)
    if version is not None:
        query = query.where(decision_logs.c.version == version)
    return [_from_row(r) for r in conn.execute(query.order_by(decision_logs.c.created_at, decision_logs.c.job_id))]


def read_decision_log(workspace: Workspace, job_id: str) -> tuple[DecisionLog, bytes]:
    """A job's log and its Parquet bytes, verified against the recorded digest."""
    with workspace.read() as conn:
        row = conn.execute(sa.select(decision_logs).where(decision_logs.c.job_id == job_id)).first()
    if row is None:
        raise NotFound(
            f"Job {job_id[:8]} has no decision log: only jobs that succeeded since decision logs were "
            "introduced keep one. `workbench jobs list` shows the jobs."
        )
    log = _from_row(row)
    return log, workspace.artifacts.get_bytes(log.digest, name=f"decision log of job {job_id[:8]}")
