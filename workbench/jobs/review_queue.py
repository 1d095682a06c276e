"""``queue list``: the rows scoring jobs sent to human review, oldest first.

:func:`review_page` serves the same list a page at a time by key (the REST API's
``cursor``); :func:`list_review_items` keeps ``offset`` for the CLI.

Only jobs that succeeded have review items: a job inserts them in its final
transaction, so a failed or cancelled job leaves none. An open item that a later job of
the same model version repeats is ``superseded`` (:mod:`workbench.jobs.supersede`).
Both lists filter by job, model and version; :func:`count_review_items` is the true
total under the same filters, whatever the page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import NotFound, ValidationError
from workbench.jobs.listing import find_job_id
from workbench.jobs.supersede import SUPERSEDED
from workbench.jobs.values import ReviewItem
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, review_items

__all__ = [
    "REVIEW_STATUSES",
    "ReviewFilters",
    "ReviewPage",
    "count_review_items",
    "get_review_item",
    "list_review_items",
    "review_page",
]

REVIEW_STATUSES = ("open", "decided", SUPERSEDED)


class ReviewFilters(TypedDict, total=False):
    """The filters every list and count below takes by name, as a face collects them."""

    job: str | None
    status: str | None
    model: str | None
    version: int | None


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
    version: int | None = None,
) -> list[ReviewItem]:
    """Review items, oldest first; ``status`` None lists every status."""
    _check(status, limit)
    with workspace.store.read() as conn:
        query = _filtered(conn, job, status, model, version).order_by(review_items.c.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return [ReviewItem.from_row(row) for row in conn.execute(query)]


@dataclass(frozen=True)
class ReviewPage:
    """Review items oldest first; ``next_after`` continues after the last one (None: no more);
    ``total`` counts every item under the same filters (all pages)."""

    items: tuple[ReviewItem, ...]
    next_after: int | None
    total: int = 0


def review_page(
    workspace: Workspace,
    *,
    job: str | None = None,
    status: str | None = "open",
    model: str | None = None,
    limit: int = 100,
    after: int | None = None,
    version: int | None = None,
) -> ReviewPage:
    """Up to ``limit`` items with an id above ``after``, oldest first (keyset pagination).

    Each page costs the same however deep it is (the id is the primary key), and an item
    is never listed twice or skipped while jobs add items or reviewers decide them; with
    ``status="open"`` an item decided meanwhile simply drops out of the pages still to come.
    """
    _check(status, limit)
    with workspace.store.read() as conn:
        query = _filtered(conn, job, status, model, version)
        total = _count(conn, query)
        if after is not None:
            query = query.where(review_items.c.id > after)
        rows = conn.execute(query.order_by(review_items.c.id).limit(limit + 1)).all()
    items = tuple(ReviewItem.from_row(row) for row in rows[:limit])
    return ReviewPage(items, items[-1].id if len(rows) > limit else None, total)


def count_review_items(
    workspace: Workspace,
    *,
    job: str | None = None,
    status: str | None = "open",
    model: str | None = None,
    version: int | None = None,
) -> int:
    """How many items the same filters select in all (not limited to a page)."""
    _check(status, None)
    with workspace.store.read() as conn:
        return _count(conn, _filtered(conn, job, status, model, version))


def _count(conn: Connection, query: sa.Select) -> int:
    """How many rows ``query`` selects. The join to ``jobs`` is kept only when a filter reads it
    (model, version): without it the count is an index scan of ``review_items`` alone, which
    every page of a 200,000-item queue pays."""
    where = query.whereclause
    needs_jobs = where is not None and jobs in sa.sql.util.find_tables(where, check_columns=True)
    source = review_items.join(jobs, jobs.c.id == review_items.c.job_id) if needs_jobs else review_items
    counted = sa.select(sa.func.count(review_items.c.id)).select_from(source)
    if where is not None:
        counted = counted.where(where)
    return int(conn.execute(counted).scalar() or 0)


def _check(status: str | None, limit: int | None) -> None:
    if status is not None and status not in REVIEW_STATUSES:
        raise ValidationError(f"Unknown review status {status!r}; use one of {', '.join(REVIEW_STATUSES)}.")
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")


def _filtered(
    conn: Connection, job: str | None, status: str | None, model: str | None, version: int | None = None
) -> sa.Select:
    query = _query()
    if job is not None:
        query = query.where(review_items.c.job_id == find_job_id(conn, job))
    if status is not None:
        query = query.where(review_items.c.status == status)
    if model is not None:
        query = query.where(jobs.c.name == model)
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError(f"version must be a whole number >= 1, got {version!r}.")
        query = query.where(jobs.c.version == version)
    return query


def get_review_item(workspace: Workspace, item_id: int) -> ReviewItem:
    with workspace.read() as conn:
        row = conn.execute(_query().where(review_items.c.id == int(item_id))).first()
    if row is None:
        raise NotFound(f"No review item {item_id}; `workbench queue list` shows the open ones.")
    return ReviewItem.from_row(row)
