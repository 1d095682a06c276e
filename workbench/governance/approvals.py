"""Approvals and rejections of one exact version (four-eyes by default).

A decision records who (identity and roles), when, under which policy revision,
and the version's artifact digests, so an approval can never silently carry over
to other bytes. One decision per user per version (a unique key makes two clicks
from two tabs record one approval).

In a project with a roster (``[tool.workbench.people]``) a decision is a signed
statement: the person is the owner of the signing key (``WORKBENCH_USER`` changes
nothing), the signature covers the decision, the version's digests, the policy and
roster hashes and the comment, and the gate counts only statements that verify. The
Jupyter server signs nothing on anyone's behalf (``may_load_key=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import Conflict, PermissionDenied, ValidationError
from workbench.core.refs import ModelRef
from workbench.core.statements import Statement
from workbench.core.values import Identity, plain_fields
from workbench.governance.adoption import governing_policy
from workbench.governance.policy import Policy
from workbench.project.adopted import roster_state
from workbench.project.keys import SigningKey
from workbench.project.rbac import establish
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import check_results, decisions

__all__ = [
    "Decision",
    "approve",
    "approver_problem",
    "checks_current",
    "decide",
    "policy_has_checks",
    "reject",
    "signing_identity",
]


@dataclass(frozen=True)
class Decision:
    ref: str
    actor: str
    decision: str
    comment: str
    policy_hash: str

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


def is_approver(identity: Identity, policy: Policy) -> bool:
    return identity.name in policy.approver_users or bool(set(identity.roles) & set(policy.approver_roles))


def policy_has_checks(policy: Policy) -> bool:
    """Whether the policy asks for any check; without one, checks are always current."""
    return bool(
        policy.metric_thresholds
        or policy.fairness_limits
        or policy.drift_max_share is not None
        or policy.contract_required
    )


def checks_current(conn: Connection, version: ModelVersion, policy: Policy) -> bool:
    """Whether the version's checks have been evaluated under this exact policy revision."""
    if not policy_has_checks(policy):
        return True
    found = conn.execute(
        sa.select(check_results.c.id)
        .where(
            check_results.c.name == version.name,
            check_results.c.version == version.version,
            check_results.c.policy_hash == policy.sha256,
        )
        .limit(1)
    ).first()
    return found is not None


def approver_problem(
    conn: Connection, version: ModelVersion, policy: Policy, identity: Identity, decision: str = "approve"
) -> str | None:
    """Why ``identity`` may not make ``decision`` on ``version`` now, or None. The UI shows this reason.

    Rejecting needs only an approver who has not decided yet: a rejection can only
    block, so authors may reject their own version and checks need not have run.
    """
    if not is_approver(identity, policy):
        allowed = ", ".join([*(f"role {r}" for r in policy.approver_roles), *policy.approver_users]) or "nobody"
        return f"{identity.name} is not an approver under {policy.path.name} (allowed: {allowed})."
    if any(d["actor"] == identity.name for d in version.decisions):
        return f"{identity.name} has already decided on {version.ref}."
    if decision == "reject":
        return None
    if identity.name == version.author and not policy.allow_self_approval:
        return f"{identity.name} is the author of {version.ref}; the policy forbids approving one's own version."
    if not checks_current(conn, version, policy):
        return (
            f"Checks have not been run for {version.ref} under the current policy; "
            f"run `workbench check {version.ref}` first."
        )
    return None


def signing_identity(
    workspace: Workspace, key: SigningKey | None, may_load_key: bool
) -> tuple[Identity, SigningKey | None]:
    """Who decides (:func:`workbench.project.rbac.establish`): in a keyed project the owner of the
    signing key in the adopted roster, whatever ``WORKBENCH_USER`` says; in an open project the
    declared identity, unsigned. A project whose roster is not adopted yet is refused."""
    acting = establish(workspace, "approve", key=key, may_load_key=may_load_key)
    return acting.identity, acting.key


def decide(
    workspace: Workspace,
    ref: str | ModelRef,
    decision: str,
    comment: str = "",
    *,
    key: SigningKey | None = None,
    may_load_key: bool = True,
) -> Decision:
    """Record ``decision`` on ``ref``. In a project with a roster the decision is a statement signed
    with ``key`` (default: the user's own key), made by the roster person who owns it."""
    if decision not in {"approve", "reject"}:
        raise ValidationError(f"A decision is 'approve' or 'reject', not {decision!r}.")
    comment = (comment or "").strip()
    if decision == "reject" and not comment:
        raise ValidationError("A rejection needs a comment saying why (--comment ...).")
    identity, signing_key = signing_identity(workspace, key, may_load_key)
    acting = workspace.with_identity(identity)
    try:
        with acting.transaction() as tx:
            version = get_version_in(tx.conn, ref)
            state = roster_state(tx.conn, workspace.project)
            policy = governing_policy(tx.conn, workspace.project, version.name, state=state)
            problem = approver_problem(tx.conn, version, policy, identity, decision)
            if problem:
                raise (Conflict if "already decided" in problem else PermissionDenied)(problem)
            signed = None
            if signing_key is not None:
                statement = Statement(
                    kind=f"model.{decision}",
                    subject=f"model:{version.ref}",
                    claims={
                        "decision": decision,
                        "digests": version.digests,
                        "policy": policy.sha256,
                        "roster": state.roster.sha256,
                        "comment": comment,
                    },
                    signer=identity.name,
                    time=isoformat(utcnow()),
                )
                signed = signing_key.sign(statement).to_dict()
            tx.conn.execute(
                decisions.insert().values(
                    name=version.name,
                    version=version.version,
                    actor=identity.name,
                    roles=list(identity.roles),
                    decision=decision,
                    comment=comment,
                    policy_hash=policy.sha256,
                    digests=version.digests,
                    time=utcnow(),
                    statement=signed,
                )
            )
            payload: dict[str, Any] = {
                "roles": list(identity.roles),
                "comment": comment,
                "policy_hash": policy.sha256,
                "digests": version.digests,
            }
            if signed is not None:
                payload["statement"] = signed
            tx.record(f"model.{decision}", f"model:{version.ref}", payload)
    except sa.exc.IntegrityError as exc:
        raise Conflict(f"{identity.name} has already decided on {ref}.") from exc
    return Decision(version.ref, identity.name, decision, comment, policy.sha256)


def approve(workspace: Workspace, ref: str | ModelRef, comment: str = "", *, key: SigningKey | None = None) -> Decision:
    return decide(workspace, ref, "approve", comment, key=key)


def reject(workspace: Workspace, ref: str | ModelRef, comment: str, *, key: SigningKey | None = None) -> Decision:
    return decide(workspace, ref, "reject", comment, key=key)
