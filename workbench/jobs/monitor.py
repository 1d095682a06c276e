"""``monitor [--act]``: drift per scoring job, the retrain flag, and the retrain action.

Every succeeded job stores its drift result (see :mod:`workbench.jobs.drift_check`);
a job over the policy's ``drift_share_limit`` has already set its version's
``retrain_recommended`` flag with an audit event. :func:`monitor` lists recent jobs
with their drift and the flag; with ``act`` it runs, once per flagged version and
not again for the same jobs, the policy's ``retrain_stage``: ``workbench run STAGE``
(``retrain_mode: run``) or ``dvc repro STAGE`` (``repro``), as an argument list in the
project folder. The jobs are claimed before the command starts, so two monitors never
retrain for the same drift, and the outcome is an audit event.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import NotFound, PermissionDenied
from workbench.governance.adoption import governing_policy
from workbench.jobs.drift_check import monitoring_settings
from workbench.jobs.values import as_utc
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, model_versions

__all__ = ["MonitorEntry", "MonitorReport", "RetrainAction", "monitor", "retrain_command"]

#: Runs a command in a folder and returns its exit status.
CommandRunner = Callable[[Sequence[str], Path], int]


@dataclass(frozen=True)
class MonitorEntry:
    job_id: str
    model: str
    version: int
    created_at: str | None
    rows: int
    drift_share: float | None
    n_drifted: int | None
    n_columns: int | None
    limit: float | None
    exceeded: bool
    retrain_recommended: bool
    drift_error: str | None = None
    action: dict[str, Any] | None = None


@dataclass(frozen=True)
class RetrainAction:
    model: str
    version: int
    jobs: tuple[str, ...]
    stage: str | None
    mode: str | None
    command: tuple[str, ...] = ()
    exit_code: int | None = None
    seconds: float | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is not None or self.exit_code == 0


@dataclass(frozen=True)
class MonitorReport:
    entries: tuple[MonitorEntry, ...]
    actions: tuple[RetrainAction, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(action.ok for action in self.actions)

    @property
    def flagged(self) -> list[str]:
        return sorted({f"{e.model}:{e.version}" for e in self.entries if e.retrain_recommended})

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [asdict(e) for e in self.entries],
            "actions": [{**asdict(a), "command": list(a.command), "jobs": list(a.jobs)} for a in self.actions],
            "flagged": self.flagged,
            "ok": self.ok,
        }


def retrain_command(stage: str, mode: str) -> list[str]:
    """The argument list that retrains: ``workbench run STAGE`` or ``dvc repro STAGE``."""
    if mode == "repro":
        dvc = shutil.which("dvc")
        return [dvc, "repro", stage] if dvc else [sys.executable, "-m", "dvc", "repro", stage]
    return [sys.executable, "-m", "workbench.cli.main", "run", stage]


def _run(command: Sequence[str], cwd: Path) -> int:
    return subprocess.run(list(command), cwd=cwd, check=False).returncode


def _entries(workspace: Workspace, model: str | None, limit: int) -> list[MonitorEntry]:
    query = (
        sa.select(jobs, model_versions.c.retrain_recommended)
        .join(model_versions, (model_versions.c.name == jobs.c.name) & (model_versions.c.version == jobs.c.version))
        .where(jobs.c.status == "succeeded", jobs.c.kind == "score")
        .order_by(jobs.c.created_at.desc())
        .limit(limit)
    )
    if model is not None:
        query = query.where(jobs.c.name == model)
    with workspace.read() as conn:
        rows = conn.execute(query).all()
    entries = []
    for row in rows:
        drift = dict(row.drift or {})
        summary = drift.get("summary", {})
        created = as_utc(row.created_at)
        entries.append(
            MonitorEntry(
                job_id=row.id,
                model=row.name,
                version=row.version,
                created_at=isoformat(created) if created else None,
                rows=int(row.rows_done or 0),
                drift_share=summary.get("drift_share"),
                n_drifted=summary.get("n_drifted"),
                n_columns=summary.get("n_columns"),
                limit=drift.get("limit"),
                exceeded=bool(drift.get("exceeded")),
                retrain_recommended=bool(row.retrain_recommended),
                drift_error=drift.get("error"),
                action=drift.get("action"),
            )
        )
    return entries


def _claim(workspace: Workspace, model: str | None) -> dict[tuple[str, int], list[str]]:
    """Flagged versions and their drifted jobs that no action has handled yet, marked as being handled."""
    query = (
        sa.select(jobs.c.id, jobs.c.name, jobs.c.version, jobs.c.drift)
        .join(model_versions, (model_versions.c.name == jobs.c.name) & (model_versions.c.version == jobs.c.version))
        .where(jobs.c.status == "succeeded", model_versions.c.retrain_recommended.is_(True))
    )
    if model is not None:
        query = query.where(jobs.c.name == model)
    groups: dict[tuple[str, int], list[str]] = {}
    with workspace.transaction() as tx:
        for row in tx.conn.execute(query).all():
            drift = dict(row.drift or {})
            if not drift.get("exceeded") or drift.get("action"):
                continue
            groups.setdefault((row.name, row.version), []).append(row.id)
            drift["action"] = {"status": "claimed", "at": isoformat(utcnow()), "by": workspace.actor}
            tx.conn.execute(jobs.update().where(jobs.c.id == row.id).values(drift=drift))
    return groups


def _record(workspace: Workspace, action: RetrainAction) -> None:
    outcome = {
        "status": "skipped" if action.skipped else ("succeeded" if action.exit_code == 0 else "failed"),
        "stage": action.stage,
        "mode": action.mode,
        "command": list(action.command),
        "exit_code": action.exit_code,
        "skipped": action.skipped,
        "at": isoformat(utcnow()),
        "by": workspace.actor,
    }
    with workspace.transaction() as tx:
        for job_id in action.jobs:
            drift = dict(tx.conn.execute(sa.select(jobs.c.drift).where(jobs.c.id == job_id)).scalar() or {})
            # A skipped action leaves the jobs unhandled, so a stage added to the policy later still runs.
            if action.skipped:
                drift.pop("action", None)
            else:
                drift["action"] = outcome
            tx.conn.execute(jobs.update().where(jobs.c.id == job_id).values(drift=drift))
        if not action.skipped:
            tx.record(
                "monitor.retrain",
                f"model:{action.model}:{action.version}",
                {**outcome, "jobs": list(action.jobs), "seconds": action.seconds},
            )


def _act(workspace: Workspace, model: str | None, runner: CommandRunner) -> list[RetrainAction]:
    actions = []
    for (name, version), job_ids in sorted(_claim(workspace, model).items()):
        try:
            with workspace.read() as conn:
                policy = governing_policy(conn, workspace.project, name)
        except (NotFound, PermissionDenied) as exc:
            action = RetrainAction(name, version, tuple(job_ids), None, None, skipped=exc.message)
            _record(workspace, action)
            actions.append(action)
            continue
        settings = monitoring_settings(policy, workspace.project.relative(policy.path))
        if not settings.retrain_stage:
            action = RetrainAction(
                name,
                version,
                tuple(job_ids),
                None,
                settings.retrain_mode,
                skipped=f"the policy {policy.path.name} names no monitoring.retrain_stage",
            )
            _record(workspace, action)
            actions.append(action)
            continue
        command = retrain_command(settings.retrain_stage, settings.retrain_mode)
        started = time.perf_counter()
        try:
            code = runner(command, workspace.project.root)
        except OSError as exc:
            print(f"error: could not start {command[0]}: {exc}", file=sys.stderr)
            code = 127
        action = RetrainAction(
            name,
            version,
            tuple(job_ids),
            settings.retrain_stage,
            settings.retrain_mode,
            tuple(command),
            code,
            round(time.perf_counter() - started, 3),
        )
        _record(workspace, action)
        actions.append(action)
    return actions


def monitor(
    workspace: Workspace,
    *,
    model: str | None = None,
    act: bool = False,
    limit: int = 20,
    runner: CommandRunner | None = None,
) -> MonitorReport:
    """Recent jobs' drift and retrain flags; with ``act``, run the retrain stage for flagged versions."""
    actions = _act(workspace, model, runner or _run) if act else []
    return MonitorReport(tuple(_entries(workspace, model, limit)), tuple(actions))
