"""A model's monitoring charts, built once for every face that draws them.

:func:`monitoring_charts` returns the seven charts of issue 16 as Vega-Lite specs keyed by name, in
reading order, ``None`` where there is nothing to draw:

- ``rates``: automation, review and override rates per job over time;
- ``auc``: realized AUC per job over time (outcomes needed);
- ``calibration``: the reliability curve of each version over the window (outcomes needed);
- ``scores``: the score distribution of the newest jobs;
- ``drift``: drift share per job over time, against the policy's limit;
- ``selection``: the share of automatic accepts per sensitive group per job;
- ``latency``: per-batch latency p50/p95/p99 per job.

The Monitoring panel draws them with vega-embed (``GET models/{name}/monitoring``), the audit report
as static SVG (:mod:`workbench.reports.monitoring_section`); both call this function, so a chart
cannot differ between them.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.charts import histogram, score_distribution
from workbench.postmarket import charts
from workbench.postmarket.decisions import scan_decisions
from workbench.postmarket.report import WindowStats
from workbench.project.workspace import Workspace

__all__ = ["CHARTS", "SCORE_JOBS", "monitoring_charts"]

#: The charts' keys in reading order.
CHARTS = ("rates", "auc", "calibration", "scores", "drift", "selection", "latency")

#: The score distribution overlays the newest jobs only: more histograms than this are unreadable.
SCORE_JOBS = 6


def _label(stats: WindowStats) -> str:
    # Two jobs may end in the same minute: the job's id tells them apart.
    return f"v{stats.version} {stats.job_ids[0][:8]} ({(stats.end or '')[:10]})"


def _job_decisions(workspace: Workspace, name: str, per_job: list[WindowStats]) -> tuple[pl.DataFrame, str | None]:
    """Score, decision and the first sensitive column of the jobs' decisions (read once)."""
    sensitive = sorted({col for stats in per_job for col in stats.fairness})
    column = sensitive[0] if sensitive else None
    wanted = {stats.job_ids[0] for stats in per_job if stats.job_ids}
    columns = ["score", "decision", *([column] if column else [])]
    decisions = scan_decisions(workspace, name, columns=columns, job_ids=sorted(wanted)).collect()
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
        scores = decisions.filter(pl.col("job") == stats.job_ids[0])["score"].drop_nulls()
        if scores.len():
            found[_label(stats)] = histogram(scores.to_numpy())
    return found


def monitoring_charts(
    workspace: Workspace,
    name: str,
    windows: list[WindowStats],
    per_job: list[WindowStats],
    drift_limit: float | None,
) -> dict[str, dict[str, Any] | None]:
    """The charts of ``name``: ``per_job`` (the report's ``job`` rows, oldest first) over time, the
    calibration curve of ``windows`` (the report's rows per version over the window)."""
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(CHARTS)
    calibrated = [w.to_dict() for w in windows if w.reliability]
    if calibrated:
        found["calibration"] = charts.calibration_curve(calibrated)
    if not per_job:
        return found
    rows = [stats.to_dict() for stats in per_job]
    found["rates"] = charts.rates_over_time(rows)
    if any(r["auc"] is not None for r in rows):
        found["auc"] = charts.realized_auc(rows)
    decisions, column = _job_decisions(workspace, name, per_job)
    if histograms := _score_histograms(decisions, per_job):
        found["scores"] = score_distribution(histograms)
    if any(r["drift_share"] is not None for r in rows):
        found["drift"] = charts.drift_share_over_time(rows, drift_limit)
    if selection := _selection_rows(decisions, column, per_job):
        found["selection"] = charts.selection_rate_over_time(selection)
    if any(r["p50_batch_latency_ms"] is not None for r in rows):
        found["latency"] = charts.latency_over_time(rows)
    return found
