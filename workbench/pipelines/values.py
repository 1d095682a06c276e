"""Values the pipeline service hands to its faces (CLI, server, kernel API).

Frozen dataclasses with ``to_dict`` for JSON; they are not database rows (those
live in :mod:`workbench.store.schema`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workbench.core.values import plain_fields
from workbench.notebooks.execute import CellTiming
from workbench.notebooks.parameters import ParamSpec

__all__ = [
    "PromotionPlan",
    "PromotionResult",
    "RunRecord",
    "Schedule",
    "SlotOutcome",
    "StageInfo",
    "StageStatus",
]


@dataclass(frozen=True)
class PromotionPlan:
    """What promoting a notebook would do, and every problem that stops it.

    The sidebar shows this before the analyst confirms; :func:`promote` refuses
    to act on a plan with problems.
    """

    notebook: str
    stage: str
    parameters: tuple[ParamSpec, ...]
    values: dict[str, Any]
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    metrics: tuple[str, ...]
    plots: tuple[str, ...]
    problems: tuple[str, ...] = ()
    exists: bool = False
    unchanged: bool = False
    stage_changed: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "stage": self.stage,
            "ok": self.ok,
            "problems": list(self.problems),
            "parameters": [spec.to_dict() for spec in self.parameters],
            "values": self.values,
            "cmd": self.cmd,
            "deps": list(self.deps),
            "outs": list(self.outs),
            "metrics": list(self.metrics),
            "plots": list(self.plots),
            "exists": self.exists,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class PromotionResult:
    plan: PromotionPlan
    changed: bool
    added_params: tuple[str, ...] = ()
    removed_params: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.plan.to_dict(),
            "changed": self.changed,
            "added_params": list(self.added_params),
            "removed_params": list(self.removed_params),
        }


@dataclass(frozen=True)
class RunRecord:
    """One execution of a notebook, as the store keeps it."""

    id: str
    stage: str | None
    notebook: str
    params: dict[str, Any]
    status: str
    actor: str
    started_at: datetime
    ended_at: datetime | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    cells: tuple[CellTiming, ...] = ()
    error_cell: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    output_path: str | None = None
    output_digest: str | None = None
    log_path: str | None = None
    pid: int | None = None
    host: str | None = None
    trigger: str | None = None
    timeout_s: float | None = None

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def to_dict(self) -> dict[str, Any]:
        return {
            **plain_fields(self),
            "duration_s": self.duration_s,
            "cells": [cell.to_dict() for cell in self.cells],
        }


@dataclass(frozen=True)
class Schedule:
    """A cron schedule for a stage. ``mode`` is ``run`` (``workbench run``) or ``repro`` (``dvc repro``)."""

    id: int
    stage: str
    cron: str
    tz: str
    mode: str
    paused: bool
    created_by: str
    created_at: datetime
    last_slot: datetime | None = None
    next_slot: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class SlotOutcome:
    """What a scheduler did with one schedule in one pass.

    ``status``: ``claimed`` (this scheduler owns the slot and will start it),
    ``succeeded`` / ``failed`` (after it ran), or ``missed`` (slots that passed
    while no scheduler ran; reported, never replayed).
    """

    schedule_id: int
    stage: str
    slot: datetime
    status: str
    run_id: str | None = None
    missed: tuple[datetime, ...] = field(default_factory=tuple)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class StageInfo:
    """A stage of ``dvc.yaml``; ``notebook`` is set when workbench runs it."""

    name: str
    cmd: str
    notebook: str | None
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class StageStatus:
    """Whether ``dvc repro`` would run a stage (``dvc status``).

    ``state`` is ``up-to-date``, ``changed`` (``changes`` says what, as DVC words it) or
    ``unknown`` (``message`` says why, e.g. DVC is busy with a run).
    """

    state: str
    changes: tuple[str, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "changes": list(self.changes), "message": self.message}
