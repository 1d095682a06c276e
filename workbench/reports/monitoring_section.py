"""The audit report's "Post-market monitoring" section (EU AI Act Art. 72, Annex IV §9).

For the reported version: its service levels over the policy's window (met, breached, no data) and the
breaches the audit log recorded, the realized figures (outcome coverage, AUC, Brier, calibration error),
override statistics from the review queue, and charts over the model's jobs: the Vega-Lite charts the
Monitoring panel draws (:func:`workbench.postmarket.chart_set.monitoring_charts`), drawn here as static
SVG offline by vl-convert (:func:`workbench.charts.to_svg`), so the report stays one offline file.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from workbench.charts import to_svg
from workbench.postmarket.chart_set import monitoring_charts
from workbench.postmarket.report import monitoring_report
from workbench.postmarket.slo import evaluate_slos
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.store.audit import list_events

__all__ = ["monitoring_section"]


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
    drawn = (
        monitoring_charts(workspace, version.name, report.windows, per_job, monitoring.get("drift_share_limit"))
        if per_job
        else {}
    )
    specs = [spec for spec in drawn.values() if spec is not None]
    return {
        "window": report.window,
        "stats": mine,
        "slos": [s for s in check.statuses if s.version == version.version],
        "declared": bool(monitoring.get("slos")),
        "breaches": breaches,
        "charts": [_svg(spec) for spec in specs],
        "jobs": len(per_job),
    }
