"""The audit report's "Post-market monitoring" section (EU AI Act Art. 72, Annex IV §9).

For the reported version: its service levels over the policy's window (met, breached, no data) and the
breaches the audit log recorded, the realized figures (outcome coverage, AUC, Brier, calibration error),
override statistics from the review queue, and charts over the model's jobs: the Vega-Lite charts
declared once in :mod:`workbench.charts` and :mod:`workbench.postmarket.charts`, drawn here as static
SVG offline by vl-convert (:func:`workbench.charts.to_svg`), so the report stays one offline file.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from markupsafe import Markup

from workbench.charts import histogram, score_distribution, to_svg
from workbench.postmarket import charts
from workbench.postmarket.decisions import load_decisions
from workbench.postmarket.report import WindowStats, monitoring_report
from workbench.postmarket.slo import evaluate_slos
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.store.audit import list_events

__all__ = ["monitoring_section"]

#: The score distribution overlays the newest jobs only: more histograms than this are unreadable.
SCORE_JOBS = 6


def _label(stats: WindowStats) -> str:
    # Two jobs may end in the same minute: the job's id tells them apart.
    return f"v{stats.version} {stats.job_ids[0][:8]} ({(stats.end or '')[:10]})"


def _job_decisions(workspace: Workspace, name: str, per_job: list[WindowStats]) -> tuple[pl.DataFrame, str | None]:
    """Score, decision and the first sensitive column of the newest jobs' decisions (read once)."""
    sensitive = sorted({col for stats in per_job for col in stats.fairness})
    column = sensitive[0] if sensitive else None
    decisions = load_decisions(workspace, name, columns=["score", "decision", *([column] if column else [])])
    return decisions, column if column in decisions.columns else None


def _selection_rows(decisions: pl.DataFrame, column: str | None, per_job: list[WindowStats]) -> list[dict[str, Any]]:
    """Share of automatic accepts per group of ``column``, per job (decided rows only)."""
    if column is None or not decisions.height:
        return []
    rates = (
        decisions.group_by("job", pl.col(column).cast(pl.String).fill_null("(missing)").alias("group"))
        .agg((pl.col("decision") == "auto_accept").cast(pl.Float64).mean().alias("rate"))
        .to_dicts()
    )
    jobs = {stats.job_ids[0]: stats for stats in per_job if stats.job_ids}
    return [
        {
            "end": jobs[row["job"]].end,
            "version": f"v{jobs[row['job']].version}",
            "window": "job",
            "group": f"{column}={row['group']}",
            "rate": row["rate"],
        }
        for row in sorted(rates, key=lambda r: (str(r["group"]), r["job"]))
        if row["job"] in jobs
    ]


def _score_histograms(decisions: pl.DataFrame, per_job: list[WindowStats]) -> dict[str, list[dict[str, float]]]:
    if "score" not in decisions.columns or not decisions.height:
        return {}
    newest = [stats for stats in per_job if stats.job_ids][-SCORE_JOBS:]
    found = {}
    for stats in newest:
        scores = decisions.filter(pl.col("job") == stats.job_ids[0])["score"]
        if scores.len():
            found[_label(stats)] = histogram(scores.to_numpy())
    return found


def _specs(
    workspace: Workspace, name: str, windows: list[WindowStats], per_job: list[WindowStats], drift_limit: float | None
) -> list[dict[str, Any]]:
    """The charts the section shows, as Vega-Lite specs; those with nothing to draw are left out."""
    rows = [stats.to_dict() for stats in per_job]
    decisions, column = _job_decisions(workspace, name, per_job)
    specs = [charts.rates_over_time(rows)]
    if any(r["auc"] is not None for r in rows):
        specs.append(charts.realized_auc(rows))
    calibrated = [w.to_dict() for w in windows if w.reliability]
    if calibrated:
        specs.append(charts.calibration_curve(calibrated))
    if histograms := _score_histograms(decisions, per_job):
        specs.append(score_distribution(histograms))
    if any(r["drift_share"] is not None for r in rows):
        specs.append(charts.drift_share_over_time(rows, drift_limit))
    if selection := _selection_rows(decisions, column, per_job):
        specs.append(charts.selection_rate_over_time(selection))
    if any(r["p50_batch_latency_ms"] is not None for r in rows):
        specs.append(charts.latency_over_time(rows))
    return specs


def _svg(spec: dict[str, Any]) -> Markup:
    # vl-convert escapes every text and attribute it draws and never fetches (to_svg allows no URL).
    return Markup(to_svg(spec))  # noqa: S704


def monitoring_section(workspace: Workspace, version: ModelVersion, policy: dict[str, Any] | None) -> dict[str, Any]:
    """What the section shows; ``window`` is None when no job of the model has succeeded yet."""
    check = evaluate_slos(workspace, version.name)
    report = monitoring_report(workspace, version.name, window=check.window if check.statuses else None)
    mine = next((w for w in report.windows if w.version == version.version), None)
    per_job = monitoring_report(workspace, version.name, window="job").windows
    with workspace.read() as conn:
        breaches = list_events(conn, subject=f"model:{version.ref}", action="slo.breach", newest_first=True, limit=20)
    monitoring = (policy or {}).get("monitoring") or {}
    specs = (
        _specs(workspace, version.name, report.windows, per_job, monitoring.get("drift_share_limit")) if per_job else []
    )
    return {
        "window": report.window,
        "stats": mine,
        "slos": [s for s in check.statuses if s.version == version.version],
        "declared": bool(monitoring.get("slos")),
        "breaches": breaches,
        "charts": [_svg(spec) for spec in specs],
        "jobs": len(per_job),
    }
