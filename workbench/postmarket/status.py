"""A model's monitoring at a glance: the report's rows beside its service levels, for the panels.

:func:`monitoring_status` reads the monitoring report once and evaluates the governing policy's
objectives on it (as ``workbench slo check`` does, but recording nothing: looking is not checking),
with the charts of the window's jobs as Vega-Lite specs (:func:`~workbench.postmarket.chart_set.monitoring_charts`,
the audit report's too) for the Monitoring panel to draw, and the versions to retrain and why
(:func:`retrain_recommendations`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import isoformat
from workbench.postmarket.chart_set import monitoring_charts
from workbench.postmarket.decisions import require_model
from workbench.postmarket.report import monitoring_report
from workbench.postmarket.slo import SloStatus, objectives_of, policy_of, statuses_of
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.reports.scored_drift import scored_drift
from workbench.store.audit import list_events
from workbench.store.schema import model_versions

__all__ = ["MonitoringStatus", "RetrainRecommendation", "monitoring_status", "retrain_recommendations"]


@dataclass(frozen=True)
class RetrainRecommendation:
    """Why a version should be retrained: its drift flag, or a breached accuracy or fairness objective."""

    version: int
    trigger: str  # drift | accuracy | fairness
    reason: str
    jobs: tuple[str, ...]
    #: The newest ``monitor.retrain`` event of the version (what ``monitor --act`` did), if any.
    last_action: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "jobs": list(self.jobs)}


@dataclass(frozen=True)
class MonitoringStatus:
    model: str
    window: str
    generated_at: str
    policy: str | None  # the governing policy's sha256
    rows: list[dict[str, Any]]  # WindowStats.to_dict() per version (and job, with window=job)
    slos: tuple[SloStatus, ...]
    #: The panel's charts (chart_set.CHARTS): Vega-Lite specs, rows inline; None where there is nothing
    #: to draw; empty when not asked for (the Models list's badge reads only the statuses).
    charts: dict[str, dict[str, Any] | None]
    retrain: tuple[RetrainRecommendation, ...]
    retrain_stage: str | None  # the policy's monitoring.retrain_stage: what monitor --act runs

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
            "retrain": [r.to_dict() for r in self.retrain],
            "retrain_stage": self.retrain_stage,
        }


def _last_action(workspace: Workspace, name: str, version: int) -> dict[str, Any] | None:
    with workspace.read() as conn:
        events = list_events(
            conn, subject=f"model:{name}:{version}", action="monitor.retrain", newest_first=True, limit=1
        )
    if not events:
        return None
    event = events[0]
    return {
        "at": isoformat(event.time),
        "by": event.actor,
        "status": event.payload.get("status"),
        "stage": event.payload.get("stage"),
        "trigger": event.payload.get("trigger", "drift"),
    }


def retrain_recommendations(
    workspace: Workspace, name: str, statuses: tuple[SloStatus, ...] | list[SloStatus]
) -> list[RetrainRecommendation]:
    """``name``'s versions that should be retrained and why, newest version first: the drift flag a
    scoring job set (with that job's verdict), then each breached accuracy or fairness objective."""
    with workspace.read() as conn:
        flagged = conn.execute(
            sa.select(model_versions.c.version)
            .where(model_versions.c.name == name, model_versions.c.retrain_recommended.is_(True))
            .order_by(model_versions.c.version.desc())
        ).scalars()
        flagged_versions = list(flagged)
    found = []
    for version in flagged_versions:
        drift = scored_drift(workspace, get_version(workspace, f"{name}:{version}"))
        verdict = drift.recommending
        reason = f"drift: {verdict.verdict.describe()}" if verdict else "drift: a scoring job flagged it"
        found.append(
            RetrainRecommendation(
                version, "drift", reason, (verdict.job,) if verdict else (), _last_action(workspace, name, version)
            )
        )
    for status in sorted(statuses, key=lambda s: -s.version):
        if status.status != "breached" or status.kind not in ("accuracy", "fairness"):
            continue
        observed = "no data" if status.observed is None else f"{status.observed:.4g}"
        reason = f"{status.objective} breached: observed {observed} over {status.window}"
        jobs = tuple(status.evidence.get("jobs") or ())
        found.append(
            RetrainRecommendation(
                status.version, status.kind, reason, jobs, _last_action(workspace, name, status.version)
            )
        )
    return found


def monitoring_status(
    workspace: Workspace, name: str, *, window: str | None = None, charts: bool = True
) -> MonitoringStatus:
    """``name``'s monitoring report rows and each objective's status on them (``window`` as in the report),
    its retrain recommendations, and with ``charts`` the charts of the window's jobs."""
    with workspace.read() as conn:
        require_model(conn, name)
    report = monitoring_report(workspace, name, window=window)
    policy = policy_of(workspace, name)
    objectives = objectives_of(policy, workspace.project.relative(policy.path)) if policy else ()
    statuses = tuple(statuses_of(name, report, objectives))
    drawn: dict[str, dict[str, Any] | None] = {}
    if charts:
        per_job = (
            report.windows
            if report.window == "job"
            else monitoring_report(workspace, name, window="job", within=report.window).windows
        )
        limit = (policy.monitoring if policy else {}).get("drift_share_limit")
        drawn = monitoring_charts(workspace, name, report.windows, per_job, limit)
    stage = (policy.monitoring if policy else {}).get("retrain_stage")
    return MonitoringStatus(
        model=name,
        window=report.window,
        generated_at=report.generated_at,
        policy=policy.sha256 if policy else None,
        rows=[w.to_dict() for w in report.windows],
        slos=statuses,
        charts=drawn,
        retrain=tuple(retrain_recommendations(workspace, name, statuses)),
        retrain_stage=stage,
    )
