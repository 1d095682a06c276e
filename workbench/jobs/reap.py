"""Dead-process detection: a job whose process vanished is marked failed, and its leftovers removed.

A job killed with SIGKILL (or on a machine that restarted) never records an outcome
and would look ``running`` for ever. On the job's own host the process id tells
(gone, a zombie, or a newer process reusing the id); elsewhere a heartbeat older than
:data:`STALE_AFTER` does. Reaping marks the job failed with an audit event and removes
its staged output and staged review rows, so nothing partial is left behind.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.jobs.decision_log import decision_log_staging
from workbench.jobs.values import Job, review_staging
from workbench.processes import JOB_LIFECYCLE, this_host, transition, vanished
from workbench.project.workspace import Workspace
from workbench.scoring.sinks import open_output
from workbench.store.schema import jobs

__all__ = ["STALE_AFTER", "discard_leftovers", "reap_dead_jobs"]

#: A job on another host that has shown no sign of life for this long is presumed dead.
STALE_AFTER = timedelta(minutes=10)


def discard_leftovers(workspace: Workspace, job: Job) -> None:
    """Remove a job's staged output, review rows and decision log (silently when absent); its text log stays."""
    try:
        target = open_output(job.output, folder=bool(job.options.get("output_folder")))
        target.discard(target.staging(job.id))
    except Exception:  # noqa: S110 - clean-up of a dead job must never fail the caller
        pass
    review_staging(workspace.project, job.id).unlink(missing_ok=True)
    decision_log_staging(workspace.project, job.id).unlink(missing_ok=True)


def _dead(job: Job, host: str) -> bool:
    if job.host == host or job.host is None:
        return vanished(job.pid, job.host, job.heartbeat_at or job.started_at)
    # Elsewhere the pid tells nothing: a job that has shown no life for long is presumed dead.
    return job.status == "running" and job.heartbeat_at is not None and utcnow() - job.heartbeat_at > STALE_AFTER


def reap_dead_jobs(workspace: Workspace) -> list[str]:
    """Mark active jobs whose process is gone as failed; returns their ids."""
    host = this_host()
    with workspace.read() as conn:
        rows = conn.execute(
            sa.select(jobs).where(jobs.c.status.in_(JOB_LIFECYCLE.active), jobs.c.pid.is_not(None))
        ).all()
    candidates = [Job.from_row(row) for row in rows]
    gone = [job for job in candidates if _dead(job, host)]
    reaped = []
    for job in gone:
        with workspace.transaction() as tx:
            updated = transition(
                tx.conn,
                jobs,
                job.id,
                JOB_LIFECYCLE,
                "failed",
                where=(jobs.c.pid == job.pid,),
                ended_at=utcnow(),
                error_type="ProcessVanished",
                error=(
                    f"The process running this job (pid {job.pid} on {job.host or host}) ended without recording "
                    "an outcome (killed, or the machine restarted). No output was written; submit the job again."
                ),
            )
            if updated:
                tx.record(
                    "job.vanished",
                    f"job:{job.id}",
                    {"status": "failed", "pid": job.pid, "host": job.host, "rows_done": job.rows_done},
                )
                reaped.append(job.id)
        if job.id in reaped:
            discard_leftovers(workspace, job)
    return reaped
