"""Ungated alias moves (``workbench models alias``, ``wb.set_alias``): refused for any
alias a policy protects, which only :func:`workbench.governance.gate.promote` moves."""

from __future__ import annotations

from workbench.core.errors import NotFound, PermissionDenied
from workbench.core.refs import ModelRef, check_alias
from workbench.governance.policy import find_policy
from workbench.project.workspace import Workspace
from workbench.registry.aliases import AliasMove, move_alias
from workbench.registry.versions import resolve_in

__all__ = ["protected_aliases", "set_alias"]


def protected_aliases(workspace: Workspace, model: str) -> tuple[str, ...]:
    try:
        return find_policy(workspace.project, model).protects
    except NotFound:
        # With no policy, production is still protected: nothing may reach it ungated.
        return ("production",)


def set_alias(workspace: Workspace, name: str, alias: str, version: int, *, reason: str = "") -> AliasMove:
    check_alias(alias)
    # A policy file may spell a protected alias with capitals; it still protects the lowercase name.
    if alias in {protected.lower() for protected in protected_aliases(workspace, name)}:
        raise PermissionDenied(
            f"{alias!r} is protected by policy: only the promotion gate moves it. "
            f"Use `workbench models promote {name}:{version} --alias {alias}`."
        )
    with workspace.transaction() as tx:
        resolved_name, resolved_version = resolve_in(tx.conn, ModelRef(name, version=version))
        return move_alias(tx, resolved_name, alias, resolved_version, reason=reason or "set by hand")
