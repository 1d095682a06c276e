"""The promotion gate: the only code path that moves a protected alias.

A version may be promoted to a protected alias only when every required check
passed for that exact version under the current policy revision, and enough
distinct allowed approvers approved it with nobody rejecting it. Otherwise
:class:`PromotionBlocked` lists every unmet condition. Rolling back to an earlier
version goes through the same gate.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import PromotionBlocked, ValidationError
from workbench.core.refs import ModelRef
from workbench.governance.approvals import checks_current, is_approver
from workbench.governance.policy import Policy, find_policy
from workbench.project.workspace import Workspace
from workbench.registry.aliases import AliasMove, move_alias
from workbench.registry.models import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import check_results

__all__ = ["GateStatus", "gate_status", "gate_status_in", "promote"]


@dataclass(frozen=True)
class GateStatus:
    ref: str
    alias: str
    policy_path: str
    policy_hash: str
    approvals: int
    approvals_required: int
    unmet: tuple[str, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.unmet

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "alias": self.alias,
            "policy": self.policy_path,
            "policy_hash": self.policy_hash,
            "approvals": self.approvals,
            "approvals_required": self.approvals_required,
            "allowed": self.allowed,
            "unmet": list(self.unmet),
        }


def _check_alias(policy: Policy, alias: str) -> None:
    if alias in policy.protects:
        return
    close = difflib.get_close_matches(alias, policy.protects, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValidationError(
        f"{alias!r} is not an alias that {policy.path.name} protects ({', '.join(policy.protects)}).{hint} "
        "Unprotected aliases move with `workbench models alias`."
    )


def _current_check_failures(conn: Connection, version: ModelVersion, policy: Policy) -> list[str]:
    rows = conn.execute(
        sa.select(check_results)
        .where(
            check_results.c.name == version.name,
            check_results.c.version == version.version,
            check_results.c.policy_hash == policy.sha256,
        )
        .order_by(check_results.c.id.desc())
    ).all()
    if not rows:
        return []
    newest = rows[0].evaluated_at
    return [
        f"check failed: {r.message} [{r.check}]"
        for r in rows
        if r.evaluated_at == newest and r.required and r.status != "pass"
    ]


def gate_status_in(
    conn: Connection, workspace: Workspace, version: ModelVersion, alias: str, policy: Policy
) -> GateStatus:
    unmet: list[str] = []
    if not checks_current(conn, version, policy):
        unmet.append(
            f"checks have not been run under the current policy ({policy.path.name}); "
            f"run `workbench check {version.ref}`"
        )
    else:
        unmet.extend(_current_check_failures(conn, version, policy))
    rejections = [d for d in version.decisions if d["decision"] == "reject"]
    for rejection in rejections:
        unmet.append(f"rejected by {rejection['actor']}: {rejection['comment']}")
    approvers = set()
    for decision in version.decisions:
        if decision["decision"] != "approve":
            continue
        identity_roles = tuple(workspace.project.roles_of(decision["actor"]))
        from workbench.core.models import Identity

        voter = Identity(decision["actor"], "record", identity_roles)
        if not is_approver(voter, policy):
            continue
        if voter.name == version.author and not policy.allow_self_approval:
            continue
        approvers.add(voter.name)
    if len(approvers) < policy.approvals_required:
        unmet.append(f"needs {policy.approvals_required} approvals from allowed approvers, has {len(approvers)}")
    return GateStatus(
        version.ref,
        alias,
        workspace.project.relative(policy.path),
        policy.sha256,
        len(approvers),
        policy.approvals_required,
        tuple(unmet),
    )


def gate_status(workspace: Workspace, ref: str | ModelRef, alias: str = "production") -> GateStatus:
    """What stands between ``ref`` and ``alias`` now (for buttons that explain why they are disabled)."""
    with workspace.read() as conn:
        version = get_version_in(conn, ref)
        policy = find_policy(workspace.project, version.name)
        _check_alias(policy, alias)
        return gate_status_in(conn, workspace, version, alias, policy)


def promote(workspace: Workspace, ref: str | ModelRef, alias: str = "production", *, reason: str = "") -> AliasMove:
    """Move ``alias`` to ``ref`` through the gate, or raise :class:`PromotionBlocked`."""
    with workspace.transaction() as tx:
        version = get_version_in(tx.conn, ref)
        policy = find_policy(workspace.project, version.name)
        _check_alias(policy, alias)
        status = gate_status_in(tx.conn, workspace, version, alias, policy)
        if not status.allowed:
            raise PromotionBlocked(
                f"Promotion of {version.ref} to {alias} is blocked: {len(status.unmet)} condition(s) unmet.",
                details=list(status.unmet),
            )
        return move_alias(
            tx,
            version.name,
            alias,
            version.version,
            reason=reason or f"promoted through the gate ({status.approvals}/{status.approvals_required} approvals)",
            action="model.promote",
        )
