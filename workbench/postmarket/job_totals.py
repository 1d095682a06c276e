"""What the metrics say about succeeded scoring jobs, folded in once per job rather than on every scrape.

A succeeded job's figures never change afterwards (rows, routes, per-batch latency, the
drift summary; later writes to its record touch only review overrides and retrain
actions, which the metrics do not show), and jobs are never deleted. So each project
keeps running totals in this process. Every scrape first asks the database for the
count and the latest end of succeeded scoring jobs; while both are what they were at
the last fold, the set of jobs is the same (succeeded is final and jobs are never
deleted, so the set only grows) and nothing else is read. When they moved, it lists
the ids (no JSON read), reads the stats of the ids it has not folded yet, and adds them.

If a folded id ever disappears from the table (a restored backup, another database at
the same path), the totals are rebuilt from scratch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.store.schema import jobs

__all__ = ["JobTotals", "NewestJob", "job_totals"]

_IN_LIMIT = 500  # beyond this many new ids, read every succeeded row once rather than a long IN list


@dataclass(frozen=True)
class NewestJob:
    """The newest succeeded job of one version: what the latency and drift gauges show."""

    ended_at: datetime | None
    id: str
    batches: int
    seconds: float
    latency_ms: dict[str, float]
    drift_share: float | None

    def order(self) -> tuple[str, str]:
        return (self.ended_at.isoformat() if self.ended_at else "", self.id)


@dataclass(frozen=True)
class JobTotals:
    """Per ``(model, version)``: rows scored and the newest job; per ``(model, route)``: decisions."""

    rows: dict[tuple[str, str], int]
    routes: dict[tuple[str, str], int]
    newest: dict[tuple[str, str], NewestJob]


@dataclass
class _Folded:
    fingerprint: tuple[Any, ...] = ()
    seen: set[str] = field(default_factory=set)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    routes: dict[tuple[str, str], int] = field(default_factory=dict)
    newest: dict[tuple[str, str], NewestJob] = field(default_factory=dict)

    def add(self, job: Any) -> None:
        self.seen.add(job.id)
        version = (job.name or "", str(job.version))
        self.rows[version] = self.rows.get(version, 0) + int(job.rows_done or 0)
        stats = job.stats or {}
        for route, count in (stats.get("routes") or {}).items():
            key = (job.name or "", str(route))
            self.routes[key] = self.routes.get(key, 0) + int(count)
        share = ((job.drift or {}).get("summary") or {}).get("drift_share")
        candidate = NewestJob(
            ended_at=job.ended_at,
            id=job.id,
            batches=int(stats.get("batches") or 0),
            seconds=float(stats.get("seconds") or 0.0),
            latency_ms={k: float(v) for k, v in (stats.get("batch_latency_ms") or {}).items() if v is not None},
            drift_share=None if share is None else float(share),
        )
        current = self.newest.get(version)
        if current is None or candidate.order() > current.order():
            self.newest[version] = candidate

    def snapshot(self) -> JobTotals:
        return JobTotals(dict(self.rows), dict(self.routes), dict(self.newest))


_FOLDED: dict[str, _Folded] = {}
_LOCK = threading.Lock()
_SUCCEEDED = sa.and_(jobs.c.kind == "score", jobs.c.status == "succeeded")
_COLUMNS = (jobs.c.id, jobs.c.name, jobs.c.version, jobs.c.rows_done, jobs.c.ended_at, jobs.c.stats, jobs.c.drift)


def job_totals(workspace: Workspace, conn: Any) -> JobTotals:
    """The totals of the project's succeeded scoring jobs as ``conn`` sees them, folding in new jobs only."""
    cache_id = f"{workspace.project.root}|{workspace.project.db_url}"
    fingerprint = tuple(conn.execute(sa.select(sa.func.count(), sa.func.max(jobs.c.ended_at)).where(_SUCCEEDED)).one())
    with _LOCK:
        folded = _FOLDED.get(cache_id)
        if folded is not None and folded.fingerprint == fingerprint:
            return folded.snapshot()
    ids = set(conn.execute(sa.select(jobs.c.id).where(_SUCCEEDED)).scalars())
    with _LOCK:
        folded = _FOLDED.get(cache_id)
        if folded is None or not folded.seen <= ids:
            folded = _FOLDED[cache_id] = _Folded()
        folded.fingerprint = fingerprint
        new = ids - folded.seen
        if new:
            query = sa.select(*_COLUMNS).where(_SUCCEEDED)
            if len(new) <= _IN_LIMIT:
                query = query.where(jobs.c.id.in_(sorted(new)))
            for job in conn.execute(query):
                if job.id in new:
                    folded.add(job)
        return folded.snapshot()
