"""Service levels: the policy's objectives, evaluated on the monitoring report, breaches audited.

A policy declares its objectives under ``monitoring.slos``; the policy's shape parses them as
it parses checks' thresholds (names from :data:`~workbench.governance.policy.SLO_METRICS`,
errors naming file, line and entry), and this module evaluates them::

    monitoring:
      window: 30d
      slos:
        - realized_auc >= 0.80
        - calibration_error <= 0.05
        - review_rate <= 0.35
        - fairness_gap <= 0.1

:func:`evaluate_slos` computes each objective per version over the policy's window (default
30d) from :func:`workbench.postmarket.report.monitoring_report`: ``met``, ``breached``, or
``no_data`` (nothing to measure yet, e.g. no outcomes). :func:`check_slos` does the same and
records every breach as an ``slo.breach`` audit event naming the objective, the observed
value, the window and the evidence (jobs, rows, outcomes, the policy's hash).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from workbench.core.errors import NotFound, PermissionDenied
from workbench.governance.adoption import governing_policy
from workbench.governance.policy import SLO_METRICS, MetricThreshold, Policy, parse_objectives
from workbench.postmarket.decisions import require_model
from workbench.postmarket.report import MonitoringReport, WindowStats, monitoring_report
from workbench.project.workspace import Workspace
from workbench.store.schema import models

__all__ = [
    "ACCURACY_METRICS",
    "FAIRNESS_METRICS",
    "SLO_METRICS",
    "Objective",
    "SloCheck",
    "SloStatus",
    "check_slos",
    "evaluate_slos",
    "objectives_of",
    "parse_objectives",
]

#: Breaches that ``workbench monitor --act`` answers with the retrain stage (drift has its own path).
ACCURACY_METRICS = frozenset({"realized_auc", "brier", "calibration_error", "automated_accuracy"})
FAIRNESS_METRICS = frozenset({"fairness_gap"})
#: An objective is a threshold on a report figure (the policy's shape parses them, as it does checks).
Objective = MetricThreshold


def objectives_of(policy: Policy, source: str | None = None) -> tuple[Objective, ...]:
    """The objectives ``policy`` declares (none when it has no ``monitoring.slos``)."""
    return policy.slos


@dataclass(frozen=True)
class SloStatus:
    """One objective on one version over one window."""

    model: str
    version: int
    objective: str
    metric: str
    op: str
    target: float
    status: str  # met | breached | no_data
    observed: float | None
    window: str
    start: str | None
    end: str | None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.metric in ACCURACY_METRICS:
            return "accuracy"
        return "fairness" if self.metric in FAIRNESS_METRICS else "service"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind}


@dataclass(frozen=True)
class SloCheck:
    model: str
    window: str
    policy: str | None  # the governing policy's sha256
    statuses: tuple[SloStatus, ...]
    events: tuple[int, ...] = ()  # seq of the slo.breach events recorded

    @property
    def breaches(self) -> list[SloStatus]:
        return [s for s in self.statuses if s.status == "breached"]

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "window": self.window,
            "policy": self.policy,
            "ok": self.ok,
            "statuses": [s.to_dict() for s in self.statuses],
            "events": list(self.events),
        }


def _evidence(stats: WindowStats, metric: str) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "jobs": list(stats.job_ids),
        "rows": stats.rows,
        "outcomes": stats.outcomes,
        "reviewed": stats.reviewed,
    }
    if metric == "drift_share":
        evidence["drifted_columns"] = list(stats.drifted_columns)
    if metric == "fairness_gap":
        evidence["fairness"] = {col: f.get("gaps") for col, f in stats.fairness.items()}
    return evidence


def statuses_of(name: str, report: MonitoringReport, objectives: tuple[Objective, ...]) -> list[SloStatus]:
    """Each objective on each version row of ``report``."""
    found = []
    for stats in report.windows:
        for objective in objectives:
            value = getattr(stats, SLO_METRICS[objective.metric])
            observed = None if value is None else float(value)
            status = "no_data" if observed is None else ("met" if objective.holds(observed) else "breached")
            found.append(
                SloStatus(
                    model=name,
                    version=stats.version,
                    objective=str(objective),
                    metric=objective.metric,
                    op=objective.op,
                    target=objective.value,
                    status=status,
                    observed=observed,
                    window=stats.window,
                    start=stats.start,
                    end=stats.end,
                    evidence=_evidence(stats, objective.metric),
                )
            )
    return found


def policy_of(workspace: Workspace, name: str) -> Policy | None:
    try:
        with workspace.read() as conn:
            return governing_policy(conn, workspace.project, name)
    except (NotFound, PermissionDenied):
        return None


def evaluate_slos(workspace: Workspace, name: str, *, window: str | None = None) -> SloCheck:
    """``name``'s objectives per version over ``window`` (default: the policy's, else 30d); records nothing."""
    with workspace.read() as conn:
        require_model(conn, name)
    policy = policy_of(workspace, name)
    objectives = objectives_of(policy, workspace.project.relative(policy.path)) if policy else ()
    if not objectives:
        return SloCheck(name, window or "30d", policy.sha256 if policy else None, ())
    report = monitoring_report(workspace, name, window=window)
    return SloCheck(
        name, report.window, policy.sha256 if policy else None, tuple(statuses_of(name, report, objectives))
    )


def model_names(workspace: Workspace) -> list[str]:
    with workspace.read() as conn:
        return list(conn.execute(sa.select(models.c.name).order_by(models.c.name)).scalars())


def check_slos(workspace: Workspace, name: str | None = None, *, window: str | None = None) -> list[SloCheck]:
    """Evaluate the objectives of ``name`` (or every model) and record each breach as an ``slo.breach`` event."""
    names = [name] if name is not None else model_names(workspace)
    checks = []
    for model in names:
        check = evaluate_slos(workspace, model, window=window)
        if check.breaches:
            with workspace.transaction() as tx:
                seqs = tuple(
                    tx.record(
                        "slo.breach",
                        f"model:{model}:{s.version}",
                        {
                            "objective": s.objective,
                            "kind": s.kind,
                            "observed": s.observed,
                            "target": s.target,
                            "window": s.window,
                            "start": s.start,
                            "end": s.end,
                            "evidence": s.evidence,
                            "policy": check.policy,
                        },
                    ).seq
                    for s in check.breaches
                )
            check = SloCheck(check.model, check.window, check.policy, check.statuses, seqs)
        checks.append(check)
    return checks
