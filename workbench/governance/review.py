"""What a reviewer sees and may do for one version, in one call.

The notebook widget, the JupyterLab Models panel and the CLI's ``gate`` command
all show this same state, so a button is enabled in one face exactly when it is
in the others, with the same reason when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.errors import NotFound, WorkbenchError
from workbench.core.refs import ModelRef
from workbench.governance.approvals import approver_problem
from workbench.governance.gate import gate_status_in
from workbench.governance.policy import find_policy
from workbench.project.workspace import Workspace
from workbench.registry.models import ModelVersion
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version.to_dict(),
            "alias": self.alias,
            "user": self.user,
            "policy": self.policy,
            "gate": self.gate,
            "actions": {
                "approve": {"allowed": self.can_approve, "reason": self.approve_reason},
                "reject": {"allowed": self.can_reject, "reason": self.reject_reason},
                "promote": {"allowed": self.can_promote, "reason": self.promote_reason},
            },
        }


def review_state(workspace: Workspace, ref: str | ModelRef, alias: str = "production") -> ReviewState:
    with workspace.read() as conn:
        version = get_version_in(conn, ref)
        try:
            policy = find_policy(workspace.project, version.name)
        except NotFound as exc:
            reason = exc.message
            return ReviewState(version, alias, workspace.actor, None, None, False, reason, False, reason, False, reason)
        problem = approver_problem(conn, version, policy, workspace.identity)
        reject_problem = approver_problem(conn, version, policy, workspace.identity, "reject")
        try:
            gate = gate_status_in(conn, workspace, version, alias, policy) if alias in policy.protects else None
        except WorkbenchError:
            gate = None
    if gate is None:
        promote_reason = f"{alias!r} is not protected by {policy.path.name}."
        can_promote = False
    else:
        can_promote = gate.allowed
        promote_reason = "" if can_promote else "; ".join(gate.unmet)
    return ReviewState(
        version=version,
        alias=alias,
        user=workspace.actor,
        policy={**policy.to_dict(), "path": workspace.project.relative(policy.path)},
        gate=gate.to_dict() if gate else None,
        can_approve=problem is None,
        approve_reason=problem or "",
        can_reject=reject_problem is None,
        reject_reason=reject_problem or "",
        can_promote=can_promote,
        promote_reason=promote_reason,
    )
