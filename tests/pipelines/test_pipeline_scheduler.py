"""The scheduler: each due slot claimed once, missed slots reported, claimed slots run."""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.pipelines import scheduler
from workbench.pipelines.scheduler import claim_due, run_due, scheduler_loop
from workbench.pipelines.values import SlotOutcome
from workbench.project.workspace import Workspace, open_workspace
from workbench.store.audit import list_events
from workbench.store.schema import schedule_slots, schedules

DAY = datetime(2026, 1, 1, tzinfo=UTC)


def _schedule(workspace: Workspace, cron: str, last_slot: datetime, *, paused: bool = False) -> int:
    """A schedule row as `schedule add` would leave it, with a chosen last slot."""
    with workspace.transaction() as tx:
        result = tx.conn.execute(
            schedules.insert().values(
                stage="daily", cron=cron, tz="UTC", mode="run", paused=paused, created_by="a",
                created_at=last_slot, last_slot=last_slot,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def _slots(workspace: Workspace) -> list[tuple[datetime, str]]:
    with workspace.read() as conn:
        rows = conn.execute(sa.select(schedule_slots.c.slot, schedule_slots.c.status).order_by(schedule_slots.c.slot))
        return [(row.slot.replace(tzinfo=UTC), row.status) for row in rows]


def test_a_due_slot_is_claimed_once(workspace: Workspace) -> None:
    _schedule(workspace, "0 6 * * *", DAY)
    now = DAY + timedelta(hours=6, minutes=5)
    first = claim_due(workspace, now=now)
    assert [(item.status, item.slot) for item in first] == [("claimed", DAY + timedelta(hours=6))]
    assert first[0].run_id is not None and len(first[0].run_id) == 32
    assert claim_due(workspace, now=now) == []
    assert claim_due(workspace, now=now + timedelta(hours=1)) == []  # the next slot is tomorrow
    assert _slots(workspace) == [(DAY + timedelta(hours=6), "claimed")]


def test_a_scheduler_with_a_stale_view_loses_on_the_slot_key(workspace: Workspace) -> None:
    schedule_id = _schedule(workspace, "0 6 * * *", DAY)
    now = DAY + timedelta(hours=6, minutes=1)
    assert len(claim_due(workspace, now=now)) == 1
    with workspace.transaction() as tx:  # as if a second scheduler had read the schedule before the claim
        tx.conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(last_slot=DAY))
    assert claim_due(workspace, now=now) == []
    assert len(_slots(workspace)) == 1
    assert workspace.verify_audit().ok


def test_missed_slots_are_reported_not_replayed(workspace: Workspace) -> None:
    _schedule(workspace, "0 6 * * *", DAY - timedelta(days=3))
    [outcome] = claim_due(workspace, now=DAY + timedelta(hours=6, minutes=10))
    assert outcome.status == "claimed" and outcome.slot == DAY + timedelta(hours=6)
    assert len(outcome.missed) == 3 and "3 slot(s) passed while no scheduler ran" in outcome.message
    assert [status for _, status in _slots(workspace)] == ["missed", "missed", "missed", "claimed"]
    with workspace.read() as conn:
        [event] = list_events(conn, action="schedule.missed")
    assert event.payload["count"] == 3


def test_a_slot_older_than_the_grace_period_is_missed_too(workspace: Workspace) -> None:
    _schedule(workspace, "0 6 * * *", DAY)
    [outcome] = claim_due(workspace, now=DAY + timedelta(hours=7), grace_s=900)
    assert outcome.status == "missed" and outcome.run_id is None
    assert _slots(workspace) == [(DAY + timedelta(hours=6), "missed")]


def test_paused_schedules_are_skipped(workspace: Workspace) -> None:
    _schedule(workspace, "* * * * *", DAY, paused=True)
    assert claim_due(workspace, now=DAY + timedelta(minutes=5)) == []


def test_a_year_of_minutes_is_summarised_quickly(workspace: Workspace) -> None:
    _schedule(workspace, "* * * * *", DAY - timedelta(days=365))
    [outcome] = claim_due(workspace, now=DAY + timedelta(seconds=30))
    assert outcome.status == "claimed" and outcome.slot == DAY
    assert len(_slots(workspace)) == 51  # 50 missed rows kept, the rest counted in the audit event


def test_racing_schedulers_claim_each_slot_exactly_once(
    db_url: str, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DB_URL", db_url)
    setup = open_workspace(project_dir)
    for _ in range(3):
        _schedule(setup, "*/5 * * * *", DAY)
    now = DAY + timedelta(minutes=5, seconds=20)
    barrier = threading.Barrier(4)
    results: list[list[SlotOutcome]] = []

    def one_scheduler() -> None:
        barrier.wait()
        results.append(claim_due(open_workspace(project_dir), now=now, claimer=threading.current_thread().name))

    threads = [threading.Thread(target=one_scheduler, name=f"scheduler-{index}") for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [item for batch in results for item in batch]
    assert sorted(item.schedule_id for item in claimed) == [1, 2, 3]
    assert len(_slots(setup)) == 3
    assert setup.verify_audit().ok


def test_claimed_slots_run_and_record_the_outcome(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = iter([0, 3])
    monkeypatch.setattr(
        scheduler, "slot_command", lambda *_: [sys.executable, "-c", f"raise SystemExit({next(codes)})"]
    )
    _schedule(workspace, "0 6 * * *", DAY)
    _schedule(workspace, "0 6 * * *", DAY)
    outcomes = run_due(workspace, now=DAY + timedelta(hours=6, minutes=2))
    assert [item.status for item in outcomes] == ["succeeded", "failed"]
    assert "exit code 3" in outcomes[1].message
    assert [status for _, status in _slots(workspace)] == ["succeeded", "failed"]
    with workspace.read() as conn:
        assert [event.action for event in list_events(conn, action="schedule.slot")] == [
            "schedule.slot.succeeded",
            "schedule.slot.failed",
        ]


def test_the_async_loop_runs_due_slots_and_stops(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "slot_command", lambda *_: [sys.executable, "-c", "pass"])
    _schedule(workspace, "* * * * *", utcnow() - timedelta(seconds=61))
    heard: list[SlotOutcome] = []

    async def main() -> None:
        stop = asyncio.Event()

        def on_outcome(item: SlotOutcome) -> None:
            heard.append(item)
            if item.status == "succeeded":
                stop.set()

        await asyncio.wait_for(scheduler_loop(workspace, interval_s=0.2, stop=stop, on_outcome=on_outcome), 60)

    asyncio.run(main())
    assert [item.status for item in heard] == ["claimed", "succeeded"]
