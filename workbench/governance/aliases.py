"""Ungated alias moves (``workbench models alias``, ``wb.set_alias``): refused for any
alias a policy protects (and ``production`` always), which only
:func:`workbench.governance.gate.promote` moves."""

from __future__ import annotations

from workbench.core.refs import ModelRef, check_alias
from workbench.governance.gate import move_unprotected, protected_aliases
from workbench.project.workspace import Workspace
from workbench.registry.aliases import AliasMove
from workbench.registry.versions import resolve_in

__all__ = ["protected_aliases", "set_alias"]


def set_alias(workspace: Workspace, name: str, alias: str, version: int, *, reason: str = "") -> AliasMove:
    check_alias(alias)
    with workspace.transaction() as tx:
        resolved_name, resolved_version = resolve_in(tx.conn, ModelRef(name, version=version))
        return move_unprotected(workspace, tx, resolved_name, alias, resolved_version, reason=reason or "set by hand")
