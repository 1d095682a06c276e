"""The audit report's feature-skew rows: per scoring job of a version with a feature set, whether its
features, recomputed for a sample of training rows, equalled the values the model was trained on
(the check is :mod:`workbench.features.skew`; each job keeps its result in ``stats.feature_skew``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.store.schema import jobs

__all__ = ["FeatureSkew", "SkewRow", "feature_skew"]


@dataclass(frozen=True)
class SkewRow:
    """One job's result: ``status`` is match, skew or not checked (with the reason)."""

    job: str
    status: str
    rows: int | None = None
    mismatched_rows: int | None = None
    columns: dict[str, int] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class FeatureSkew:
    feature_set: str
    version: str
    jobs: list[SkewRow]


def _row(job_id: str, record: Any) -> SkewRow:
    if not isinstance(record, dict):
        return SkewRow(job_id, "not recorded", reason="the job was submitted before the skew check existed")
    return SkewRow(
        job_id,
        str(record.get("status", "not recorded")),
        record.get("rows"),
        record.get("mismatched_rows"),
        {str(k): int(v) for k, v in (record.get("columns") or {}).items()},
        str(record.get("reason", "")),
    )


def feature_skew(conn: Connection, name: str, version: int, lineage: dict[str, Any]) -> FeatureSkew | None:
    """The skew results of ``name:version``'s jobs, oldest first (None: the version has no feature set)."""
    recorded = lineage.get("feature_set")
    if not isinstance(recorded, dict):
        return None
    rows = conn.execute(
        sa.select(jobs.c.id, jobs.c.stats)
        .where(jobs.c.name == name, jobs.c.version == version, jobs.c.kind == "score")
        .order_by(jobs.c.created_at)
    ).all()
    results = [_row(row.id, (row.stats or {}).get("feature_skew")) for row in rows]
    return FeatureSkew(str(recorded.get("name")), str(recorded.get("version")), results)
