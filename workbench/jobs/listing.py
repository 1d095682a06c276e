"""``jobs list`` and ``jobs show``: jobs newest first, and one job by id or unique prefix.

Both first notice jobs whose process died (:func:`workbench.jobs.reap.reap_dead_jobs`),
so a killed job is never shown as running.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import NotFound
from workbench.jobs.values import Job
from workbench.processes import JOB_LIFECYCLE, find_id, listing
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs

__all__ = ["find_job_id", "get_job", "list_jobs", "read_job"]


def read_job(conn: Connection, job_id: str) -> Job:
    """The job with exactly this id, inside an open transaction."""
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"No job {job_id!r}; `workbench jobs list` shows the recent ones.")
    return Job.from_row(row)


def find_job_id(conn: Connection, text: str) -> str:
    """The full id of the job that ``text`` (an id or a unique prefix of at least four characters) names."""
    return find_id(conn, jobs, text, "job", "workbench jobs list")


def get_job(workspace: Workspace, job_id: str) -> Job:
    """One job by id or unique prefix, after dead-process detection."""
    from workbench.jobs.reap import reap_dead_jobs

    reap_dead_jobs(workspace)
    with workspace.read() as conn:
        return read_job(conn, find_job_id(conn, job_id))


def list_jobs(
    workspace: Workspace,
    *,
    status: str | None = None,
    model: str | None = None,
    limit: int | None = 50,
) -> list[Job]:
    """Jobs, newest first, optionally of one status or model."""
    from workbench.jobs.reap import reap_dead_jobs

    query = listing(jobs, JOB_LIFECYCLE, jobs.c.created_at, limit=limit, status=status, name=model)
    reap_dead_jobs(workspace)
    with workspace.read() as conn:
        return [Job.from_row(row) for row in conn.execute(query)]
