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

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import AuditChainBroken, NotFound, PermissionDenied, PromotionBlocked, ValidationError
from workbench.core.refs import ModelRef, check_alias
from workbench.core.statements import SignedStatement, Statement
from workbench.core.values import Identity
from workbench.governance.adoption import PolicyStatus, governing_policy, policy_status
from workbench.governance.approvals import checks_current, is_approver, signing_identity
from workbench.governance.policy import Policy
from workbench.project.adopted import RosterState, roster_state
from workbench.project.checkpoints import write_checkpoint
from workbench.project.config import Project
from workbench.project.keys import SigningKey
from workbench.project.roster import Roster
from workbench.project.workspace import Tx, Workspace
from workbench.registry.aliases import AliasMove
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import alias_history, aliases, check_results
from workbench.store.state import verify_state

__all__ = [
    "GateStatus",
    "artifact_digests",
    "failed_checks",
    "gate_status",
    "gate_status_in",
    "gate_verdict",
    "move_unprotected",
    "promote",
    "protected_aliases",
]


@dataclass(frozen=True)
class GateStatus:
    ref: str
    alias: str
    policy_path: str
    policy_hash: str
    approvals: int
    approvals_required: int
    unmet: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

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
            "notes": list(self.notes),
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
    conn: Connection,
    workspace: Workspace,
    version: ModelVersion,
    alias: str,
    policy: Policy,
    state: RosterState | None = None,
) -> GateStatus:
    state = state or roster_state(conn, workspace.project)
    current = checks_current(conn, version, policy)
    failures = _current_check_failures(conn, version, policy) if current else []
    approvals, unmet = gate_verdict(
        version.ref,
        version.author,
        version.decisions,
        policy,
        workspace.project,
        roster=state.require_governing(),
        checks_current=current,
        check_failures=failures,
        digests=version.digests,
    )
    notes: tuple[str, ...] = ()
    if state.keyed:
        status = policy_status(conn, workspace.project, version.name)
        notes = (status.message,) if status.differs else ()
    else:
        notes = (PolicyStatus(state.mode, None, None, None, False).message,)
    return GateStatus(
        version.ref,
        alias,
        workspace.project.relative(policy.path),
        policy.sha256,
        approvals,
        policy.approvals_required,
        unmet,
        notes,
    )


def gate_verdict(
    ref: str,
    author: str,
    decided: Iterable[dict[str, Any]],
    policy: Policy,
    project: Project,
    *,
    roster: Roster | None,
    checks_current: bool,
    check_failures: list[str],
    digests: dict[str, str],
) -> tuple[int, tuple[str, ...]]:
    """The gate's rule on facts already read: (counted approvals, unmet conditions).

    ``decided`` are the version's decisions (``actor``, ``decision``, ``comment``, ``digests``)
    in the order they were made; ``check_failures`` the failed required checks of the newest
    evaluation under ``policy``; ``digests`` the version's artifact digests now. An approval
    counts only for the bytes it was given for: one recorded with other digests (the
    version's artifacts were changed since) does not. Approvers are judged by the *current*
    roles, as the gate promises: those of ``roster``, the store's adopted roster in a keyed
    project (and then only a statement that verifies counts), else ``[tool.workbench.roles]``
    (an open project, ``roster`` None: declared names). The version list
    (:mod:`workbench.governance.summaries`) applies this same rule to a page of versions read
    at once.
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
        if roster is not None:
            problem = _signature_problem(decision, ref, digests, roster)
            if problem:
                unmet.append(problem)
                continue
            voter = Identity(decision["actor"], "key", roster.roles_of(decision["actor"]))
        else:
            voter = Identity(decision["actor"], "record", tuple(project.roles_of(decision["actor"])))
        if not is_approver(voter, policy):
            continue
        if voter.name == author and not policy.allow_self_approval:
            continue
        if dict(decision.get("digests") or {}) != dict(digests):
            unmet.append(
                f"the approval by {voter.name} was given for other artifacts than {ref} has now; it does not count"
            )
            continue
        approvers.add(voter.name)
    if len(approvers) < policy.approvals_required:
        unmet.append(f"needs {policy.approvals_required} approvals from allowed approvers, has {len(approvers)}")
    return len(approvers), tuple(unmet)


def _signature_problem(decision: dict[str, Any], ref: str, digests: dict[str, str], roster: Roster) -> str | None:
    """Why an approval does not count in a project with a roster, or None when its statement verifies:
    signed by the roster key of the person it names, approving this version's current bytes."""
    actor = decision["actor"]
    data = decision.get("statement")
    if not data:
        return f"the approval by {actor} is not signed; with a roster only signed approvals count"
    try:
        signed = SignedStatement.from_dict(data)
    except ValidationError:
        return f"the approval by {actor} carries a malformed statement; it does not count"
    person = roster.verified_signer(signed)
    statement = signed.statement
    if person is None or person.name != actor:
        return f"the approval by {actor} is not signed by {actor}'s key in the roster; it does not count"
    claims = statement.claims
    if (
        statement.kind != "model.approve"
        or statement.subject != f"model:{ref}"
        or claims.get("decision") != "approve"
        or dict(claims.get("digests") or {}) != dict(digests)
    ):
        return f"the approval signed by {actor} is for another version or other bytes than {ref}; it does not count"
    return None


