"""Schedules in the store: add, list, pause, resume, remove; bad input refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.core.errors import NotFound, ValidationError
from workbench.pipelines.promote import promote
from workbench.pipelines.schedules import (
    add_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    remove_schedule,
    resume_schedule,
    slots_between,
)
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events

NotebookFactory = Callable[..., Path]


@pytest.fixture
def staged(dvc_workspace: Workspace, notebook: NotebookFactory) -> Workspace:
    notebook("daily.ipynb", ["n = 1"])
    promote(dvc_workspace, "daily.ipynb")
    return dvc_workspace


def test_add_list_pause_resume_remove(staged: Workspace) -> None:
    added = add_schedule(staged, "daily", "0  6 * * *", tz="Europe/Berlin")
    assert (added.stage, added.cron, added.tz, added.mode, added.paused) == (
        "daily",
        "0 6 * * *",
        "Europe/Berlin",
        "run",
        False,
    )
    assert added.next_slot is not None and added.next_slot.astimezone(added.next_slot.tzinfo).minute == 0
    assert [item.id for item in list_schedules(staged)] == [added.id]

    paused = pause_schedule(staged, added.id)
    assert paused.paused and paused.next_slot is None
    resumed = resume_schedule(staged, added.id)
    assert not resumed.paused
    assert resumed.last_slot is not None and resumed.last_slot >= paused.last_slot  # type: ignore[operator]

    remove_schedule(staged, added.id)
    assert list_schedules(staged) == []
    with pytest.raises(NotFound, match="No schedule"):
        get_schedule(staged, added.id)
    with staged.read() as conn:
        actions = [event.action for event in list_events(conn, subject_prefix="schedule:")]
    assert actions == ["schedule.add", "schedule.pause", "schedule.resume", "schedule.remove"]


@pytest.mark.parametrize(
    ("stage", "cron", "tz", "mode", "error", "text"),
    [
        ("daily", "every day", "UTC", "run", ValidationError, "Invalid cron expression"),
        ("daily", "61 * * * *", "UTC", "run", ValidationError, "Invalid cron expression"),
        ("daily", "0 6 * * * *", "UTC", "run", ValidationError, "use five fields"),
        ("daily", "0 6 * * *", "Mars/Olympus", "run", ValidationError, "Unknown time zone"),
        ("daily", "0 6 * * *", "UTC", "often", ValidationError, "Unknown mode"),
        ("weekly", "0 6 * * *", "UTC", "run", NotFound, "No stage 'weekly' in dvc.yaml"),
    ],
)
def test_bad_schedules_are_refused(
    staged: Workspace, stage: str, cron: str, tz: str, mode: str, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        add_schedule(staged, stage, cron, tz=tz, mode=mode)
    assert list_schedules(staged) == []


def test_pausing_a_missing_schedule(staged: Workspace) -> None:
    for change in (pause_schedule, resume_schedule, remove_schedule):
        with pytest.raises(NotFound, match="`workbench schedule list`"):
            change(staged, 99)


def test_slots_follow_the_time_zone_across_daylight_saving() -> None:
    after = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    slots = list(slots_between("0 6 * * *", "Europe/Berlin", after, after + timedelta(days=3)))
    # 06:00 in Berlin is 05:00 UTC before the switch on 29 March and 04:00 UTC after it.
    assert [slot.isoformat() for slot in slots] == [
        "2026-03-28T05:00:00+00:00",
        "2026-03-29T04:00:00+00:00",
        "2026-03-30T04:00:00+00:00",
    ]
