"""``queue decide``: a reviewer's decision on one review item, as an audit event.

A decision that contradicts the model's leaning (``accept`` for a row the model
leaned to decline, or the reverse) is an *override* (EU AI Act Art. 14(4)(d): the
person may disregard or reverse the system's output). Overrides need a comment that
says why; the item, the job's ``stats["overrides"]`` count and a ``review.decide``
audit event with ``override: true`` are written in one transaction.

Who may decide is :func:`workbench.project.rbac.authorize`'s ``review`` verb: in a keyed
project a roster person with the ``reviewer`` role, and the decision is a statement signed
with their key (kind ``review.decide``: the item, its row key, model version, job and score,
the decision and the comment), recorded with the event; the server signs nothing, so its
requests are refused there. In an open project, when ``[tool.workbench.roles]`` lists
reviewers, only they may decide.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import Conflict, NotFound, ValidationError
from workbench.core.statements import Statement
from workbench.jobs.review_queue import get_review_item
from workbench.jobs.supersede import SUPERSEDED
from workbench.jobs.values import ReviewItem
from workbench.project.keys import SigningKey
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, review_items

__all__ = ["DECISIONS", "decide_review_item", "locked_item"]

DECISIONS = ("accept", "decline")


def decide_review_item(
    workspace: Workspace,
    item_id: int,
    decision: str,
    comment: str = "",
    *,
    key: SigningKey | None = None,
    may_load_key: bool = True,
) -> ReviewItem:
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
    acting = authorize(workspace, "review", key=key, may_load_key=may_load_key)
    workspace = workspace.with_identity(acting.identity)
    comment = (comment or "").strip()
    with workspace.transaction() as tx:
        row = locked_item(tx.conn, item_id)
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
        claims = {
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
        }
        payload = dict(claims)
        if acting.key is not None:
            score = None if math.isnan(claims["score"]) else claims["score"]  # NaN is not JSON
            statement = Statement(
                "review.decide",
                f"review:{item_id}",
                {**claims, "score": score},
                acting.identity.name,
                isoformat(now),
            )
            payload["statement"] = acting.key.sign(statement).to_dict()
        tx.record("review.decide", f"review:{item_id}", payload)
    return get_review_item(workspace, item_id)


def locked_item(conn: Connection, item_id: int) -> Any:
    """Review item ``item_id`` with its job's model, version and stats, locked for this transaction."""
    row = conn.execute(
        sa.select(review_items, jobs.c.name, jobs.c.version, jobs.c.stats)
        .join(jobs, jobs.c.id == review_items.c.job_id)
        .where(review_items.c.id == item_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"No review item {item_id}; `workbench queue list` shows the open ones.")
    return row
