"""Controlled rollout: the policy's ``rollout:`` section, canary assignment, guards, and its end.

A rollout is shadow (the challenger scores every row and decides nothing) or canary (the
version the gate placed on the protected ``canary`` alias decides for a fixed share of
keys). Which key goes where is :func:`canary_mask`: the first 8 bytes of
``sha256(salt|model|key)`` as a fraction of 2**64, below ``share`` for the canary, so one
applicant always meets one version and every replica agrees without sharing state.

A rollout ends by an audited event on the subject ``rollout:<model>``: ``rollout.stop``
and ``rollout.promote`` by hand (``workbench rollout stop|promote``), ``rollout.rollback``
when a guard is breached (:mod:`.guards`, checked by the service). The service reads the
events (:func:`rollout_state`): a challenger whose version an event ended is not served,
so every replica drops it at its next reload, and nothing but the chain says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from workbench.core.errors import Conflict, PermissionDenied
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events
from workbench.store.schema import check_results

__all__ = [
    "RolloutSpec",
    "RolloutState",
    "canary_mask",
    "end_rollout",
    "require_checks",
    "rollout_state",
]

_ENDS = ("rollout.stop", "rollout.promote", "rollout.rollback")


@dataclass(frozen=True)
class RolloutSpec:
    """A policy's ``rollout:`` section as validated by :mod:`workbench.governance.policy`."""

    mode: str
    share: float = 0.05
    challenger: str | None = None
    guards: dict[str, float] = field(default_factory=dict)
    salt: str = ""

    @classmethod
    def from_policy(cls, section: dict[str, Any] | None) -> RolloutSpec | None:
        if not section:
            return None
        return cls(
            mode=str(section["mode"]),
            share=float(section.get("share", 0.05)),
            challenger=section.get("challenger"),
            guards=dict(section.get("guards") or {}),
            salt=str(section.get("salt") or ""),
        )


@dataclass(frozen=True)
class RolloutState:
    """What the chain says about a model's rollouts: the newest event's seq and the versions ended."""

    seq: int = 0
    ended_versions: frozenset[int] = frozenset()
    events: tuple[dict[str, Any], ...] = ()

    def ended(self, version: int) -> bool:
        return version in self.ended_versions


def rollout_state(conn: Any, name: str) -> RolloutState:
    events = list_events(conn, subject=f"rollout:{name}")
    ended = {int(e.payload["version"]) for e in events if e.action in _ENDS and "version" in e.payload}
    shown = tuple({"seq": e.seq, "action": e.action, "time": e.time.isoformat(), **e.payload} for e in events)
    return RolloutState(events[-1].seq if events else 0, frozenset(ended), shown)


def canary_mask(keys: list[str], share: float, *, model: str, salt: str = "") -> np.ndarray:
    """True where a key's hash falls in the canary's share (stable for a key, model and salt)."""
    prefix = f"{salt}|{model}|".encode()
    bound = int(share * 2**64)
    return np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + k.encode()).digest()[:8], "big") < bound for k in keys),
        dtype=bool,
        count=len(keys),
    )


def require_checks(workspace: Workspace, version: Any, policy: Any) -> None:
    """A shadow needs the challenger's checks passed under the governing policy (no approvals)."""
    with workspace.read() as conn:
        rows = conn.execute(
            sa.select(check_results.c.status, check_results.c.required, check_results.c.evaluated_at)
            .where(
                check_results.c.name == version.name,
                check_results.c.version == version.version,
                check_results.c.policy_hash == policy.sha256,
            )
            .order_by(check_results.c.id.desc())
        ).all()
    newest = rows[0].evaluated_at if rows else None
    failed = [r for r in rows if r.evaluated_at == newest and r.required and r.status != "pass"]
    if not rows or failed:
        raise PermissionDenied(
            f"{version.ref} cannot shadow: its checks under the governing policy have "
            f"{'not run' if not rows else 'failed'}. Run `workbench check {version.ref}` first."
        )


def end_rollout(workspace: Workspace, name: str, version: int, action: str, payload: dict[str, Any]) -> bool:
    """Record ``action`` (stop, promote, rollback) ending ``name``'s rollout of ``version``; False when
    another replica or person ended it first (the event is recorded once)."""
    if action not in _ENDS:
        raise Conflict(f"Unknown rollout action {action!r}.")
    with workspace.transaction() as tx:
        if rollout_state(tx.conn, name).ended(version):
            return False
        tx.record(action, f"rollout:{name}", {"model": name, "version": version, **payload})
    return True
