"""A model's monitoring at a glance: the report's rows beside its service levels, for the panels.

:func:`monitoring_status` reads the monitoring report once and evaluates the governing policy's
objectives on it (as ``workbench slo check`` does, but recording nothing: looking is not checking),
with the report's charts as Vega-Lite specs (:func:`monitoring_charts`) for the panel to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.postmarket.charts import calibration_curve, rates_over_time, realized_auc
from workbench.postmarket.decisions import require_model
from workbench.postmarket.report import monitoring_report
from workbench.postmarket.slo import SloStatus, objectives_of, policy_of, statuses_of
from workbench.project.workspace import Workspace

__all__ = ["MonitoringStatus", "monitoring_charts", "monitoring_status"]


@dataclass(frozen=True)
class MonitoringStatus:
    model: str
    window: str
    generated_at: str
    policy: str | None  # the governing policy's sha256
    rows: list[dict[str, Any]]  # WindowStats.to_dict() per version (and job, with window=job)
    slos: tuple[SloStatus, ...]
    charts: dict[str, dict[str, Any] | None]  # rates, auc, calibration: Vega-Lite specs, rows inline

    @property
    def breached(self) -> int:
        return sum(1 for s in self.slos if s.status == "breached")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "window": self.window,
            "generated_at": self.generated_at,
            "policy": self.policy,
            "breached": self.breached,
            "rows": self.rows,
            "slos": [s.to_dict() for s in self.slos],
            "charts": self.charts,
        }


def monitoring_status(workspace: Workspace, name: str, *, window: str | None = None) -> MonitoringStatus:
    """``name``'s monitoring report rows and each objective's status on them (``window`` as in the report)."""
    with workspace.read() as conn:
        require_model(conn, name)
    report = monitoring_report(workspace, name, window=window)
    policy = policy_of(workspace, name)
    objectives = objectives_of(policy, workspace.project.relative(policy.path)) if policy else ()
    rows = [w.to_dict() for w in report.windows]
    return MonitoringStatus(
        model=name,
        window=report.window,
        generated_at=report.generated_at,
        policy=policy.sha256 if policy else None,
        rows=rows,
        slos=tuple(statuses_of(name, report, objectives)),
        charts=monitoring_charts(rows),
    )


def monitoring_charts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """The panel's charts of the report's rows, each a Vega-Lite spec or None where there is nothing to
    draw: no rows, no rates; no outcomes, no realized AUC; no reliability bins, no calibration curve."""
    return {
        "rates": rates_over_time(rows) if rows else None,
        "auc": realized_auc(rows) if any(w.get("auc") is not None for w in rows) else None,
        "calibration": calibration_curve(rows) if any(w.get("reliability") for w in rows) else None,
    }
