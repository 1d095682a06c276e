"""``queue decide``: a reviewer's decision on one review item, as an audit event.

A decision that contradicts the model's leaning (``accept`` for a row the model
leaned to decline, or the reverse) is an *override* (EU AI Act Art. 14(4)(d): the
person may disregard or reverse the system's output). Overrides need a comment that
says why; the item, the job's ``stats["overrides"]`` count and a ``review.decide``
audit event with ``override: true`` are written in one transaction.

When the project defines a ``reviewer`` role, only its members may decide.
"""

from __future__ import annotations

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.jobs.models import ReviewItem
from workbench.jobs.queue import get_review_item
from workbench.jobs.supersede import SUPERSEDED
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, review_items

__all__ = ["DECISIONS", "decide_review_item"]

DECISIONS = ("accept", "decline")
REVIEWER_ROLE = "reviewer"


def _check_reviewer(workspace: Workspace) -> None:
    reviewers = workspace.project.config.roles.get(REVIEWER_ROLE, ())
    if reviewers and workspace.actor not in reviewers:
        raise PermissionDenied(
            f"{workspace.actor} is not a reviewer: this project lets only the `{REVIEWER_ROLE}` role "
            f"({', '.join(reviewers)}) decide review items. Ask one of them, or add yourself to "
            f"[tool.workbench.roles] {REVIEWER_ROLE}."
        )


def decide_review_item(workspace: Workspace, item_id: int, decision: str, comment: str = "") -> ReviewItem:
    """Record ``decision`` (``accept`` or ``decline``) on an open review item and return the item."""
    if decision not in DECISIONS:
        raise ValidationError(f"Unknown decision {decision!r}; use one of {', '.join(DECISIONS)}.")
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        try:
            item_id = int(str(item_id))
        except ValueError:
            raise ValidationError(
                f"{item_id!r} is not a review item id (a number from `workbench queue list`)."
            ) from None
    _check_reviewer(workspace)
    comment = (comment or "").strip()
    with workspace.transaction() as tx:
        row = tx.conn.execute(
            sa.select(review_items, jobs.c.name, jobs.c.version, jobs.c.stats)
            .join(jobs, jobs.c.id == review_items.c.job_id)
            .where(review_items.c.id == item_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"No review item {item_id}; `workbench queue list` shows the open ones.")
        if row.status == SUPERSEDED:
            raise Conflict(
                f"Review item {item_id} was superseded: a later job of the same model version scored "
                f"{row.row_key} again. Decide its open item instead (`workbench queue list --status open`)."
            )
        if row.status != "open":
            raise Conflict(
                f"Review item {item_id} was already decided ({row.decision}) by {row.decided_by}; "
                "a decision is final and stays in the audit log."
            )
        # A NaN score has no leaning, so no decision on it overrides the model.
        override = row.leaning in DECISIONS and decision != row.leaning
        if override and not comment:
            raise ValidationError(
                f"Deciding {decision} on item {item_id} overrides the model, which leaned to {row.leaning} "
                f"(score {row.score:.3f}). Give a comment saying why (--comment), so the override is explained."
            )
        now = utcnow()
        tx.conn.execute(
            review_items.update()
            .where(review_items.c.id == item_id)
            .values(
                status="decided",
                decision=decision,
                comment=comment,
                decided_by=workspace.actor,
                decided_at=now,
                override=override,
            )
        )
        if override:
            stats = dict(row.stats or {})
            stats["overrides"] = int(stats.get("overrides", 0)) + 1
            tx.conn.execute(jobs.update().where(jobs.c.id == row.job_id).values(stats=stats))
        tx.record(
            "review.decide",
            f"review:{item_id}",
            {
                "job": row.job_id,
                "model": row.name,
                "version": row.version,
                "row_key": row.row_key,
                "score": float(row.score),
                "leaning": row.leaning,
                "rule": row.rule,
                "decision": decision,
                "override": override,
                "comment": comment,
            },
        )
    return get_review_item(workspace, item_id)
