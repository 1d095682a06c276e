"""Reading the online decision log (``online_decisions``) as monitoring and the rollout read it.

Batch jobs keep their decisions as Parquet artifacts (``decision_logs``,
:mod:`workbench.postmarket.decisions`); the service keeps each acknowledged decision as a
row of ``online_decisions``. Both meet outcomes on the same *row key*: the service logs
the key as :func:`~workbench.serving.decide.row_keys_of` writes it, the text of the key
for one key column, which is what :func:`workbench.postmarket.decisions.row_key` gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.store.schema import online_decisions

__all__ = ["ONLINE_SCHEMA", "online_frame", "online_row_keys"]

ONLINE_SCHEMA = pl.Schema(
    {
        "row_key": pl.String(),
        "arm": pl.String(),
        "version": pl.Int64(),
        "score": pl.Float64(),
        "decision": pl.String(),
        "route": pl.String(),
    }
)


def online_frame(
    conn: Any,
    name: str,
    *,
    with_input: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[pl.DataFrame, list[Any], list[Any]]:
    """``name``'s online decisions (columns of :data:`ONLINE_SCHEMA`), each row's shadow record
    (None without one) and, when asked, its logged input columns (sensitive and monitored);
    only those made at or after ``since`` and before ``until`` where given."""
    columns = [
        online_decisions.c.row_key,
        online_decisions.c.arm,
        online_decisions.c.version,
        online_decisions.c.score,
        online_decisions.c.decision,
        online_decisions.c.route,
        online_decisions.c.shadow,
    ]
    if with_input:
        columns.append(online_decisions.c.input)
    query = sa.select(*columns).where(online_decisions.c.name == name)
    if since is not None:
        query = query.where(online_decisions.c.created_at >= since)
    if until is not None:
        query = query.where(online_decisions.c.created_at < until)
    rows = conn.execute(query).all()
    frame = pl.DataFrame([tuple(r)[:6] for r in rows], schema=ONLINE_SCHEMA, orient="row")
    return frame, [r.shadow for r in rows], [r.input for r in rows] if with_input else []


def online_row_keys(workspace: Workspace, name: str) -> pl.Series:
    """The row keys ``name`` decided online (for matching outcomes)."""
    with workspace.read() as conn:
        keys = conn.execute(
            sa.select(online_decisions.c.row_key).where(online_decisions.c.name == name).distinct()
        ).scalars()
        return pl.Series("row_key", list(keys), dtype=pl.String)
