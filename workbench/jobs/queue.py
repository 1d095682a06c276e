"""``queue list``: the rows scoring jobs sent to human review, oldest first.

Only jobs that succeeded have review items: a job inserts them in its final
transaction, so a failed or cancelled job leaves none.
"""

from __future__ import annotations

import sqlalchemy as sa

from workbench.core.errors import NotFound, ValidationError
from workbench.jobs.listing import find_job_id
from workbench.jobs.models import ReviewItem
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, review_items

__all__ = ["REVIEW_STATUSES", "get_review_item", "list_review_items"]

REVIEW_STATUSES = ("open", "decided")


def _query() -> sa.Select:
    return sa.select(review_items, jobs.c.name, jobs.c.version).join(jobs, jobs.c.id == review_items.c.job_id)


def list_review_items(
    workspace: Workspace,
    *,
    job: str | None = None,
    status: str | None = "open",
    model: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[ReviewItem]:
    """Review items, oldest first; ``status`` None lists open and decided ones."""
    if status is not None and status not in REVIEW_STATUSES:
        raise ValidationError(f"Unknown review status {status!r}; use one of {', '.join(REVIEW_STATUSES)}.")
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    query = _query().order_by(review_items.c.id)
    with workspace.read() as conn:
        if job is not None:
            query = query.where(review_items.c.job_id == find_job_id(conn, job))
        if status is not None:
            query = query.where(review_items.c.status == status)
        if model is not None:
            query = query.where(jobs.c.name == model)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return [ReviewItem.from_row(row) for row in conn.execute(query)]


def get_review_item(workspace: Workspace, item_id: int) -> ReviewItem:
    with workspace.read() as conn:
        row = conn.execute(_query().where(review_items.c.id == int(item_id))).first()
    if row is None:
        raise NotFound(f"No review item {item_id}; `workbench queue list` shows the open ones.")
    return ReviewItem.from_row(row)
