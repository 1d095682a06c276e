"""Aliases (``candidate``, ``production``, any name) and their history.

:func:`move_alias` is the one place an alias row changes; it writes the history row
and the audit event in the caller's transaction. It does not decide *whether* a
move is allowed: protected aliases are moved only through the governance gate
(``workbench.governance.gate``), and ungated moves through
``workbench.governance.aliases.set_alias``, which refuses protected ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.refs import check_alias
from workbench.project.workspace import Tx, Workspace
from workbench.store.schema import alias_history, aliases

__all__ = ["AliasMove", "alias_history_of", "move_alias"]


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


def move_alias(tx: Tx, name: str, alias: str, version: int, *, reason: str, action: str = "model.alias") -> AliasMove:
    """Point ``name@alias`` at ``version`` (the version must exist; callers resolve it)."""
    check_alias(alias)
    now = utcnow()
    current = tx.conn.execute(
        sa.select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == alias).with_for_update()
    ).first()
    previous = int(current.version) if current else None
    if current is None:
        tx.conn.execute(
            aliases.insert().values(name=name, alias=alias, version=version, updated_at=now, updated_by=tx.actor)
        )
    else:
        tx.conn.execute(
            aliases.update()
            .where(aliases.c.name == name, aliases.c.alias == alias)
            .values(version=version, updated_at=now, updated_by=tx.actor)
        )
    tx.conn.execute(
        alias_history.insert().values(
            name=name, alias=alias, from_version=previous, to_version=version, actor=tx.actor, time=now, reason=reason
        )
    )
    tx.record(
        action,
        f"model:{name}@{alias}",
        {"name": name, "alias": alias, "from_version": previous, "to_version": version, "reason": reason},
    )
    return AliasMove(name, alias, previous, version, tx.actor, now, reason)


def alias_history_of(workspace: Workspace, name: str, alias: str | None = None) -> list[AliasMove]:
    """Who pointed which alias where, and when: newest first."""
    query = sa.select(alias_history).where(alias_history.c.name == name)
    if alias is not None:
        query = query.where(alias_history.c.alias == alias)
    with workspace.read() as conn:
        rows = conn.execute(query.order_by(alias_history.c.id.desc())).all()
    return [AliasMove(r.name, r.alias, r.from_version, r.to_version, r.actor, r.time, r.reason) for r in rows]
