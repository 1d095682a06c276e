"""The records of tracked processes: their lifecycle, the guarded status change, lookup by id prefix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import NotFound, ValidationError

__all__ = ["JOB_LIFECYCLE", "RUN_LIFECYCLE", "Lifecycle", "find_id", "listing", "transition"]

_MIN_PREFIX = 4


@dataclass(frozen=True)
class Lifecycle:
    """The statuses of one kind of record and which status may follow which."""

    noun: str
    #: status -> the statuses it may change to; a status with none is final.
    moves: Mapping[str, tuple[str, ...]]

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.moves)

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(status for status, following in self.moves.items() if following)

    @property
    def final(self) -> tuple[str, ...]:
        return tuple(status for status, following in self.moves.items() if not following)

    def sources(self, status: str) -> tuple[str, ...]:
        """The statuses a record may be in to change to ``status``."""
        found = tuple(source for source, following in self.moves.items() if status in following)
        if not found:
            raise ValueError(f"No {self.noun} may change to {status!r}.")
        return found

    def check_status(self, status: str | None) -> None:
        """Refuse a status filter that names no status of this lifecycle."""
        if status is not None and status not in self.moves:
            raise ValidationError(f"Unknown {self.noun} status {status!r}; use one of {', '.join(self.statuses)}.")


JOB_LIFECYCLE = Lifecycle(
    "job",
    {
        "queued": ("running", "failed", "cancelled"),
        "running": ("succeeded", "failed", "cancelled"),
        "succeeded": (),
        "failed": (),
        "cancelled": (),
    },
)
RUN_LIFECYCLE = Lifecycle(
    "run",
    {
        "running": ("succeeded", "failed", "timed-out", "cancelled"),
        "succeeded": (),
        "failed": (),
        "timed-out": (),
        "cancelled": (),
    },
)


def transition(
    conn: Connection,
    table: sa.Table,
    record_id: str,
    lifecycle: Lifecycle,
    status: str,
    *,
    only_from: tuple[str, ...] | None = None,
    where: tuple[Any, ...] = (),
    **values: Any,
) -> bool:
    """Change the record's status to ``status`` (with ``values``) if its lifecycle allows it from the
    status it is in now (narrowed to ``only_from``) and ``where`` holds; returns whether it changed.

    The check and the change are one ``UPDATE``, so two processes racing to end the same
    record (a job finishing while it is reaped or cancelled) cannot both win.
    """
    sources = lifecycle.sources(status)
    if only_from is not None:
        sources = tuple(s for s in sources if s in only_from)
    query = table.update().where(table.c.id == record_id, table.c.status.in_(sources), *where)
    return bool(conn.execute(query.values(status=status, **values)).rowcount)


def listing(
    table: sa.Table, lifecycle: Lifecycle, newest: sa.Column, *, limit: int | None, **equal: str | None
) -> sa.Select:
    """Newest first by ``newest`` (then id), where each column named in ``equal`` has its value
    (None: any), at most ``limit``; a status that is not the lifecycle's, or a limit under 1, is refused."""
    lifecycle.check_status(equal.get("status"))
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    query = sa.select(table).order_by(newest.desc(), table.c.id.desc()).limit(limit)
    for column, value in equal.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    return query


def find_id(conn: Connection, table: sa.Table, text: str, noun: str, listing: str) -> str:
    """The full id of the record that ``text`` (an id or a unique prefix of at least four hex
    characters) names; ``listing`` is the command that shows the recent ones."""
    value = (text or "").strip().lower()
    if len(value) < _MIN_PREFIX or not all(char in "0123456789abcdef" for char in value):
        raise ValidationError(
            f"{text!r} is not a {noun} id; give at least {_MIN_PREFIX} hex characters (see `{listing}`)."
        )
    rows = conn.execute(sa.select(table.c.id).where(table.c.id.startswith(value)).limit(2)).all()
    if not rows:
        raise NotFound(f"No {noun} {text!r}; `{listing}` shows the recent ones.")
    if len(rows) > 1:
        raise ValidationError(f"{text!r} matches several {noun}s; give more characters of the id.")
    return str(rows[0].id)
