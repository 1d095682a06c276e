"""The drift verdict of scored data: which columns drifted, their share, the policy's limit,
and whether retraining is recommended.

One rule decides it everywhere: retraining is recommended when the share of drifted
columns is *above* the monitoring limit (``share > limit``; no limit, no recommendation).
:func:`drift_verdict` applies it to a fresh :class:`~workbench.drift.DriftReport`;
:func:`job_drift_record` builds the record a scoring job stores (the verdict beside the
per-column results); :func:`recorded_verdict` reads the verdict back from any stored
record, so the job, the version's retrain flag, the CLI, the audit report and the REST
answers all show the one stored verdict. Evidently's own ``dataset_drift`` (a share at or
above the preset's 0.5) is a different rule; a scoring job's record does not carry it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.drift.report import DriftReport

__all__ = ["DriftVerdict", "drift_verdict", "job_drift_record", "over_limit", "recorded_verdict"]


def over_limit(share: float, limit: float | None) -> bool:
    """The one rule: a share of drifted columns above the limit recommends retraining."""
    return limit is not None and share > limit


@dataclass(frozen=True)
class DriftVerdict:
    """The verdict on one drift check of scored data against the training reference."""

    n_columns: int
    drifted_columns: tuple[str, ...]
    share: float
    limit: float | None
    retrain_recommended: bool

    @property
    def n_drifted(self) -> int:
        return len(self.drifted_columns)

    def describe(self) -> str:
        """The verdict in one sentence, as every face prints it."""
        counted = f"{self.n_drifted}/{self.n_columns} columns drifted"
        if self.limit is None:
            judged = f"share {self.share:.3f}, no monitoring limit set"
        elif self.retrain_recommended:
            judged = f"share {self.share:.3f} over the limit {self.limit:g}: retraining recommended"
        else:
            judged = f"share {self.share:.3f}, within the limit {self.limit:g}"
        named = f"; drifted: {', '.join(self.drifted_columns)}" if self.drifted_columns else ""
        return f"{counted} ({judged}){named}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "drifted_columns": list(self.drifted_columns),
            "share": self.share,
            "limit": self.limit,
            "retrain_recommended": self.retrain_recommended,
            "text": self.describe(),
        }


def drift_verdict(report: DriftReport, limit: float | None) -> DriftVerdict:
    """The verdict on a drift check under the policy's monitoring limit (``None``: no limit)."""
    share = float(report.drift_share)
    limit = None if limit is None else float(limit)
    return DriftVerdict(report.n_columns, report.drifted_columns, share, limit, over_limit(share, limit))


def job_drift_record(report: DriftReport, limit: float | None, **extra: Any) -> dict[str, Any]:
    """The drift record a scoring job stores: the verdict, a summary and the per-column results.

    ``summary``, ``limit`` and ``exceeded`` restate the verdict for readers of records
    older than ``verdict``; ``extra`` adds what the check saw (``sample_rows``, ``reference_rows``).
    """
    verdict = drift_verdict(report, limit)
    return {
        "verdict": verdict.to_dict(),
        "summary": {"n_columns": verdict.n_columns, "n_drifted": verdict.n_drifted, "drift_share": verdict.share},
        "columns": [column.to_dict() for column in report.columns],
        "limit": verdict.limit,
        "exceeded": verdict.retrain_recommended,
        **extra,
    }


def recorded_verdict(record: Mapping[str, Any] | None) -> DriftVerdict | None:
    """The verdict stored in a job's drift record; ``None`` when the record holds none.

    A record written before verdicts were stored (``summary``, ``columns``, ``limit``) is
    judged by the same rule. A record whose numbers are missing or not numbers holds no
    verdict: a face then says the check is not recorded rather than guess.
    """
    if not isinstance(record, Mapping):
        return None
    stored = record.get("verdict")
    if isinstance(stored, Mapping):
        return _from_values(stored.get("n_columns"), stored.get("drifted_columns"), stored.get("share"), stored)
    summary = record.get("summary")
    if not isinstance(summary, Mapping):
        return None
    columns = record.get("columns")
    drifted = (
        [c.get("column") for c in columns if isinstance(c, Mapping) and c.get("drifted") is True]
        if isinstance(columns, list)
        else None
    )
    if drifted is not None and _count(summary.get("n_drifted")) != len(drifted):
        return None  # the per-column results disagree with the summary: no verdict to show
    return _from_values(summary.get("n_columns"), drifted, summary.get("drift_share"), record)


def _from_values(n_columns: Any, drifted: Any, share: Any, holder: Mapping[str, Any]) -> DriftVerdict | None:
    count, fraction, limit = _count(n_columns), _number(share), holder.get("limit")
    if count is None or fraction is None or not isinstance(drifted, list | tuple):
        return None
    if not all(isinstance(name, str) for name in drifted):
        return None
    if limit is not None and _number(limit) is None:
        return None
    limit = None if limit is None else _number(limit)
    stored = holder.get("retrain_recommended", holder.get("exceeded"))
    recommended = stored if isinstance(stored, bool) else over_limit(fraction, limit)
    return DriftVerdict(count, tuple(drifted), fraction, limit, recommended)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None or number < 0 or number != int(number) else int(number)
