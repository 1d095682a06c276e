"""What a reviewer sees and may do for one version, in one call.

The notebook widget, the JupyterLab Models panel and the CLI's ``gate`` command
all show this same state, so a button is enabled in one face exactly when it is
in the others, with the same reason when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ConfigError, NotFound, PermissionDenied, WorkbenchError
from workbench.core.refs import ModelRef
from workbench.core.values import Identity
from workbench.governance.adoption import governing_policy
from workbench.governance.approvals import approver_problem, checks_current, signing_identity
from workbench.governance.gate import gate_status_in
from workbench.project.adopted import roster_state
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version_in

__all__ = ["ReviewState", "review_state"]


@dataclass(frozen=True)
class ReviewState:
    version: ModelVersion
    alias: str
    user: str
    policy: dict[str, Any] | None
    gate: dict[str, Any] | None
    can_approve: bool
    approve_reason: str
    can_reject: bool
    reject_reason: str
    can_promote: bool
    promote_reason: str
    #: how an act would be signed: "declared" (an open project: nothing is signed), "key" (this
    #: process holds the user's key), "kernel" (the server signs nothing: the panel asks a kernel)
    signing: str = "declared"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version.to_dict(),
            "alias": self.alias,
            "user": self.user,
            "signing": self.signing,
            "policy": self.policy,
            "gate": self.gate,
            "actions": {
                "approve": {"allowed": self.can_approve, "reason": self.approve_reason},
                "reject": {"allowed": self.can_reject, "reason": self.reject_reason},
                "promote": {"allowed": self.can_promote, "reason": self.promote_reason},
            },
        }


def _signer_problem(workspace: Workspace, may_load_key: bool) -> tuple[Identity, str | None]:
    """Who would act, and why they cannot sign (None when they can or need not: an open project)."""
    try:
        identity, _ = signing_identity(workspace, None, may_load_key)
    except (ConfigError, PermissionDenied) as exc:
        return workspace.identity, exc.message
    return identity, None


def review_state(
    workspace: Workspace, ref: str | ModelRef, alias: str = "production", *, may_load_key: bool = True
) -> ReviewState:
    """What the acting user may do with ``ref`` now, each refusal with its reason. In a project with
    a roster the acting user is the owner of their signing key; ``may_load_key`` False (the server,
    which signs nothing) gives the reason to act from a kernel or a terminal instead."""
    with workspace.read() as conn:
        keyed = roster_state(conn, workspace.project).mode != "open"
    signing = "declared" if not keyed else ("key" if may_load_key else "kernel")
    if signing == "kernel":
        # The server cannot know whose key a kernel holds: the acts are offered, the kernel's
        # signature decides who acts and whether they may (its refusal is shown as the error).
        signer, sign_problem = workspace.identity, None
    else:
        signer, sign_problem = _signer_problem(workspace, may_load_key)
    with workspace.read() as conn:
        version = get_version_in(conn, ref)
        try:
            policy = governing_policy(conn, workspace.project, version.name)
        except (NotFound, PermissionDenied) as exc:
            reason = exc.message
            return ReviewState(
                version, alias, workspace.actor, None, None, False, reason, False, reason, False, reason, signing
            )
        if signing == "kernel":
            problem = (
                None
                if checks_current(conn, version, policy)
                else (f"Checks have not been run for {version.ref} under the adopted policy; run them first.")
            )
            reject_problem = None
        else:
            problem = sign_problem or approver_problem(conn, version, policy, signer)
            reject_problem = sign_problem or approver_problem(conn, version, policy, signer, "reject")
        try:
            gate = gate_status_in(conn, workspace, version, alias, policy) if alias in policy.protects else None
        except WorkbenchError:
            gate = None
    if gate is None:
        promote_reason = f"{alias!r} is not protected by {policy.path.name}."
        can_promote = False
    else:
        can_promote = gate.allowed and sign_problem is None
        promote_reason = "; ".join(gate.unmet) if not gate.allowed else (sign_problem or "")
    return ReviewState(
        version=version,
        alias=alias,
        user=signer.name,
        policy={**policy.to_dict(), "path": workspace.project.relative(policy.path)},
        gate=gate.to_dict() if gate else None,
        can_approve=problem is None,
        approve_reason=problem or "",
        can_reject=reject_problem is None,
        reject_reason=reject_problem or "",
        can_promote=can_promote,
        promote_reason=promote_reason,
        signing=signing,
    )
