"""The scheduler: start each due slot exactly once, report missed ones.

:func:`claim_due` looks at every active schedule in its own transaction: it locks
the schedule row, lists the cron slots since ``last_slot``, and *claims* the newest
one by inserting its ``schedule_slots`` row. The row's primary key is
``(schedule_id, slot)``, so when two schedulers (two processes, two servers,
SQLite or PostgreSQL) race for one slot exactly one insert succeeds; the other
transaction fails as a whole and that scheduler moves on. Slots older than the
grace period are not replayed: they are recorded as ``missed``, with an audit
event, and reported to the caller.

A claimed slot runs as a child process, ``workbench run STAGE`` (mode ``run``) or
``dvc repro STAGE`` (mode ``repro``), recorded like any other run with the trigger
``schedule:<id>``. :func:`run_due` does one pass and waits (``workbench scheduler
--once``); :func:`scheduler_loop` is the asyncio loop the Jupyter server extension
and ``workbench scheduler`` run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import as_utc, isoformat, utcnow
from workbench.core.errors import StoreError, WorkbenchError
from workbench.pipelines.dvc import dvc_command, workbench_command
from workbench.pipelines.run import new_run_id
from workbench.pipelines.schedules import slots_between
from workbench.pipelines.values import SlotOutcome
from workbench.project.workspace import Workspace
from workbench.store.schema import schedule_slots, schedules

__all__ = [
    "DEFAULT_GRACE_S",
    "claim_due",
    "execute_slot",
    "execute_slot_async",
    "run_due",
    "scheduler_loop",
    "slot_command",
]

DEFAULT_GRACE_S = 900.0
_log = logging.getLogger(__name__)
_MAX_SLOTS = 10_000  # slots examined per schedule and pass; more are summarised, not listed
_MISSED_ROWS = 50  # missed slots recorded one row each; the audit event carries the full count


def _claimer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_due(
    workspace: Workspace,
    *,
    now: datetime | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    claimer: str | None = None,
) -> list[SlotOutcome]:
    """Claim every due slot this scheduler wins; outcomes are ``claimed`` or ``missed``."""
    moment = as_utc(now) or utcnow()
    who = claimer or _claimer()
    with workspace.read() as conn:
        ids = [row.id for row in conn.execute(sa.select(schedules.c.id).where(schedules.c.paused.is_(False)))]
    outcomes: list[SlotOutcome] = []
    for schedule_id in ids:
        try:
            outcome = _claim_one(workspace, schedule_id, moment, grace_s, who)
        except sa.exc.IntegrityError:
            continue  # another scheduler inserted the same slot first: it is theirs
        except StoreError as exc:
            _log.warning("schedule %s skipped this pass: %s", schedule_id, exc.message)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _due_slots(cron: str, tz: str, after: datetime, now: datetime) -> tuple[list[datetime], int]:
    """Slots in ``(after, now]`` (at most ``_MAX_SLOTS``, the newest always included) and their true count."""
    slots = list(islice(slots_between(cron, tz, after, now), _MAX_SLOTS + 1))
    if len(slots) <= _MAX_SLOTS:
        return slots, len(slots)
    from croniter import croniter

    from workbench.pipelines.schedules import check_tz

    newest = croniter(cron, (now + timedelta(seconds=1)).astimezone(check_tz(tz))).get_prev(datetime)
    return [*slots[: _MAX_SLOTS - 1], as_utc(newest)], _MAX_SLOTS


def _claim_one(workspace: Workspace, schedule_id: int, now: datetime, grace_s: float, who: str) -> SlotOutcome | None:
    with workspace.transaction() as tx:
        row = tx.conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id).with_for_update()).first()
        if row is None or row.paused:
            return None
        due, count = _due_slots(row.cron, row.tz, as_utc(row.last_slot or row.created_at), now)
        if not due:
            return None
        newest = due[-1]
        runnable = (now - newest).total_seconds() <= grace_s
        missed = due[:-1] if runnable else due
        missed_count = count - 1 if runnable else count
        for slot in missed[-_MISSED_ROWS:]:
            tx.conn.execute(
                schedule_slots.insert().values(
                    schedule_id=schedule_id,
                    slot=slot,
                    claimed_by=who,
                    claimed_at=now,
                    status="missed",
                    finished_at=now,
                    message="No scheduler was running at this time; the slot was not run.",
                )
            )
        run_id = new_run_id() if runnable and row.mode == "run" else None
        if runnable:
            tx.conn.execute(
                schedule_slots.insert().values(
                    schedule_id=schedule_id,
                    slot=newest,
                    claimed_by=who,
                    claimed_at=now,
                    status="claimed",
                    run_id=run_id,
                )
            )
        tx.conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(last_slot=newest))
        subject = f"schedule:{schedule_id}"
        if missed:
            tx.record(
                "schedule.missed",
                subject,
                {
                    "stage": row.stage,
                    "count": missed_count,
                    "first": isoformat(missed[0]),
                    "last": isoformat(missed[-1]),
                },
            )
        if runnable:
            tx.record("schedule.claim", subject, {"stage": row.stage, "slot": isoformat(newest), "run_id": run_id})
    message = f"{missed_count} slot(s) passed while no scheduler ran; they were not replayed." if missed else ""
    return SlotOutcome(
        schedule_id=schedule_id,
        stage=row.stage,
        slot=newest,
        status="claimed" if runnable else "missed",
        run_id=run_id,
        missed=tuple(missed),
        message=message,
    )


def slot_command(workspace: Workspace, outcome: SlotOutcome) -> list[str]:
    """The child process that runs a claimed slot."""
    with workspace.read() as conn:
        mode = conn.execute(sa.select(schedules.c.mode).where(schedules.c.id == outcome.schedule_id)).scalar()
    if mode == "repro":
        return [*dvc_command(), "repro", outcome.stage]
    command = [*workbench_command(), "run", outcome.stage, "--trigger", f"schedule:{outcome.schedule_id}"]
    return [*command, "--run-id", outcome.run_id] if outcome.run_id else command


def _log_path(workspace: Workspace, outcome: SlotOutcome) -> Path:
    stamp = outcome.slot.strftime("%Y%m%dT%H%M%SZ")
    folder = workspace.project.state_dir / "scheduler"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"schedule-{outcome.schedule_id}-{stamp}.log"


def _child_env(outcome: SlotOutcome) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WORKBENCH_RUN_")}
    env["WORKBENCH_TRIGGER"] = f"schedule:{outcome.schedule_id}"
    return env


def _record_end(workspace: Workspace, outcome: SlotOutcome, returncode: int, log: Path) -> SlotOutcome:
    status = "succeeded" if returncode == 0 else "failed"
    relative = workspace.project.relative(log)
    message = f"exit code {returncode}; output in {relative}"
    with workspace.transaction() as tx:
        tx.conn.execute(
            schedule_slots.update()
            .where(schedule_slots.c.schedule_id == outcome.schedule_id, schedule_slots.c.slot == outcome.slot)
            .values(status=status, finished_at=utcnow(), message=message)
        )
        tx.record(
            f"schedule.slot.{status}",
            f"schedule:{outcome.schedule_id}",
            {"slot": isoformat(outcome.slot), "run_id": outcome.run_id, "returncode": returncode},
        )
    return replace(outcome, status=status, message=(outcome.message + " " + message).strip())


def execute_slot(workspace: Workspace, outcome: SlotOutcome) -> SlotOutcome:
    """Run a claimed slot to completion in a child process (blocking)."""
    command = slot_command(workspace, outcome)
    log = _log_path(workspace, outcome)
    with log.open("ab") as handle:
        result = subprocess.run(
            command,
            cwd=workspace.project.root,
            env=_child_env(outcome),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    return _record_end(workspace, outcome, result.returncode, log)


async def execute_slot_async(workspace: Workspace, outcome: SlotOutcome) -> SlotOutcome:
    """Like :func:`execute_slot`, without blocking the event loop while the child runs."""
    command = await asyncio.to_thread(slot_command, workspace, outcome)
    log = _log_path(workspace, outcome)
    with log.open("ab") as handle:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=workspace.project.root,
            env=_child_env(outcome),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        returncode = await process.wait()
    return await asyncio.to_thread(_record_end, workspace, outcome, returncode, log)


def run_due(
    workspace: Workspace,
    *,
    now: datetime | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    wait: bool = True,
) -> list[SlotOutcome]:
    """One scheduler pass: claim what is due and (with ``wait``) run each claimed slot to completion."""
    outcomes = claim_due(workspace, now=now, grace_s=grace_s)
    if not wait:
        return outcomes
    return [execute_slot(workspace, item) if item.status == "claimed" else item for item in outcomes]


async def scheduler_loop(
    workspace: Workspace,
    *,
    interval_s: float = 30.0,
    grace_s: float = DEFAULT_GRACE_S,
    stop: asyncio.Event | None = None,
    on_outcome: Callable[[SlotOutcome], Any] | None = None,
) -> None:
    """Check every ``interval_s`` seconds until ``stop`` is set; claimed slots run concurrently.

    ``on_outcome`` hears about every claimed, missed and finished slot (the server logs them).
    On stop, runs already started are awaited, so none is left recorded as running.
    """
    stop = stop or asyncio.Event()
    running: set[asyncio.Task[SlotOutcome]] = set()

    def report(item: SlotOutcome) -> None:
        if on_outcome is not None:
            with contextlib.suppress(Exception):
                on_outcome(item)

    def finished(task: asyncio.Task[SlotOutcome]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is None:
            report(task.result())

    while not stop.is_set():
        try:
            claimed = await asyncio.to_thread(claim_due, workspace, grace_s=grace_s)
        except WorkbenchError as exc:  # the database is away for a moment: try again next time
            _log.warning("scheduler pass failed: %s", exc.message)
            claimed = []
        for item in claimed:
            report(item)
            if item.status == "claimed":
                task = asyncio.create_task(execute_slot_async(workspace, item))
                running.add(task)
                task.add_done_callback(finished)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
    if running:
        await asyncio.gather(*running, return_exceptions=True)
