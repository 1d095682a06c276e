"""A served version with a feature set: rows with only the key get their features from the online store."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from tests.serving.conftest import Server, place, start_server, stop_server
from tests.support.governed import ANALYST, configure, open_as, write_policy
from workbench.features.materialize import materialize
from workbench.features.service import training_set
from workbench.jobs.score import score
from workbench.registry.register import RegisterOptions, register
from workbench.serving.tokens import create_token

T0 = datetime(2026, 1, 1)
FEATURES = """
from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

applicants = FeatureSet(
    name="applicants",
    entity="applicant",
    event_time="recorded_at",
    sources=[Source("tests", "data/tests.parquet", features={"best_score": pl.col("score").cum_max(),
                    "attempts": pl.col("score").cum_count()}, ttl=timedelta(days=400))],
)
"""
POLICY = """\
policy: adm
models: [adm]
protects: [production]
checks:
  metrics: ["auc >= 0.0"]
approvals:
  required: 1
  roles: [approver]
routing:
  thresholds: {accept: 0.7, decline: 0.3}
"""


def _registered(root: Path, n: int = 300) -> None:
    import xgboost as xgb

    rng = np.random.default_rng(3)
    (root / "data").mkdir()
    ids = np.repeat(np.arange(n), 2)
    times = [T0 + timedelta(days=int(d), seconds=i) for i, d in enumerate(rng.integers(0, 100, 2 * n))]
    tests = pl.DataFrame({"applicant": ids, "recorded_at": times, "score": rng.normal(500, 80, 2 * n).round(0)})
    tests.write_parquet(root / "data" / "tests.parquet")
    (root / "features").mkdir()
    (root / "features" / "applicants.py").write_text(textwrap.dedent(FEATURES))
    entities = pl.DataFrame({"applicant": np.arange(n), "decision_time": [T0 + timedelta(days=150)] * n,
                             "admitted": (rng.uniform(size=n) > 0.5).astype(np.int8)})  # fmt: skip
    configure(root)
    write_policy(root, POLICY)
    analyst = open_as(root, ANALYST)
    frame = training_set(analyst.project, "applicants", entities)
    assert isinstance(frame, pl.DataFrame)
    features = ["best_score", "attempts"]
    model = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(frame.select(features).to_pandas(), frame["admitted"])
    register(analyst, model, name="adm", train=frame.head(200), valid=frame.tail(100), target="admitted",
             keys=["applicant"], features=features, feature_set="applicants",
             options=RegisterOptions(explain_rows=50, evidently_report=False))  # fmt: skip
    place(root, "adm:1", "production")
    materialize(analyst, "applicants", until=datetime(2026, 12, 1, tzinfo=UTC))


def test_keys_only_are_decided_with_features_from_the_online_store(project_dir: Path) -> None:
    _registered(project_dir)
    analyst = open_as(project_dir, ANALYST)
    _, secret = create_token(analyst, "portal", ["adm"])
    pl.DataFrame({"applicant": [3, 7, 11]}).write_parquet(project_dir / "data" / "keys.parquet")
    score(analyst, "adm@production", "data/keys.parquet", "data/scored.parquet")
    batch = {str(r["applicant"]): r for r in pl.read_parquet(project_dir / "data" / "scored.parquet").to_dicts()}
    url, process = start_server(project_dir, model="adm")
    try:
        server = Server(url, process, secret, project_dir, model="adm")
        one = server.post({"applicant": 3})
        many = server.post([{"applicant": 7}, {"applicant": 11}])
        raw = server.post({"applicant": 5, "best_score": 610.0, "attempts": 2})  # raw rows still work
        unknown = server.post({"applicant": 10_000})
        partial = server.post({"applicant": 3, "best_score": 1.0})
    finally:
        stop_server(process)
    assert one.status_code == many.status_code == raw.status_code == 200, (one.text, many.text, raw.text)
    for answer in one.json()["decisions"] + many.json()["decisions"]:
        expected = batch[answer["key"]]  # the batch job's online path: the same features, the same decision
        assert abs(answer["score"] - expected["score"]) < 1e-6 and answer["decision"] == expected["decision"]
    assert unknown.status_code == 422 and "1 key(s)" in unknown.json()["message"] and "10000" not in unknown.text
    assert partial.status_code == 422 and "best_score" in partial.json()["message"]
