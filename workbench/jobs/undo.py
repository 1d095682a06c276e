"""``queue undo``: take back one's own last review decision within a short window.

A decision stays in the audit log; undoing it is a second event, ``review.undo``, that
names the decision it reverses (its event's seq), and reopens the item in the same
transaction. Only the person who decided may undo, only the item's latest decision,
and only within :data:`UNDO_WINDOW_S` seconds; after that the decision is final, as
:func:`~workbench.jobs.decide.decide_review_item` says.
"""

from __future__ import annotations

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict, PermissionDenied
from workbench.jobs.decide import locked_item
from workbench.jobs.review_queue import get_review_item
from workbench.jobs.values import ReviewItem, as_utc
from workbench.project.workspace import Workspace
from workbench.store.schema import audit_events, jobs, review_items

__all__ = ["UNDO_WINDOW_S", "undo_review_decision"]

#: How long after deciding a reviewer may take the decision back.
UNDO_WINDOW_S = 60


def undo_review_decision(workspace: Workspace, item_id: int, *, window_s: int = UNDO_WINDOW_S) -> ReviewItem:
    """Reopen review item ``item_id`` that the acting user decided less than ``window_s`` seconds ago."""
    with workspace.transaction() as tx:
        row = locked_item(tx.conn, item_id)
        if row.status != "decided":
            raise Conflict(f"Review item {item_id} is {row.status}: there is no decision to undo.")
        if row.decided_by != workspace.actor:
            raise PermissionDenied(
                f"Review item {item_id} was decided by {row.decided_by}; only they may undo their decision."
            )
        decided_at = as_utc(row.decided_at)
        age = (utcnow() - decided_at).total_seconds() if decided_at else float("inf")
        if age > window_s:
            raise Conflict(
                f"The decision on review item {item_id} was made {int(age)} s ago; it can be undone for "
                f"{window_s} s only and is now final (the audit log keeps it)."
            )
        decided_event = tx.conn.execute(
            sa.select(sa.func.max(audit_events.c.seq)).where(
                audit_events.c.subject == f"review:{item_id}", audit_events.c.action == "review.decide"
            )
        ).scalar()
        tx.conn.execute(
            review_items.update()
            .where(review_items.c.id == item_id)
            .values(status="open", decision=None, comment=None, decided_by=None, decided_at=None, override=None)
        )
        if row.override:
            stats = dict(row.stats or {})
            stats["overrides"] = max(0, int(stats.get("overrides", 0)) - 1)
            tx.conn.execute(jobs.update().where(jobs.c.id == row.job_id).values(stats=stats))
        tx.record(
            "review.undo",
            f"review:{item_id}",
            {
                "job": row.job_id,
                "model": row.name,
                "version": row.version,
                "row_key": row.row_key,
                "undone_decision": row.decision,
                "undone_comment": row.comment,
                "undone_override": bool(row.override),
                "undone_event": decided_event,
                "seconds_after": round(age, 3),
            },
        )
    return get_review_item(workspace, item_id)
