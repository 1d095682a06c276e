"""Jobs and review items as values the faces show: :class:`Job` and :class:`ReviewItem`.

Rows of the ``jobs`` and ``review_items`` tables become these frozen dataclasses;
``to_dict`` is what the CLI prints with ``--json`` and the server returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Row

from workbench.core.clock import as_utc, isoformat
from workbench.core.values import from_row, plain_fields
from workbench.processes import JOB_LIFECYCLE, this_host
from workbench.project.config import Project

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "JOB_STATUSES",
    "Job",
    "ProgressCallback",
    "ReviewItem",
    "as_utc",
    "job_dir",
    "review_staging",
    "this_host",
]

JOB_STATUSES = JOB_LIFECYCLE.statuses
ACTIVE_STATUSES = JOB_LIFECYCLE.active
FINAL_STATUSES = JOB_LIFECYCLE.final

#: ``progress(rows_done, rows_total)``, called while a job runs in this process.
ProgressCallback = Callable[[int, "int | None"], None]


def job_dir(project: Project, job_id: str) -> Path:
    """The job's private folder: its log and its staged review rows."""
    return project.state_dir / "jobs" / job_id


def review_staging(project: Project, job_id: str) -> Path:
    """Where a running job stages the rows it sends to review, until its final transaction."""
    return job_dir(project, job_id) / "review.parquet"


def _time(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None


@dataclass(frozen=True)
class Job:
    """A scoring job: what it scores with what, where it runs, how far it got, and how it ended."""

    id: str
    kind: str
    name: str
    version: int
    ref: str
    input: str
    output: str
    device: str | None
    engine: str
    options: dict[str, Any]
    status: str
    rows_done: int
    rows_total: int | None
    created_at: datetime
    actor: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    heartbeat_at: datetime | None = None
    error: str | None = None
    error_type: str | None = None
    error_details: Any = None
    pid: int | None = None
    host: str | None = None
    cancel_requested: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] = field(default_factory=dict)
    log_path: str | None = None

    @property
    def model_ref(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def fraction(self) -> float | None:
        if not self.rows_total:
            return None
        return min(1.0, self.rows_done / self.rows_total)

    @property
    def warnings(self) -> list[str]:
        return list(self.stats.get("warnings", []))

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "model": self.name,
            "version": self.version,
            "ref": self.ref,
            "model_ref": self.model_ref,
            "input": self.input,
            "output": self.output,
            "device": self.device,
            "engine": self.engine,
            "options": self.options,
            "status": self.status,
            "rows_done": self.rows_done,
            "rows_total": self.rows_total,
            "actor": self.actor,
            "created_at": _time(self.created_at),
            "started_at": _time(self.started_at),
            "ended_at": _time(self.ended_at),
            "heartbeat_at": _time(self.heartbeat_at),
            "error": self.error,
            "error_type": self.error_type,
            "error_details": self.error_details,
            "pid": self.pid,
            "host": self.host,
            "cancel_requested": self.cancel_requested,
            "stats": self.stats,
            "drift": self.drift,
            "log_path": self.log_path,
        }

    def _repr_html_(self) -> str:
        import html

        from workbench.drift.verdict import recorded_verdict

        done = f"{self.rows_done:,}" + (f" / {self.rows_total:,}" if self.rows_total is not None else "")
        decisions = ", ".join(f"{k}: {v:,}" for k, v in self.stats.get("decisions", {}).items())
        drift = recorded_verdict(self.drift)
        parts = [
            f"<b>Job {html.escape(self.short_id)}</b> ({html.escape(self.status)}): {html.escape(self.model_ref)}",
            f"rows {done}",
            f"device {html.escape(str(self.device))}, engine {html.escape(self.engine)}",
        ]
        if decisions:
            parts.append(f"decisions {html.escape(decisions)}")
        if drift is not None:
            warn = " style='color:var(--jp-warn-color1,#b60)'" if drift.retrain_recommended else ""
            parts.append(f"<span{warn}>drift: {html.escape(drift.describe())}</span>")
        if self.error:
            parts.append(f"<span style='color:var(--jp-error-color1,#c00)'>{html.escape(self.error)}</span>")
        return "<div class='workbench-job'>" + "<br>".join(parts) + "</div>"

    @classmethod
    def from_row(cls, row: Row[Any]) -> Job:
        return from_row(
            cls,
            row,
            options=dict(row.options or {}),
            rows_done=int(row.rows_done or 0),
            rows_total=None if row.rows_total is None else int(row.rows_total),
            created_at=as_utc(row.created_at),
            started_at=as_utc(row.started_at),
            ended_at=as_utc(row.ended_at),
            heartbeat_at=as_utc(row.heartbeat_at),
            cancel_requested=bool(row.cancel_requested),
            stats=dict(row.stats or {}),
            drift=dict(row.drift or {}),
        )


@dataclass(frozen=True)
class ReviewItem:
    """One row a job sent to human review, and the reviewer's decision once made."""

    id: int
    job_id: str
    row_key: str
    score: float
    leaning: str
    reasons: list[dict[str, Any]]
    rule: str | None
    status: str
    decision: str | None = None
    comment: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    override: bool | None = None
    row_index: int | None = None
    created_at: datetime | None = None
    model: str | None = None
    version: int | None = None
    #: Why the row went to review beyond its score: ``{"outside_training_range": [{"column", "value",
    #: "why", ...}]}`` for a row outside the training range (see :mod:`workbench.scoring.guard`).
    detail: dict[str, Any] | None = None

    @property
    def outside_training_range(self) -> list[dict[str, Any]]:
        """The columns (with their values) that put the row outside the training range."""
        return list((self.detail or {}).get("outside_training_range") or [])

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)

    @classmethod
    def from_row(cls, row: Row[Any]) -> ReviewItem:
        return from_row(
            cls,
            row,
            id=int(row.id),
            score=float(row.score),
            reasons=list(row.reasons or []),
            decided_at=as_utc(row.decided_at),
            created_at=as_utc(row.created_at),
            model=row._mapping.get("name"),
        )
