"""Background jobs: ``--detach``, cancel of a running process, and ``kill -9`` noticed on the next look."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.support.scoring import write_input
from workbench.jobs import cancel_job, get_job, list_review_items, score
from workbench.jobs.values import Job
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events


def wait_for(check: Callable[[], Job | None], timeout: float = 90.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the job")


def running_with_rows(workspace: Workspace, job_id: str) -> Callable[[], Job | None]:
    def check() -> Job | None:
        job = get_job(workspace, job_id)
        assert job.status in ("queued", "running"), (
            job.status,
            job.error,
            Path(job.log_path or "").read_text() if job.log_path else "",
        )
        return job if job.status == "running" and job.rows_done > 0 else None

    return check


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".out") or p.name.startswith("out"))


def detached(workspace: Workspace) -> Job:
    write_input(workspace.project.root, n=8_000)
    job = score(
        workspace, "admissions", "data/applicants.parquet", "out.parquet", explain="exact", batch_rows=200, detach=True
    )
    assert job.status == "queued" and job.pid and job.log_path and job.log_path.endswith("job.log")
    return job


def test_a_detached_job_can_be_cancelled_while_it_runs(slow_ws: Workspace) -> None:
    job = detached(slow_ws)
    running = wait_for(running_with_rows(slow_ws, job.id))
    assert running.pid == job.pid  # the background process claimed it
    cancelled = cancel_job(slow_ws, job.id, wait_s=60)
    assert cancelled.status == "cancelled" and 0 < cancelled.rows_done < 8_000
    wait_for(lambda: running if gone(job.pid) else None, timeout=30)  # type: ignore[arg-type]
    assert leftovers(slow_ws.project.root) == []
    assert list_review_items(slow_ws, status=None) == []
    assert "cancelled" in Path(job.log_path).read_text()  # type: ignore[arg-type]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_is_noticed_as_failed_with_no_output(slow_ws: Workspace) -> None:
    job = detached(slow_ws)
    wait_for(running_with_rows(slow_ws, job.id))
    assert any(p.name.startswith(".out.parquet") for p in slow_ws.project.root.iterdir())  # staged while running
    os.kill(job.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_for(lambda: job if gone(job.pid) else None, timeout=30)  # type: ignore[arg-type]
    dead = get_job(slow_ws, job.id)
    assert dead.status == "failed" and dead.error_type == "ProcessVanished"
    assert f"pid {job.pid}" in (dead.error or "") and "submit the job again" in (dead.error or "")
    assert leftovers(slow_ws.project.root) == []
    with slow_ws.read() as conn:
        assert [e.action for e in list_events(conn) if e.subject == f"job:{job.id}"][-1] == "job.vanished"


def test_a_job_elsewhere_is_presumed_dead_only_after_a_stale_heartbeat(scoring_ws: Workspace) -> None:
    from datetime import timedelta

    from workbench.core.clock import utcnow
    from workbench.jobs import list_jobs, reap_dead_jobs, submit_score_job
    from workbench.jobs.request import ScoreRequest
    from workbench.store.schema import jobs

    write_input(scoring_ws.project.root, n=100)
    stale = submit_score_job(scoring_ws, ScoreRequest("admissions", "data/applicants.parquet", "a.parquet"))
    fresh = submit_score_job(scoring_ws, ScoreRequest("admissions", "data/applicants.parquet", "b.parquet"))
    with scoring_ws.transaction() as tx:
        for job, age in ((stale, timedelta(minutes=11)), (fresh, timedelta(seconds=5))):
            tx.conn.execute(
                jobs.update()
                .where(jobs.c.id == job.id)
                .values(status="running", pid=4_000_000, host="another-host", heartbeat_at=utcnow() - age)
            )
    assert reap_dead_jobs(scoring_ws) == [stale.id]
    statuses = {job.id: job.status for job in list_jobs(scoring_ws)}
    assert statuses == {stale.id: "failed", fresh.id: "running"}
