"""``jobs list`` and ``jobs show``: jobs newest first, and one job by id or unique prefix.

Both first notice jobs whose process died (:func:`workbench.jobs.reap.reap_dead_jobs`),
so a killed job is never shown as running.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import NotFound, ValidationError
from workbench.jobs.models import JOB_STATUSES, Job
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs

__all__ = ["find_job_id", "get_job", "list_jobs", "read_job"]

_MIN_PREFIX = 4


def read_job(conn: Connection, job_id: str) -> Job:
    """The job with exactly this id, inside an open transaction."""
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"No job {job_id!r}; `workbench jobs list` shows the recent ones.")
    return Job.from_row(row)


def find_job_id(conn: Connection, text: str) -> str:
    """The full id of the job that ``text`` (an id or a unique prefix of at least four characters) names."""
    value = (text or "").strip().lower()
    if len(value) < _MIN_PREFIX or not all(char in "0123456789abcdef" for char in value):
        raise ValidationError(
            f"{text!r} is not a job id; give at least {_MIN_PREFIX} hex characters (see `workbench jobs list`)."
        )
    rows = conn.execute(sa.select(jobs.c.id).where(jobs.c.id.startswith(value)).limit(2)).all()
    if not rows:
        raise NotFound(f"No job {text!r}; `workbench jobs list` shows the recent ones.")
    if len(rows) > 1:
        raise ValidationError(f"{text!r} matches several jobs; give more characters of the id.")
    return str(rows[0].id)


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

    if status is not None and status not in JOB_STATUSES:
        raise ValidationError(f"Unknown job status {status!r}; use one of {', '.join(JOB_STATUSES)}.")
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    reap_dead_jobs(workspace)
    query = sa.select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
    if status is not None:
        query = query.where(jobs.c.status == status)
    if model is not None:
        query = query.where(jobs.c.name == model)
    if limit is not None:
        query = query.limit(limit)
    with workspace.read() as conn:
        return [Job.from_row(row) for row in conn.execute(query)]
