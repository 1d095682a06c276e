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
  once each arm has :data:`MIN_OUTCOMES` rows with outcomes of both classes; the AUC is
  computed in the database (:func:`arm_auc`), so no decision is read into memory.

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

__all__ = [
    "GUARDS",
    "MIN_OUTCOMES",
    "ArmHealth",
    "GuardBreach",
    "arm_auc",
    "check_guards",
    "realized_auc",
    "store_evidence",
]

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


_LABELS = "wb_outcome_labels"
_CHUNK = 20_000


def _load_labels(conn: Any, outcomes: pl.DataFrame) -> sa.Table:
    """The outcomes' ``row_key`` and ``label`` in a temporary table of this connection (keyed on ``row_key``),
    written ``_CHUNK`` rows at a time. A temporary table belongs to the connection alone and takes no lock on
    the store's tables (on SQLite it lives in the connection's temp database), so a read transaction may hold it."""
    table = sa.Table(
        _LABELS,
        sa.MetaData(),
        sa.Column("row_key", sa.Text, primary_key=True),
        sa.Column("label", sa.SmallInteger, nullable=False),
        prefixes=["TEMPORARY"],
    )
    table.drop(conn, checkfirst=True)
    table.create(conn)
    for start in range(0, outcomes.height, _CHUNK):
        chunk = outcomes.slice(start, _CHUNK)
        if conn.dialect.name == "postgresql":
            # One statement per chunk: the two columns travel as arrays.
            conn.execute(
                sa.text(
                    "INSERT INTO wb_outcome_labels (row_key, label) "
                    "SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:labels AS smallint[]))"
                ),
                {"keys": chunk["row_key"].to_list(), "labels": chunk["label"].to_list()},
            )
        else:
            conn.execute(table.insert(), chunk.select("row_key", "label").to_dicts())
    return table


def arm_auc(
    conn: Any, name: str, arms: dict[str, int], outcomes: pl.DataFrame, *, since: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per arm (``{arm: version}``): its online decisions (made since ``since``) that have an outcome in
    ``outcomes`` (``row_key``, ``label`` 0/1, one row per key), and their realized AUC, computed in the
    database.

    The AUC is the Mann-Whitney statistic with ties counted half: the decisions joined to their labels are
    grouped by arm and score, each score group's positives are credited with the negatives scored below
    it (a running sum over the scores in order) plus half the negatives of its own score, and the sum is
    divided by positives x negatives (None with one class only). Only the outcomes' two columns go to
    the database (a temporary table, dropped afterwards) and one row per arm comes back: no decision is
    read into memory. ``conn`` may be a read transaction (:meth:`Workspace.read`)."""
    out: dict[str, dict[str, Any]] = {
        arm: {"version": version, "with_outcomes": 0, "auc": None} for arm, version in arms.items()
    }
    if not arms or outcomes.height == 0:
        return out
    labels = _load_labels(conn, outcomes.select("row_key", pl.col("label").cast(pl.Int16)))
    d = online_decisions.c
    positive = sa.case((labels.c.label == 1, 1), else_=0)
    joined = (
        sa.select(d.arm, d.score, positive.label("pos"), (1 - positive).label("neg"))
        .select_from(online_decisions.join(labels, labels.c.row_key == d.row_key))
        .where(d.name == name, sa.or_(*(sa.and_(d.arm == arm, d.version == v) for arm, v in arms.items())))
    )
    if since is not None:
        joined = joined.where(d.created_at >= since)
    j = joined.subquery("j")
    by_score = (
        sa.select(j.c.arm, j.c.score, sa.func.sum(j.c.pos).label("pos"), sa.func.sum(j.c.neg).label("neg"))
        .group_by(j.c.arm, j.c.score)
        .subquery("g")
    )
    # The negatives of the arm scored strictly below this score: the running sum up to it, less its own.
    below = (
        sa.func.sum(by_score.c.neg).over(partition_by=by_score.c.arm, order_by=by_score.c.score, rows=(None, 0))
        - by_score.c.neg
    )
    ranked = sa.select(by_score.c.arm, by_score.c.pos, by_score.c.neg, below.label("below")).subquery("r")
    # Twice the Mann-Whitney U, in integers: 2 x (wins + ties / 2).
    twice_u = sa.func.sum(2 * ranked.c.pos * ranked.c.below + ranked.c.pos * ranked.c.neg)
    query = sa.select(ranked.c.arm, sa.func.sum(ranked.c.pos), sa.func.sum(ranked.c.neg), twice_u).group_by(
        ranked.c.arm
    )
    for arm, pos, neg, twice in conn.execute(query).all():
        positives, negatives = int(pos or 0), int(neg or 0)
        out[arm]["with_outcomes"] = positives + negatives
        if positives and negatives:
            out[arm]["auc"] = float(twice) / (2.0 * positives * negatives)
    # Gone with the connection's transaction anyway when anything above failed (DDL is transactional on both).
    labels.drop(conn)
    return out


def realized_auc(
    workspace: Workspace, name: str, arms: dict[str, int], *, since: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per arm (``{arm: version}``): online decisions (made since ``since``) with outcomes, and their realized
    AUC (:func:`arm_auc`, in the database)."""
    from workbench.postmarket.decisions import current_outcomes

    outcomes = current_outcomes(workspace, name).select("row_key", "label")
    with workspace.read() as conn:
        return arm_auc(conn, name, arms, outcomes, since=since)


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
