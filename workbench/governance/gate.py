"""The promotion gate: the only code path that moves a protected alias.

A version may be promoted to a protected alias only when every required check
passed for that exact version under the current policy revision, and enough
distinct allowed approvers approved it with nobody rejecting it. Otherwise
:class:`PromotionBlocked` lists every unmet condition. Rolling back to an earlier
version goes through the same gate.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import PromotionBlocked, ValidationError
from workbench.core.models import Identity
from workbench.core.refs import ModelRef
from workbench.governance.approvals import checks_current, is_approver
from workbench.governance.policy import Policy, find_policy
from workbench.project.config import Project
from workbench.project.workspace import Workspace
from workbench.registry.aliases import AliasMove, move_alias
from workbench.registry.models import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import check_results

__all__ = ["GateStatus", "failed_checks", "gate_status", "gate_status_in", "gate_verdict", "promote"]


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
    return failed_checks(rows)


def failed_checks(rows: Sequence[Any]) -> list[str]:
    """The failed required checks of the newest evaluation, from check-result rows of one version
    under one policy, newest first (``message``, ``check``, ``status``, ``required``, ``evaluated_at``)."""
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
    current = checks_current(conn, version, policy)
    failures = _current_check_failures(conn, version, policy) if current else []
    approvals, unmet = gate_verdict(
        version.ref,
        version.author,
        version.decisions,
        policy,
        workspace.project,
        checks_current=current,
        check_failures=failures,
    )
    return GateStatus(
        version.ref,
        alias,
        workspace.project.relative(policy.path),
        policy.sha256,
        approvals,
        policy.approvals_required,
        unmet,
    )


def gate_verdict(
    ref: str,
    author: str,
    decided: Iterable[dict[str, Any]],
    policy: Policy,
    project: Project,
    *,
    checks_current: bool,
    check_failures: list[str],
) -> tuple[int, tuple[str, ...]]:
    """The gate's rule on facts already read: (counted approvals, unmet conditions).

    ``decided`` are the version's decisions (``actor``, ``decision``, ``comment``) in the order
    they were made; ``check_failures`` the failed required checks of the newest evaluation
    under ``policy``. Approvers are judged by the project's *current* roles, as the gate
    promises. The version list (:mod:`workbench.governance.summaries`) applies this same rule
    to a page of versions read at once.
    """
    unmet: list[str] = []
    if not checks_current:
        unmet.append(
            f"checks have not been run under the current policy ({policy.path.name}); run `workbench check {ref}`"
        )
    else:
        unmet.extend(check_failures)
    decided = list(decided)
    for rejection in decided:
        if rejection["decision"] == "reject":
            unmet.append(f"rejected by {rejection['actor']}: {rejection['comment']}")
    approvers = set()
    for decision in decided:
        if decision["decision"] != "approve":
            continue
        voter = Identity(decision["actor"], "record", tuple(project.roles_of(decision["actor"])))
        if not is_approver(voter, policy):
            continue
        if voter.name == author and not policy.allow_self_approval:
            continue
        approvers.add(voter.name)
    if len(approvers) < policy.approvals_required:
        unmet.append(f"needs {policy.approvals_required} approvals from allowed approvers, has {len(approvers)}")
    return len(approvers), tuple(unmet)


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
