"""The auc_drop guard's realized AUC, computed in the database, against scikit-learn's on seeded data with ties,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from workbench.serving.guards import arm_auc
from workbench.store.engine import open_store
from workbench.store.schema import online_decisions

SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def _decisions(rng: np.random.Generator, arm: str, version: int, keys: np.ndarray, at: datetime) -> list[dict]:
    # Scores on a coarse grid (two decimals, a tenth of them exactly 0.5): many ties, within and across labels.
    scores = np.round(rng.uniform(0, 1, keys.size), 2)
    scores[rng.uniform(0, 1, keys.size) < 0.1] = 0.5
    return [
        {
            "id": f"{arm}{version}-{at:%d}-{i}",
            "request_id": "r",
            "row": i,
            "name": "admissions",
            "version": version,
            "arm": arm,
            "served_by": "replica",
            "row_key": str(key),
            "score": float(score),
            "decision": "accept",
            "route": "auto",
            "created_at": at + timedelta(seconds=i),
        }
        for i, (key, score) in enumerate(zip(keys, scores, strict=True))
    ]


def test_sql_auc_matches_scikit_learn_with_ties(db_url: str) -> None:
    rng = np.random.default_rng(18)
    keys = np.arange(3_000)
    champion = _decisions(rng, "champion", 1, keys[:1_800], SINCE)
    # The canary decides some keys twice (each decision counts), and some before this rollout (left out).
    canary = _decisions(rng, "canary", 2, np.concatenate([keys[1_800:], keys[1_800:2_000]]), SINCE)
    earlier = _decisions(rng, "canary", 2, keys[1_800:2_400], SINCE - timedelta(days=2))
    other = _decisions(rng, "champion", 3, keys[:500], SINCE)  # another version on the arm: not this rollout's
    rows = champion + canary + earlier + other
    # Outcomes for about two thirds of the keys, positives more likely at higher scores (an AUC well above 0.5).
    score_of = {r["row_key"]: r["score"] for r in champion + canary}
    known = rng.uniform(0, 1, keys.size) < 0.66
    outcomes = pl.DataFrame(
        {
            "row_key": [str(k) for k in keys[known]],
            "label": [int(rng.uniform() < 0.2 + 0.6 * score_of[str(k)]) for k in keys[known]],
        },
        schema={"row_key": pl.String, "label": pl.Int8},
    )
    store = open_store(db_url)
    with store.begin() as conn:
        conn.execute(online_decisions.insert(), rows)
    with store.read() as conn:
        found = arm_auc(conn, "admissions", {"champion": 1, "canary": 2}, outcomes, since=SINCE)
        everything = arm_auc(conn, "admissions", {"canary": 2}, outcomes)
        # The temporary table went with the call: a second one in the same transaction starts afresh.
        assert arm_auc(conn, "admissions", {"canary": 2}, outcomes) == everything

    labels = dict(zip(outcomes["row_key"], outcomes["label"], strict=True))
    for arm, arm_rows in (("champion", champion), ("canary", canary), ("all canary", canary + earlier)):
        judged = [(r["score"], labels[r["row_key"]]) for r in arm_rows if r["row_key"] in labels]
        scores, truth = np.array([s for s, _ in judged]), np.array([y for _, y in judged])
        assert len(set(scores)) < len(scores) / 5  # ties indeed
        got = everything["canary"] if arm == "all canary" else found[arm]
        assert got["with_outcomes"] == len(judged)
        assert got["auc"] == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
    assert found["champion"]["version"] == 1 and found["canary"]["version"] == 2


def test_sql_auc_without_two_classes_or_outcomes_is_none(db_url: str) -> None:
    rng = np.random.default_rng(3)
    store = open_store(db_url)
    with store.begin() as conn:
        conn.execute(online_decisions.insert(), _decisions(rng, "canary", 2, np.arange(40), SINCE))
    one_class = pl.DataFrame(
        {"row_key": [str(k) for k in range(40)], "label": [1] * 40}, schema_overrides={"label": pl.Int8}
    )
    with store.read() as conn:
        assert arm_auc(conn, "admissions", {"canary": 2}, one_class) == {
            "canary": {"version": 2, "with_outcomes": 40, "auc": None}
        }
        none = arm_auc(conn, "admissions", {"champion": 1}, one_class.head(0))
        assert none == {"champion": {"version": 1, "with_outcomes": 0, "auc": None}}
