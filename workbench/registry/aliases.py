"""Aliases (``candidate``, ``production``, any name) and their history, as read.

Alias rows change in one place only, the gate module (``workbench.governance.gate``):
its private mover writes the row, the history and the audit event; ``promote`` moves
protected aliases through the gate, and ``move_unprotected`` (behind ``set_alias``)
moves the others and refuses protected ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.store.schema import alias_history

__all__ = ["AliasMove", "alias_history_of"]


@dataclass(frozen=True)
class AliasMove:
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    time: datetime
    reason: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


def alias_history_of(workspace: Workspace, name: str, alias: str | None = None) -> list[AliasMove]:
    """Who pointed which alias where, and when: newest first."""
    query = sa.select(alias_history).where(alias_history.c.name == name)
    if alias is not None:
        query = query.where(alias_history.c.alias == alias)
    with workspace.read() as conn:
        rows = conn.execute(query.order_by(alias_history.c.id.desc())).all()
    return [AliasMove(r.name, r.alias, r.from_version, r.to_version, r.actor, r.time, r.reason) for r in rows]
