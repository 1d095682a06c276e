"""``jobs cancel``: stop a queued job at once, or ask a running one to stop after its batch.

A running job polls its ``cancel_requested`` flag between batches; when it sees it,
it removes its staged output and records itself ``cancelled``. With ``wait_s`` the
call waits (up to that long) for the job to reach a final status.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict
from workbench.jobs.listing import find_job_id, read_job
from workbench.jobs.reap import discard_leftovers, reap_dead_jobs
from workbench.jobs.values import Job
from workbench.processes import JOB_LIFECYCLE, transition
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs

__all__ = ["cancel_job"]


def cancel_job(workspace: Workspace, job_id: str, *, wait_s: float = 0.0, poll_s: float = 0.2) -> Job:
    """Cancel a queued or running job; raises :class:`Conflict` when it has already ended."""
    reap_dead_jobs(workspace)
    with workspace.transaction() as tx:
        full_id = find_job_id(tx.conn, job_id)
        job = read_job(tx.conn, full_id)
        if job.kind == "serve" and not job.done:
            raise Conflict(
                f"Job {job.short_id} is a `workbench serve` process serving {job.name}:{job.version}; it ends when "
                "that service stops (Ctrl-C, or stop its unit or Deployment) or when the alias moves, not by cancel. "
                f"To stop a canary or shadow, run `workbench rollout stop {job.name}`."
            )
        if job.status == "queued":
            transition(
                tx.conn,
                jobs,
                full_id,
                JOB_LIFECYCLE,
                "cancelled",
                only_from=("queued",),
                cancel_requested=True,
                ended_at=utcnow(),
                error_type="Cancelled",
                error=f"Cancelled by {workspace.actor} before it started.",
            )
            tx.record("job.cancel", f"job:{full_id}", {"status": "cancelled", "rows_done": 0, "before_start": True})
        elif job.status == "running":
            tx.conn.execute(jobs.update().where(jobs.c.id == full_id).values(cancel_requested=True))
            tx.record("job.cancel_request", f"job:{full_id}", {"rows_done": job.rows_done})
        else:
            raise Conflict(f"Job {job.short_id} has already {job.status}; there is nothing to cancel.")
    if job.status == "queued":
        discard_leftovers(workspace, job)
    deadline = time.monotonic() + max(0.0, wait_s)
    while True:
        with workspace.read() as conn:
            current = read_job(conn, full_id)
        if current.done or time.monotonic() >= deadline:
            return current
        time.sleep(poll_s)
        reap_dead_jobs(workspace)


def cancel_requested(workspace: Workspace, job_id: str) -> bool:
    with workspace.read() as conn:
        return bool(conn.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).scalar())
