"""Ending a rollout by hand: ``workbench rollout promote`` (through the gate) and ``stop``."""

from __future__ import annotations

import sqlalchemy as sa

from workbench.core.errors import Conflict, NotFound
from workbench.governance.adoption import governing_policy
from workbench.governance.gate import promote
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.registry.aliases import AliasMove
from workbench.registry.versions import get_version_in
from workbench.serving.rollout import RolloutSpec, end_rollout, rollout_state
from workbench.store.schema import aliases

__all__ = ["current_challenger", "promote_canary", "stop_rollout"]


def current_challenger(workspace: Workspace, name: str) -> tuple[RolloutSpec, int]:
    """The running rollout's spec and challenger version, or :class:`NotFound`."""
    with workspace.read() as conn:
        spec = RolloutSpec.from_policy(governing_policy(conn, workspace.project, name).rollout)
        if spec is None:
            raise NotFound(f"The policy governing {name} has no rollout section; nothing is rolling out.")
        if spec.mode == "canary":
            version = conn.execute(
                sa.select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == "canary")
            ).scalar()
            if version is None:
                raise NotFound(f"{name} has no version on canary; promote one through the gate first.")
        else:
            version = get_version_in(conn, str(spec.challenger)).version
        if rollout_state(conn, name).ended(int(version)):
            raise Conflict(f"The rollout of {name}:{version} has already ended.")
    return spec, int(version)


def stop_rollout(workspace: Workspace, name: str, *, reason: str = "") -> int:
    """End the rollout: every replica drops the challenger at its next reload. Returns its version."""
    acting = workspace.with_identity(authorize(workspace, "score-production").identity)
    spec, version = current_challenger(acting, name)
    end_rollout(acting, name, version, "rollout.stop", {"mode": spec.mode, "reason": reason or "stopped by hand"})
    return version


def promote_canary(workspace: Workspace, name: str) -> AliasMove:
    """Promote the canary's version to production through the gate, then end the rollout."""
    spec, version = current_challenger(workspace, name)
    if spec.mode != "canary":
        raise Conflict(f"{name}'s rollout is a shadow; promote its challenger with `workbench models promote`.")
    move = promote(
        workspace, f"{name}:{version}", "production", reason="rollout promote: the canary becomes production"
    )
    end_rollout(workspace, name, version, "rollout.promote", {"mode": "canary"})
    return move
