"""A model's rollout as the JupyterLab panel shows it: the policy's rollout, the arms compared, the guards.

:func:`rollout_status` answers ``GET /workbench/api/models/{name}/rollout``. It joins what
``workbench rollout report`` prints (:func:`~workbench.serving.report.rollout_report`, the same
numbers) with what the report leaves to the policy and the chain:

* the rollout the governing policy declares (mode, configured share), the champion (the
  version on ``production``) and the challenger (the version on ``canary``, or a shadow's
  ``challenger``), and whether an event ended it;
* each canary guard's limit and, where the store can tell, the value the service would judge
  now (``review_rate``, ``override_rate``, ``auc_drop``); ``error_rate`` and ``drift_share``
  are judged by each serving replica on its own traffic, so only their limits are shown;
* per deciding arm, the share of its decided review items that reviewers overrode (the report
  counts reviews; overrides come from the review queue);
* the automatic rollbacks (guard, observed value, limit and evidence), newest last.

A model whose policy has no ``rollout:`` section answers ``rollout: None``, with the report only
when an earlier rollout left decisions or events. Reading records nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.serving.guards import GUARDS, MIN_OUTCOMES, realized_auc, store_evidence
from workbench.serving.rollout import RolloutSpec, rollout_state
from workbench.store.schema import aliases, jobs, review_items

__all__ = ["GUARD_SOURCES", "rollout_status"]

#: Where each guard's observed value comes from, as the panel explains it.
GUARD_SOURCES = {
    "error_rate": "replica",
    "review_rate": "store",
    "override_rate": "store",
    "drift_share": "replica",
    "auc_drop": "outcomes",
}
_DEFAULT_MIN_DECISIONS = 100
_ENDS = ("rollout.stop", "rollout.promote", "rollout.rollback")


def _alias_version(conn: Any, name: str, alias: str) -> int | None:
    version = conn.execute(
        sa.select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == alias)
    ).scalar()
    return None if version is None else int(version)


def _challenger(conn: Any, name: str, spec: RolloutSpec) -> int | None:
    from workbench.core.errors import NotFound
    from workbench.registry.versions import get_version_in

    if spec.mode == "canary":
        return _alias_version(conn, name, "canary")
    try:
        return get_version_in(conn, str(spec.challenger)).version
    except NotFound:
        return None


def _overrides(conn: Any, name: str, arms: dict[str, int | None]) -> dict[str, dict[str, Any]]:
    """Per deciding arm: its version's decided review items from the service and the share overridden."""
    out: dict[str, dict[str, Any]] = {}
    for arm, version in arms.items():
        if version is None:
            continue
        decided, overridden = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(sa.case((review_items.c.override.is_(True), 1), else_=0)))
            .select_from(review_items.join(jobs, jobs.c.id == review_items.c.job_id))
            .where(jobs.c.kind == "serve", jobs.c.name == name, jobs.c.version == version)
            .where(review_items.c.status == "decided")
        ).one()
        decided = int(decided or 0)
        out[arm] = {"reviews_decided": decided, "override_rate": int(overridden or 0) / decided if decided else None}
    return out


def _guard_states(
    workspace: Workspace,
    name: str,
    spec: RolloutSpec,
    champion: int | None,
    challenger: int | None,
    review: str,
    since: datetime | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Each configured guard with its limit, the store's observed value and a status; and the evidence. Like the
    service's guards, only this rollout's decisions count (those since the canary alias was placed: ``since``)."""
    limits = {g: spec.guards[g] for g in GUARDS if spec.guards.get(g) is not None}
    if spec.mode != "canary" or not limits:
        return [], None
    minimum = int(spec.guards.get("min_decisions") or _DEFAULT_MIN_DECISIONS)
    evidence: dict[str, Any] | None = None
    observed: dict[str, float | None] = {}
    if challenger is not None:
        with workspace.read() as conn:
            evidence = store_evidence(conn, name, challenger, review, since=since)
        observed = {"review_rate": evidence["review_rate"], "override_rate": evidence["override_rate"]}
        if "auc_drop" in limits and champion is not None:
            realized = realized_auc(workspace, name, {"champion": champion, "canary": challenger}, since=since)
            evidence["realized"] = realized
            a, b = realized["champion"], realized["canary"]
            enough = min(a["with_outcomes"], b["with_outcomes"]) >= MIN_OUTCOMES
            observed["auc_drop"] = a["auc"] - b["auc"] if enough and None not in (a["auc"], b["auc"]) else None
        evidence["min_decisions"] = minimum
        evidence["since"] = None if since is None else since.isoformat()
    judged = evidence is not None and evidence["decisions"] >= minimum
    states = []
    for guard, limit in limits.items():
        value = observed.get(guard)
        if GUARD_SOURCES[guard] == "replica":
            status = "replica"
        elif not judged:
            status = "waiting"
        elif value is None:
            status = "no_data"
        else:
            status = "breached" if value > limit else "ok"
        states.append(
            {"guard": guard, "limit": float(limit), "observed": value, "status": status, "source": GUARD_SOURCES[guard]}
        )
    return states, evidence


def rollout_status(workspace: Workspace, name: str) -> dict[str, Any]:
    """``name``'s rollout for the panel (see the module docstring); :class:`NotFound` for an unknown model."""
    from workbench.governance.adoption import governing_policy
    from workbench.postmarket.decisions import require_model
    from workbench.scoring.routing import parse_routing
    from workbench.serving.report import rollout_report, rollout_window

    with workspace.read() as conn:
        require_model(conn, name)
        policy = governing_policy(conn, workspace.project, name)
        spec = RolloutSpec.from_policy(policy.rollout)
        state = rollout_state(conn, name)
        since = rollout_window(conn, workspace, name, state).since
        champion = _alias_version(conn, name, "production")
        challenger = None if spec is None else _challenger(conn, name, spec)
        # A shadow decides nothing, so only a canary's challenger has reviews of its own to override.
        deciding = {"champion": champion, **({"canary": challenger} if spec and spec.mode == "canary" else {})}
        overrides = _overrides(conn, name, deciding) if spec is not None else {}
    rollbacks = [e for e in state.events if e["action"] == "rollout.rollback"]
    rollout: dict[str, Any] | None = None
    if spec is not None:
        ended = next(
            (e for e in reversed(state.events) if e["action"] in _ENDS and e.get("version") == challenger), None
        )
        review = parse_routing(policy.routing).label("review")
        guards, evidence = _guard_states(workspace, name, spec, champion, challenger, review, since)
        rollout = {
            "mode": spec.mode,
            "share": spec.share if spec.mode == "canary" else None,
            "champion_version": champion,
            "challenger_version": challenger,
            "active": challenger is not None and ended is None,
            "ended_by": ended,
            "overrides": overrides,
            "guards": guards,
            "guard_evidence": evidence,
        }
    report = rollout_report(workspace, name) if rollout is not None or state.events else None
    return {
        "model": name,
        "policy": policy.sha256,
        "rollout": rollout,
        "report": report,
        "rollbacks": rollbacks,
        "commands": {"promote": f"workbench rollout promote {name}", "stop": f"workbench rollout stop {name}"},
    }
