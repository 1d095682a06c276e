"""Two ``workbench scheduler --once`` processes against one database and one due slot:
exactly one run starts, and the other scheduler says nothing was due."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pipeline_helpers import bin_folder, new_project, process_env

from tests.support.notebooks import write_notebook
from workbench.core.clock import isoformat
from workbench.pipelines.promote import promote
from workbench.pipelines.runs import list_runs
from workbench.pipelines.schedules import add_schedule, slots_between
from workbench.project.workspace import open_workspace
from workbench.store.schema import schedule_slots

pytestmark = pytest.mark.slow


def test_two_schedulers_one_due_slot_exactly_one_run(tmp_path: Path) -> None:
    env = process_env(bin_folder(tmp_path / "bin"))
    root = new_project(tmp_path / "proj")
    write_notebook(root / "nightly.ipynb", ["n = 1", "print(n)"])
    workspace = open_workspace(root)
    promote(workspace, "nightly.ipynb", base_dir=root)
    schedule = add_schedule(workspace, "nightly", "*/5 * * * *")
    slot = next(slots_between(schedule.cron, schedule.tz, schedule.last_slot, schedule.last_slot + timedelta(hours=1)))  # type: ignore[arg-type]
    now = isoformat(slot + timedelta(seconds=30))

    argv = ["workbench", "scheduler", "--once", "--json", "--now", now]
    schedulers = [
        subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [process.communicate(timeout=300) for process in schedulers]
    assert [process.returncode for process in schedulers] == [0, 0], results
    outcomes = sorted((json.loads(out) for out, _ in results), key=len)
    assert outcomes[0] == []
    [ran] = outcomes[1]
    assert (ran["schedule_id"], ran["stage"], ran["status"]) == (schedule.id, "nightly", "succeeded")

    [run] = list_runs(workspace)
    assert (run.id, run.stage, run.status, run.trigger) == (
        ran["run_id"],
        "nightly",
        "succeeded",
        f"schedule:{schedule.id}",
    )
    with workspace.read() as conn:
        slots = list(conn.execute(sa.select(schedule_slots.c.status, schedule_slots.c.run_id)))
    assert [(row.status, row.run_id) for row in slots] == [("succeeded", run.id)]
    assert workspace.verify_audit().ok
