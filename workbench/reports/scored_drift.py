"""A version's drift in scored data, as the Models panel and the audit report show it.

Each succeeded scoring job stores one drift verdict (:mod:`workbench.drift.verdict`); the
job whose verdict exceeded the monitoring limit also set the version's
``retrain_recommended`` flag in the same transaction. :func:`scored_drift` reads back the
newest job's verdict and the verdict that recommended retraining, so a face that shows the
flag also names the job, the drifted columns, the share and the limit behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import as_utc, isoformat
from workbench.drift.verdict import DriftVerdict, recorded_verdict
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.store.schema import jobs

__all__ = ["JobVerdict", "ScoredDrift", "scored_drift"]

# Jobs read, newest first, while looking for the one that recommended retraining.
_SCAN_BATCH = 200


@dataclass(frozen=True)
class JobVerdict:
    """One scoring job's stored drift verdict."""

    job: str
    ended_at: datetime | None
    verdict: DriftVerdict

    def to_dict(self) -> dict[str, Any]:
        ended = isoformat(self.ended_at) if self.ended_at else None
        return {"job": self.job, "ended_at": ended, **self.verdict.to_dict()}


@dataclass(frozen=True)
class ScoredDrift:
    """``latest``: the newest succeeded job's verdict; ``recommending``: the newest verdict that
    recommended retraining (the one behind ``retrain_recommended``, the version's flag)."""

    retrain_recommended: bool
    latest: JobVerdict | None = None
    recommending: JobVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "retrain_recommended": self.retrain_recommended,
            "latest": self.latest.to_dict() if self.latest else None,
            "recommending": self.recommending.to_dict() if self.recommending else None,
        }


def scored_drift(workspace: Workspace, version: ModelVersion) -> ScoredDrift:
    """The drift verdicts of ``version``'s scoring jobs: the newest, and the one behind its flag."""
    query = (
        sa.select(jobs.c.id, jobs.c.ended_at, jobs.c.drift)
        .where(
            jobs.c.name == version.name,
            jobs.c.version == version.version,
            jobs.c.kind == "score",
            jobs.c.status == "succeeded",
        )
        .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
    )
    latest = recommending = None
    with workspace.read() as conn:
        offset = 0
        while True:
            rows = conn.execute(query.limit(_SCAN_BATCH).offset(offset)).all()
            for row in rows:
                verdict = recorded_verdict(row.drift)
                if verdict is None:
                    continue
                found = JobVerdict(row.id, as_utc(row.ended_at), verdict)
                latest = latest or found
                if verdict.retrain_recommended and recommending is None:
                    recommending = found
                if latest and (recommending or not version.retrain_recommended):
                    return ScoredDrift(version.retrain_recommended, latest, recommending)
            if len(rows) < _SCAN_BATCH:
                return ScoredDrift(version.retrain_recommended, latest, recommending)
            offset += _SCAN_BATCH
