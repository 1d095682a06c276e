"""Scoring jobs as the audit report shows them: one fixed shape, whatever the job's state or age.

A job's ``stats`` and ``drift`` columns are written by its final transaction, and only
by a job that succeeded: a queued, detached, running, failed, cancelled or reaped
(killed) job has none; a job whose drift check could not run records the reason
instead of a verdict; and a job written before a key existed lacks that key. A job's
drift is its stored verdict (:func:`~workbench.drift.verdict.recorded_verdict`), the same
one the CLI, the Models panel and the version's retrain flag show.
:func:`report_jobs` reads every row into a :class:`ReportJob` whose fields all exist,
with ``None`` for "not recorded", so the template never has to guess what is there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from workbench.drift.verdict import DriftVerdict, recorded_verdict
from workbench.store.schema import jobs, review_items

__all__ = ["BatchChecks", "ReportJob", "report_jobs"]

# Why a job has no drift result, by status; any other status (one a later version adds) falls back.
_NO_DRIFT = {
    "queued": "not scored yet",
    "running": "still scoring",
    "failed": "no result: the job failed before its drift check",
    "cancelled": "no result: the job was cancelled before its drift check",
    "succeeded": "no drift check recorded",
}


@dataclass(frozen=True)
class BatchChecks:
    """The per-batch drift checks: how many ran, how many exceeded the limit, and from which input row."""

    checked: int
    over_limit: int
    first_over_limit_row: int | None


@dataclass(frozen=True)
class ReportJob:
    """One scoring job of the version, every field present (``None``: the job did not record it)."""

    id: str
    status: str
    ref: str
    rows: int
    created_at: datetime | None
    device: str | None = None
    engine: str | None = None
    error: str | None = None
    decisions: dict[str, int] = field(default_factory=dict)
    drift: DriftVerdict | None = None
    drift_note: str = ""
    batch_checks: BatchChecks | None = None
    review_open: int = 0
    review_decided: int = 0
    overrides: int = 0

    @property
    def outcome(self) -> str:
        """The status in words, with the error of a job that failed."""
        if self.status == "queued":
            return "queued (not started)"
        if self.status == "running":
            return "running"
        if self.error:
            return f"{self.status}: {self.error}"
        return self.status


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _float(value)
    return None if number is None else int(number)


def _drift(record: dict[str, Any], status: str) -> tuple[DriftVerdict | None, str]:
    verdict = recorded_verdict(record)
    if verdict is not None:
        return verdict, ""
    if record.get("error"):
        return None, f"not checked: {record['error']}"
    if record.get("summary") or record.get("verdict"):
        return None, "drift record incomplete: no verdict to show"
    return None, _NO_DRIFT.get(status, f"no drift check recorded (job {status})")


def _batch_checks(stats: dict[str, Any]) -> BatchChecks | None:
    checks = _mapping(stats.get("batch_drift"))
    if not checks:
        return None
    return BatchChecks(
        checked=_int(checks.get("checked")) or 0,
        over_limit=_int(checks.get("over_limit")) or 0,
        first_over_limit_row=_int(checks.get("first_over_limit_row")),
    )


def _decisions(stats: dict[str, Any]) -> dict[str, int]:
    counts = {str(key): _int(value) for key, value in _mapping(stats.get("decisions")).items()}
    return {key: count for key, count in counts.items() if count is not None}


def _report_job(row: Row[Any], review_counts: dict[str, int]) -> ReportJob:
    stats = _mapping(row.stats)
    status = str(row.status)
    drift, note = _drift(_mapping(row.drift), status)
    return ReportJob(
        id=row.id,
        status=status,
        ref=row.ref or f"{row.name}:{row.version}",
        rows=_int(row.rows_done) or 0,
        created_at=row.created_at,
        device=row.device,
        engine=row.engine,
        error=row.error,
        decisions=_decisions(stats),
        drift=drift,
        drift_note=note,
        batch_checks=_batch_checks(stats),
        review_open=review_counts.get("open", 0),
        review_decided=review_counts.get("decided", 0),
        overrides=_int(stats.get("overrides")) or 0,
    )


def report_jobs(conn: Connection, name: str, version: int) -> list[ReportJob]:
    """Every scoring job of ``name:version``, oldest first, in any state."""
    rows = conn.execute(
        sa.select(jobs).where(jobs.c.name == name, jobs.c.version == version).order_by(jobs.c.created_at)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    if rows:
        tallies = conn.execute(
            sa.select(review_items.c.job_id, review_items.c.status, sa.func.count())
            .where(review_items.c.job_id.in_([row.id for row in rows]))
            .group_by(review_items.c.job_id, review_items.c.status)
        ).all()
        for job_id, status, count in tallies:
            counts.setdefault(job_id, {})[status] = int(count)
    return [_report_job(row, counts.get(row.id, {})) for row in rows]
