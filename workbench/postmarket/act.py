"""``monitor --act`` on service levels: retrain on an accuracy or fairness breach, once per evidence.

:func:`workbench.jobs.monitor.monitor` retrains on drift. :func:`monitor_and_act` adds the
policy's objectives: a breached accuracy objective (``realized_auc``, ``brier``,
``calibration_error``, ``automated_accuracy``) or fairness objective (``fairness_gap``) on a
version runs the policy's ``retrain_stage`` the same way, with the same argument list. A breach
is acted on once for the same evidence (the objectives breached, the jobs read and the outcomes
counted): the claim is an ``slo.act`` audit event written before the command starts, in the
transaction that checked for an earlier claim, and the outcome a ``monitor.retrain`` event with
``trigger: slo``. Retraining never promotes anything; the gate still decides.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from workbench.core.hashing import sha256_bytes
from workbench.jobs.drift_check import monitoring_settings
from workbench.jobs.monitor import CommandRunner, MonitorReport, RetrainAction, monitor, retrain_command
from workbench.postmarket.slo import SloStatus, evaluate_slos, model_names, policy_of
from workbench.project.workspace import Workspace
from workbench.store import audit

__all__ = ["act_on_breaches", "monitor_and_act"]


def _run(command: Sequence[str], cwd: Path) -> int:
    return subprocess.run(list(command), cwd=cwd, check=False).returncode


def _key(version: int, breaches: list[SloStatus]) -> str:
    evidence = sorted(
        (s.objective, s.evidence.get("jobs", []), s.evidence.get("outcomes"), s.evidence.get("rows")) for s in breaches
    )
    return sha256_bytes(json.dumps([version, evidence], sort_keys=True, default=str).encode())


def _claim(workspace: Workspace, name: str, version: int, key: str, breaches: list[SloStatus]) -> bool:
    """Record the claim unless an earlier ``slo.act`` holds the same key; False when one does."""
    subject = f"model:{name}:{version}"
    with workspace.transaction() as tx:
        for event in audit.list_events(tx.conn, subject=subject, action="slo.act"):
            if event.payload.get("key") == key:
                return False
        tx.record("slo.act", subject, {"key": key, "objectives": [s.objective for s in breaches]})
    return True


def act_on_breaches(
    workspace: Workspace, name: str | None = None, *, runner: CommandRunner | None = None
) -> list[RetrainAction]:
    """Run the retrain stage for each version with an accuracy or fairness breach not acted on yet."""
    run = runner or _run
    actions = []
    for model in [name] if name is not None else model_names(workspace):
        check = evaluate_slos(workspace, model)
        by_version: dict[int, list[SloStatus]] = {}
        for status in check.breaches:
            if status.kind in ("accuracy", "fairness"):
                by_version.setdefault(status.version, []).append(status)
        policy = policy_of(workspace, model)
        for version, breaches in sorted(by_version.items()):
            jobs = tuple(sorted({j for s in breaches for j in s.evidence.get("jobs", [])}))
            settings = monitoring_settings(policy, workspace.project.relative(policy.path)) if policy else None
            if settings is None or not settings.retrain_stage:
                reason = "the policy names no monitoring.retrain_stage"
                actions.append(RetrainAction(model, version, jobs, None, None, skipped=reason))
                continue
            if not _claim(workspace, model, version, _key(version, breaches), breaches):
                continue
            command = retrain_command(settings.retrain_stage, settings.retrain_mode)
            started = time.perf_counter()
            try:
                code = run(command, workspace.project.root)
            except OSError as exc:
                print(f"error: could not start {command[0]}: {exc}", file=sys.stderr)
                code = 127
            seconds = round(time.perf_counter() - started, 3)
            action = RetrainAction(
                model, version, jobs, settings.retrain_stage, settings.retrain_mode, tuple(command), code, seconds
            )
            workspace.record(
                "monitor.retrain",
                f"model:{model}:{version}",
                {
                    "trigger": "slo",
                    "objectives": [s.objective for s in breaches],
                    "observed": {s.objective: s.observed for s in breaches},
                    "status": "succeeded" if code == 0 else "failed",
                    "stage": settings.retrain_stage,
                    "mode": settings.retrain_mode,
                    "command": list(command),
                    "exit_code": code,
                    "jobs": list(jobs),
                    "seconds": seconds,
                },
            )
            actions.append(action)
    return actions


def monitor_and_act(
    workspace: Workspace,
    *,
    model: str | None = None,
    act: bool = False,
    limit: int = 20,
    runner: CommandRunner | None = None,
) -> MonitorReport:
    """``workbench monitor``: drift and retrain flags; with ``act``, retrain on drift and on SLO breaches."""
    report = monitor(workspace, model=model, act=act, limit=limit, runner=runner)
    if not act:
        return report
    return MonitorReport(report.entries, (*report.actions, *act_on_breaches(workspace, model, runner=runner)))
