"""Schedules: cron expressions for stages, kept in the metadata store.

A schedule's ``last_slot`` is the newest slot the schedulers have dealt with (run
or reported missed). A new schedule starts at its creation time, and resuming a
paused one starts again at the resume time, so slots before either are neither
run nor reported. Every change is an audit event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Row

from workbench.core.clock import as_utc, utcnow
from workbench.core.errors import NotFound, ValidationError
from workbench.core.values import from_row
from workbench.pipelines.stages import get_stage
from workbench.pipelines.values import Schedule
from workbench.project.workspace import Workspace
from workbench.store.schema import schedules

__all__ = [
    "MODES",
    "add_schedule",
    "check_cron",
    "check_tz",
    "get_schedule",
    "list_schedules",
    "pause_schedule",
    "remove_schedule",
    "resume_schedule",
    "slots_between",
]

MODES = ("run", "repro")


def check_cron(expression: str) -> str:
    from croniter import croniter

    text = " ".join((expression or "").split())
    if len(text.split(" ")) != 5 or not croniter.is_valid(text):
        raise ValidationError(
            f"Invalid cron expression {expression!r}: use five fields, minute hour day month weekday "
            '(e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes).'
        )
    return text


def check_tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"Unknown time zone {name!r}: use an IANA name such as UTC, Europe/Berlin or America/New_York."
        ) from exc


def slots_between(cron: str, tz: str, after: datetime, until: datetime) -> Iterator[datetime]:
    """The cron's slots in ``(after, until]``, as UTC datetimes, oldest first (evaluated in ``tz``)."""
    from croniter import croniter

    zone = check_tz(tz)
    iterator = croniter(cron, after.astimezone(zone))
    while True:
        slot = iterator.get_next(datetime).astimezone(UTC)
        if slot > until:
            return
        yield slot


def _next_slot(cron: str, tz: str, after: datetime) -> datetime:
    return next(slots_between(cron, tz, after, after + timedelta(days=3660)))


def _to_schedule(row: Row[Any]) -> Schedule:
    last = as_utc(row.last_slot)
    created: datetime = as_utc(row.created_at)
    return from_row(
        Schedule,
        row,
        paused=bool(row.paused),
        created_at=created,
        last_slot=last,
        next_slot=None if row.paused else _next_slot(row.cron, row.tz, max(last or created, utcnow())),
    )


def add_schedule(workspace: Workspace, stage: str, cron: str, *, tz: str = "UTC", mode: str = "run") -> Schedule:
    """Schedule ``stage`` (which must be in dvc.yaml) on ``cron`` in time zone ``tz``."""
    cron_text = check_cron(cron)
    check_tz(tz)
    if mode not in MODES:
        raise ValidationError(f"Unknown mode {mode!r}: use `run` (workbench run STAGE) or `repro` (dvc repro STAGE).")
    info = get_stage(workspace.project, stage)
    if mode == "run" and info.notebook is None:
        raise ValidationError(f"Stage {stage!r} does not run a notebook; schedule it with --mode repro.")
    now = utcnow()
    with workspace.transaction() as tx:
        result = tx.conn.execute(
            schedules.insert().values(
                stage=stage,
                cron=cron_text,
                tz=tz,
                mode=mode,
                paused=False,
                created_by=workspace.actor,
                created_at=now,
                last_slot=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # an INSERT of one row always reports its key
        schedule_id = int(key[0])
        tx.record(
            "schedule.add", f"schedule:{schedule_id}", {"stage": stage, "cron": cron_text, "tz": tz, "mode": mode}
        )
        row = tx.conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).one()
    return _to_schedule(row)


def list_schedules(workspace: Workspace) -> list[Schedule]:
    with workspace.read() as conn:
        return [_to_schedule(row) for row in conn.execute(sa.select(schedules).order_by(schedules.c.id))]


def get_schedule(workspace: Workspace, schedule_id: int) -> Schedule:
    with workspace.read() as conn:
        row = conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).first()
    if row is None:
        raise NotFound(f"No schedule {schedule_id}; `workbench schedule list` shows them.")
    return _to_schedule(row)


def _set_paused(workspace: Workspace, schedule_id: int, paused: bool) -> Schedule:
    action = "schedule.pause" if paused else "schedule.resume"
    with workspace.transaction() as tx:
        row = tx.conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"No schedule {schedule_id}; `workbench schedule list` shows them.")
        values: dict[str, Any] = {"paused": paused}
        if not paused and row.paused:
            # Slots that passed while paused were skipped on purpose: not missed, not replayed.
            values["last_slot"] = utcnow()
        tx.conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(**values))
        tx.record(action, f"schedule:{schedule_id}", {"stage": row.stage, "paused": paused})
        row = tx.conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).one()
    return _to_schedule(row)


def pause_schedule(workspace: Workspace, schedule_id: int) -> Schedule:
    return _set_paused(workspace, schedule_id, True)


def resume_schedule(workspace: Workspace, schedule_id: int) -> Schedule:
    return _set_paused(workspace, schedule_id, False)


def remove_schedule(workspace: Workspace, schedule_id: int) -> None:
    with workspace.transaction() as tx:
        row = tx.conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).first()
        if row is None:
            raise NotFound(f"No schedule {schedule_id}; `workbench schedule list` shows them.")
        tx.conn.execute(schedules.delete().where(schedules.c.id == schedule_id))
        tx.record("schedule.remove", f"schedule:{schedule_id}", {"stage": row.stage, "cron": row.cron})
