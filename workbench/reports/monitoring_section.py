"""The audit report's "Post-market monitoring" section (EU AI Act Art. 72, Annex IV §9).

For the reported version: its service levels over the policy's window (met, breached, no data) and the
breaches the audit log recorded, the realized figures (outcome coverage, AUC, Brier, calibration error),
override statistics from the review queue, and charts over the model's jobs (drift share, selection rate
per sensitive group, batch latency p50/p95/p99) drawn as inline SVG by :mod:`workbench.reports.svg`.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from markupsafe import Markup

from workbench.postmarket.decisions import load_decisions
from workbench.postmarket.report import WindowStats, monitoring_report
from workbench.postmarket.slo import evaluate_slos
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.reports.svg import line_chart
from workbench.store.audit import list_events

__all__ = ["monitoring_section"]


def _label(stats: WindowStats) -> str:
    return f"{(stats.end or '')[:10]} v{stats.version}"


def _selection_series(workspace: Workspace, name: str, per_job: list[WindowStats]) -> dict[str, list[float | None]]:
    """Share of automatic accepts per group of the first sensitive column, per job (decided rows only)."""
    sensitive = sorted({col for stats in per_job for col in stats.fairness})
    decisions = load_decisions(workspace, name, columns=["decision", *sensitive[:1]])
    if not sensitive or sensitive[0] not in decisions.columns or not decisions.height:
        return {}
    column = sensitive[0]
    rates = (
        decisions.group_by("job", pl.col(column).cast(pl.String).fill_null("(missing)").alias("group"))
        .agg((pl.col("decision") == "auto_accept").cast(pl.Float64).mean().alias("rate"))
        .to_dicts()
    )
    by_group: dict[str, dict[str, float]] = {}
    for row in rates:
        by_group.setdefault(f"{column}={row['group']}", {})[row["job"]] = row["rate"]
    return {group: [jobs.get(stats.job_ids[0]) for stats in per_job] for group, jobs in sorted(by_group.items())}


def _charts(workspace: Workspace, name: str, per_job: list[WindowStats], drift_limit: float | None) -> list[Markup]:
    if not per_job:
        return []
    labels = [_label(s) for s in per_job]
    drift = line_chart(
        "Drift share per job",
        labels,
        {"drift share": [s.drift_share for s in per_job]},
        y_min=0,
        y_max=1,
        limit=drift_limit,
    )
    selection = line_chart(
        "Selection rate (auto accept) per group",
        labels,
        _selection_series(workspace, name, per_job),
        y_min=0,
        y_max=1,
    )
    latency = line_chart(
        "Batch latency per job",
        labels,
        {
            "p50": [s.p50_batch_latency_ms for s in per_job],
            "p95": [s.p95_batch_latency_ms for s in per_job],
            "p99": [s.p99_batch_latency_ms for s in per_job],
        },
        y_label="ms",
        y_min=0,
    )
    # line_chart escapes every text it draws.
    return [Markup(drift), Markup(selection), Markup(latency)]  # noqa: S704


def monitoring_section(workspace: Workspace, version: ModelVersion, policy: dict[str, Any] | None) -> dict[str, Any]:
    """What the section shows; ``window`` is None when no job of the model has succeeded yet."""
    check = evaluate_slos(workspace, version.name)
    report = monitoring_report(workspace, version.name, window=check.window if check.statuses else None)
    mine = next((w for w in report.windows if w.version == version.version), None)
    per_job = monitoring_report(workspace, version.name, window="job").windows
    with workspace.read() as conn:
        breaches = list_events(conn, subject=f"model:{version.ref}", action="slo.breach", newest_first=True, limit=20)
    monitoring = (policy or {}).get("monitoring") or {}
    return {
        "window": report.window,
        "stats": mine,
        "slos": [s for s in check.statuses if s.version == version.version],
        "declared": bool(monitoring.get("slos")),
        "breaches": breaches,
        "charts": _charts(workspace, version.name, per_job, monitoring.get("drift_share_limit")),
        "jobs": len(per_job),
    }