def artifact_digests(artifacts: Any) -> dict[str, str]:
    """A version's artifact digests from its ``artifacts`` column (name -> {digest, ...})."""
    if not isinstance(artifacts, dict):
        return {}
    return {name: str(entry.get("digest")) for name, entry in sorted(artifacts.items()) if isinstance(entry, dict)}


def gate_status(workspace: Workspace, ref: str | ModelRef, alias: str = "production") -> GateStatus:
    """What stands between ``ref`` and ``alias`` now (for buttons that explain why they are disabled)."""
    with workspace.read() as conn:
        version = get_version_in(conn, ref)
        state = roster_state(conn, workspace.project)
        policy = governing_policy(conn, workspace.project, version.name, state=state)
        _check_alias(policy, alias)
        return gate_status_in(conn, workspace, version, alias, policy, state)


def promote(
    workspace: Workspace,
    ref: str | ModelRef,
    alias: str = "production",
    *,
    reason: str = "",
    key: SigningKey | None = None,
    may_load_key: bool = True,
) -> AliasMove:
    """Move ``alias`` to ``ref`` through the gate, or raise :class:`PromotionBlocked`.

    In a project with a roster the promotion is a statement signed with the promoter's key
    (recorded with the event), and the chain's new head is checkpointed with the same key
    into ``audit/checkpoints.jsonl``.
    """
    identity, signing_key = signing_identity(workspace, key, may_load_key)
    acting = workspace.with_identity(identity)
    with acting.transaction() as tx:
        version = get_version_in(tx.conn, ref)
        state = roster_state(tx.conn, workspace.project)
        policy = governing_policy(tx.conn, workspace.project, version.name, state=state)
        _check_alias(policy, alias)
        status = gate_status_in(tx.conn, workspace, version, alias, policy, state)
        if not status.allowed:
            raise PromotionBlocked(
                f"Promotion of {version.ref} to {alias} is blocked: {len(status.unmet)} condition(s) unmet.",
                details=list(status.unmet),
            )
        rows = verify_state(tx.conn, version.name)
        if not rows.ok:
            raise AuditChainBroken(
                f"Refusing to promote {version.ref}: the database's rows for {version.name} differ from the audit "
                "chain, so the gate cannot trust them. Restore the database from a backup.",
                details=[str(p) for p in rows.problems],
            )
        roster_hash = state.roster.sha256 if state.keyed else None
        extra: dict[str, Any] = {
            "policy": status.policy_path,
            "policy_hash": status.policy_hash,
            "roster_hash": roster_hash,
            "identity_mode": state.mode,
            "approvals": status.approvals,
            "approvals_required": status.approvals_required,
            "digests": version.digests,
        }
        reason = reason or f"promoted through the gate ({status.approvals}/{status.approvals_required} approvals)"
        if signing_key is not None:
            statement = Statement(
                kind="model.promote",
                subject=f"model:{version.name}@{alias}",
                claims={
                    "version": version.ref,
                    "digests": version.digests,
                    "policy": status.policy_hash,
                    "roster": roster_hash,
                    "reason": reason,
                },
                signer=identity.name,
                time=isoformat(utcnow()),
            )
            extra["statement"] = signing_key.sign(statement).to_dict()
        move = _move_alias(tx, version.name, alias, version.version, reason=reason, action="model.promote", extra=extra)
    if signing_key is not None:
        with workspace.read() as conn:
            write_checkpoint(workspace.project, conn, signing_key)
    return move


def move_unprotected(workspace: Workspace, tx: Tx, name: str, alias: str, version: int, *, reason: str) -> AliasMove:
    """Move an alias no policy protects (``production`` always is); refuse a protected one.
    (:func:`_move_alias` refuses a malformed alias name.)"""
    if alias in {protected.lower() for protected in protected_aliases(workspace, name)}:
        raise PermissionDenied(
            f"{alias!r} is protected by policy: only the promotion gate moves it. "
            f"Use `workbench models promote {name}:{version} --alias {alias}`."
        )
    return _move_alias(tx, name, alias, version, reason=reason)


def protected_aliases(workspace: Workspace, model: str) -> tuple[str, ...]:
    """The aliases only the gate moves for ``model``: production, and what its policy protects."""
    try:
        with workspace.read() as conn:
            return governing_policy(conn, workspace.project, model).protects
    except NotFound:
        return ("production",)


def _move_alias(
    tx: Tx,
    name: str,
    alias: str,
    version: int,
    *,
    reason: str,
    action: str = "model.alias",
    extra: dict[str, Any] | None = None,
) -> AliasMove:
    """Point ``name@alias`` at ``version``: the row, its history and the audit event (the one writer).

    Private to this module: :func:`promote` calls it for protected aliases after the gate,
    :func:`move_unprotected` for the others.
    """
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
        {
            "name": name,
            "alias": alias,
            "from_version": previous,
            "to_version": version,
            "reason": reason,
            **(extra or {}),
        },
    )
    return AliasMove(name, alias, previous, version, tx.actor, now, reason)
