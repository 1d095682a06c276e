"""Whether a version may score: approved versions always, others with a warning or not at all.

A version is *approved for scoring* when it is at an alias its policy protects
(``production``: only the gate moves it), or when the promotion gate for the policy's
first protected alias would let it through now. Scoring anything else prints a
warning, and is refused when the project sets ``require_approved_for_scoring = true``.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import NotFound, PermissionDenied
from workbench.governance.adoption import governing_policy
from workbench.governance.gate import gate_status
from workbench.governance.policy import Policy
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion

__all__ = ["Approval", "check_scoring_approval", "scoring_approval"]


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str
    policy: Policy | None = None


def scoring_approval(workspace: Workspace, version: ModelVersion) -> Approval:
    """Whether ``version`` is approved for scoring, and why (or why not)."""
    try:
        with workspace.read() as conn:
            policy = governing_policy(conn, workspace.project, version.name)
    except NotFound:
        return Approval(False, f"no policy governs model {version.name!r}, so nothing has approved {version.ref}")
    protected = [alias for alias in version.aliases if alias in policy.protects]
    if protected:
        return Approval(True, f"{version.ref} is at the protected alias {protected[0]!r}", policy)
    alias = policy.protects[0]
    status = gate_status(workspace, version.ref, alias)
    if status.allowed:
        return Approval(True, f"{version.ref} passes the promotion gate for {alias!r}", policy)
    unmet = "; ".join(status.unmet)
    return Approval(
        False, f"{version.ref} is not at a protected alias and the gate for {alias!r} is not met ({unmet})", policy
    )


def check_scoring_approval(workspace: Workspace, version: ModelVersion) -> Approval:
    """:func:`scoring_approval`, raising :class:`PermissionDenied` when the project requires approval."""
    approval = scoring_approval(workspace, version)
    if not approval.approved and workspace.project.config.require_approved_for_scoring:
        raise PermissionDenied(
            f"Scoring {version.ref} is refused: {approval.reason}, and this project sets "
            "require_approved_for_scoring = true. Score the production alias "
            f"(`workbench score {version.name}@production ...`), or get this version approved and promoted "
            f"(`workbench gate {version.ref}` shows what is missing).",
            details={"ref": version.ref, "reason": approval.reason},
        )
    return approval
