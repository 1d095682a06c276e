"""A canary's guards: the evidence each replica gathers and the first limit it breaches.

The policy's ``rollout.guards`` set limits on the canary arm, checked by every replica
every ``guard_s`` once the canary made ``min_decisions`` decisions (default 100):

* ``review_rate``: the share of the canary's decisions sent to review (the store);
* ``override_rate``: the share of its decided review items reviewers overrode (the store);
* ``error_rate``: the share of rows the canary failed to decide, among those it tried
  (this replica's count: a failed request leaves nothing in the store by design);
* ``drift_share``: the share of features whose recent canary inputs (this replica's last
  2,000 rows) drifted from the canary version's training reference, by the batch job's
  own drift check (:meth:`~workbench.scoring.batch.BatchScorer.check_drift`), once 200
  rows are in;
* ``auc_drop``: the champion's realized AUC minus the canary's, on the online decisions
  of each arm that have outcomes (:func:`workbench.postmarket.decisions.current_outcomes`),
  once each arm has :data:`MIN_OUTCOMES` rows with outcomes of both classes.

A breach comes with its evidence, which :mod:`.watch` records in the ``rollout.rollback``
event. Nothing here writes.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.serving.rollout import RolloutSpec
from workbench.store.schema import jobs, online_decisions, review_items

__all__ = ["GUARDS", "MIN_OUTCOMES", "ArmHealth", "GuardBreach", "check_guards", "realized_auc", "store_evidence"]

#: In the order they are checked; the first breached is the one recorded.
GUARDS = ("error_rate", "review_rate", "override_rate", "drift_share", "auc_drop")
MIN_OUTCOMES = 50
SAMPLE_ROWS = 2_000
MIN_DRIFT_ROWS = 200


@dataclass
class ArmHealth:
    """One replica's view of an arm: rows tried and failed, and a window of its recent inputs."""

    tried: int = 0
    failed: int = 0
    sampled: int = 0
    window: deque[Any] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, rows: int, *, ok: bool, table: Any = None) -> None:
        with self.lock:
            self.tried += rows
            if not ok:
                self.failed += rows
                return
            if table is not None:
                self.window.append(table)
                self.sampled += table.num_rows
                while self.window and self.sampled - self.window[0].num_rows >= SAMPLE_ROWS:
                    self.sampled -= self.window.popleft().num_rows

    def sample(self) -> pl.DataFrame | None:
        import pyarrow as pa

        with self.lock:
            tables = list(self.window)
        if not tables:
            return None
        frame = pl.from_arrow(pa.concat_tables(tables, promote_options="default"))
        assert isinstance(frame, pl.DataFrame)
        return frame.tail(SAMPLE_ROWS)


@dataclass(frozen=True)
class GuardBreach:
    guard: str
    observed: float
    limit: float
    evidence: dict[str, Any]


def store_evidence(
    conn: Any, name: str, version: int, review_label: str, *, since: datetime | None = None
) -> dict[str, Any]:
    """The canary ``version``'s decisions, decision mix and review rate, and its decided review items' override
    rate; with ``since`` (the canary's placement), only this rollout's: an earlier canary of the same version,
    rolled back, is not judged again."""
    decisions = sa.select(online_decisions.c.decision, sa.func.count()).where(
        online_decisions.c.name == name,
        online_decisions.c.version == version,
        online_decisions.c.arm == "canary",
    )
    reviews = (
        sa.select(sa.func.count(), sa.func.sum(sa.case((review_items.c.override.is_(True), 1), else_=0)))
        .select_from(review_items.join(jobs, jobs.c.id == review_items.c.job_id))
        .where(jobs.c.kind == "serve", jobs.c.name == name, jobs.c.version == version)
        .where(review_items.c.status == "decided")
    )
    if since is not None:
        decisions = decisions.where(online_decisions.c.created_at >= since)
        reviews = reviews.where(review_items.c.created_at >= since)
    counts = dict(conn.execute(decisions.group_by(online_decisions.c.decision)).all())
    decided = conn.execute(reviews).one()
    total = int(sum(counts.values()))
    return {
        "decisions": total,
        "decision_mix": {str(k): int(v) for k, v in counts.items()},
        "review_rate": (counts.get(review_label, 0) / total) if total else 0.0,
        "reviews_decided": int(decided[0] or 0),
        "override_rate": (int(decided[1] or 0) / int(decided[0])) if decided[0] else 0.0,
    }


def realized_auc(
    workspace: Workspace, name: str, arms: dict[str, int], *, since: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per arm (``{arm: version}``): online decisions (made since ``since``) with outcomes, and their realized AUC."""
    from workbench.postmarket.decisions import current_outcomes
    from workbench.postmarket.metrics import auc
    from workbench.serving.online_log import online_frame

    outcomes = current_outcomes(workspace, name).select("row_key", "label")
    with workspace.read() as conn:
        frame, _, _ = online_frame(conn, name, since=since)
    joined = frame.join(outcomes, on="row_key", how="inner")
    out = {}
    for arm, version in arms.items():
        rows = joined.filter((pl.col("arm") == arm) & (pl.col("version") == version))
        value = auc(rows["score"].to_numpy(), rows["label"].to_numpy()) if rows.height else None
        out[arm] = {"version": version, "with_outcomes": rows.height, "auc": value}
    return out


def check_guards(
    workspace: Workspace,
    name: str,
    canary: Any,
    spec: RolloutSpec,
    *,
    champion_version: int,
) -> GuardBreach | None:
    """The first guard ``canary`` (a served :class:`~workbench.serving.served.Arm`) breaches, with the
    evidence, or None (also below ``min_decisions``). Only this rollout's decisions count: those since the
    canary alias was placed on the version (:func:`~workbench.serving.report.rollout_window`)."""
    from workbench.serving.report import rollout_window
    from workbench.serving.rollout import rollout_state

    review_label = canary.scorer.routing.label("review")
    with workspace.read() as conn:
        since = rollout_window(conn, workspace, name, rollout_state(conn, name)).since
        evidence = store_evidence(conn, name, canary.version, review_label, since=since)
    evidence["since"] = None if since is None else since.isoformat()
    if evidence["decisions"] < spec.guards.get("min_decisions", 100):
        return None
    health: ArmHealth = canary.health
    evidence["replica"] = {"rows_tried": health.tried, "rows_failed": health.failed}
    evidence["error_rate"] = health.failed / health.tried if health.tried else 0.0
    if "drift_share" in spec.guards:
        sample = health.sample()
        if sample is not None and sample.height >= MIN_DRIFT_ROWS:
            from workbench.scoring.values import DriftCheck

            check = canary.scorer.check_drift(DriftCheck(0, sample.height, sample))
            evidence["drift"] = check
            if "drift_share" in check:
                evidence["drift_share"] = check["drift_share"]
    if "auc_drop" in spec.guards:
        realized = realized_auc(workspace, name, {"champion": champion_version, "canary": canary.version}, since=since)
        evidence["realized"] = realized
        champion, challenger = realized["champion"], realized["canary"]
        enough = min(champion["with_outcomes"], challenger["with_outcomes"]) >= MIN_OUTCOMES
        if enough and champion["auc"] is not None and challenger["auc"] is not None:
            evidence["auc_drop"] = champion["auc"] - challenger["auc"]
    for guard in GUARDS:
        limit = spec.guards.get(guard)
        if limit is not None and guard in evidence and evidence[guard] > limit:
            return GuardBreach(guard, float(evidence[guard]), float(limit), evidence)
    return None
