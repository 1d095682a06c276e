"""Point-in-time training sets: against a brute-force reference, and the leakage trap."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.features.catalog import get_feature_set
from workbench.features.pit import point_in_time, read_timelines
from workbench.features.service import training_set
from workbench.project.workspace import Workspace

START = datetime(2026, 1, 1)
MODULE = """
from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

history = FeatureSet(
    name="history",
    entity="customer",
    event_time="time",
    sources=[
        Source(
            "payments",
            "data/payments.parquet",
            features={"last_amount": pl.col("amount"), "paid_so_far": pl.col("amount").cum_sum()},
            ttl=timedelta(days=10),
        ),
        Source("visits", "data/visits/", features={"visits": pl.col("page").cum_count()}),
    ],
)
"""


def _write_project(root: Path, seed: int = 7) -> None:
    """Seeded events with ties (a decision at the same second as an event), TTL expiry, and
    late-arriving rows (written after later events, out of time order in the files)."""
    rng = np.random.default_rng(seed)
    n = 4_000
    payments = pl.DataFrame(
        {
            "customer": rng.integers(0, 60, n),
            "time": [START + timedelta(minutes=int(m)) for m in rng.choice(60 * 24 * 120, n, replace=False)],
            "amount": rng.normal(100, 30, n).round(2),
        }
    ).sample(fraction=1.0, shuffle=True, seed=seed)  # late-arriving: out of order on disk
    visits = pl.DataFrame(
        {
            "customer": rng.integers(0, 60, n),
            "time": [START + timedelta(minutes=int(m)) for m in rng.choice(60 * 24 * 120, n, replace=False)],
            "page": rng.choice(["home", "cart", "faq"], n),
        }
    )
    (root / "data" / "visits").mkdir(parents=True)
    payments.write_parquet(root / "data" / "payments.parquet")
    visits.head(n // 2).write_parquet(root / "data" / "visits" / "a.parquet")
    visits.tail(n - n // 2).write_parquet(root / "data" / "visits" / "b.parquet")
    (root / "features").mkdir()
    (root / "features" / "history.py").write_text(textwrap.dedent(MODULE))


def _entities(root: Path, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = 1_500
    times = [START + timedelta(hours=int(h)) for h in rng.integers(0, 24 * 130, n)]
    payments = pl.read_parquet(root / "data" / "payments.parquet")
    ties = payments.head(100).select(pl.col("customer"), pl.col("time").alias("decision_time"))
    frame = pl.DataFrame({"customer": rng.integers(0, 65, n), "decision_time": times})
    return pl.concat([frame, ties]).with_columns(pl.col("decision_time").cast(pl.Datetime("us")))


def _reference(root: Path, entities: pl.DataFrame) -> list[tuple]:
    """The definition by brute force: per row, the latest event strictly before it, within the TTL."""
    payments = sorted(pl.read_parquet(root / "data" / "payments.parquet").rows(), key=lambda r: (r[0], r[1]))
    visits = sorted(pl.read_parquet(root / "data" / "visits").rows(), key=lambda r: (r[0], r[1]))
    paid: dict[int, list[tuple]] = {}
    for customer, time, amount in payments:
        so_far = (paid[customer][-1][2] if customer in paid else 0.0) + amount
        paid.setdefault(customer, []).append((time, amount, so_far))
    seen: dict[int, list[tuple]] = {}
    for customer, time, _page in visits:
        seen.setdefault(customer, []).append((time, len(seen.get(customer, [])) + 1))
    rows = []
    for customer, at in entities.rows():
        before = [p for p in paid.get(customer, []) if p[0] < at]
        last = before[-1] if before and before[-1][0] >= at - timedelta(days=10) else None
        visit = [v for v in seen.get(customer, []) if v[0] < at]
        rows.append(
            (
                customer,
                at,
                last[1] if last else None,
                last[2] if last else None,
                visit[-1][1] if visit else None,
            )
        )
    return rows


def test_training_set_matches_brute_force_reference(workspace: Workspace) -> None:
    root = workspace.project.root
    _write_project(root)
    entities = _entities(root)
    result = training_set(workspace.project, "history", entities)
    assert isinstance(result, pl.DataFrame)
    assert result.columns == ["customer", "decision_time", "last_amount", "paid_so_far", "visits"]
    expected = _reference(root, entities)
    got = result.rows()
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine[:3] == theirs[:3] and mine[4] == theirs[4]
        assert (mine[3] is None and theirs[3] is None) or mine[3] == pytest.approx(theirs[3])
    # The planted ties (decision at the same instant as a payment) never see that payment.
    assert (
        result.tail(100)["last_amount"].to_list()
        != pl.read_parquet(root / "data/payments.parquet").head(100)["amount"].to_list()
    )
    # TTL expiry happened and so did found values, or the test would prove nothing.
    assert result["last_amount"].null_count() > 0 and result["last_amount"].drop_nulls().len() > 0


def test_a_source_of_plain_columns_matches_the_reference_too(workspace: Workspace) -> None:
    # With only plain columns, the payments timeline is sorted by (time, customer), not (customer, time).
    root = workspace.project.root
    _write_project(root)
    module = root / "features" / "history.py"
    module.write_text(module.read_text().replace(', "paid_so_far": pl.col("amount").cum_sum()', ""))
    entities = _entities(root)
    result = training_set(workspace.project, "history", entities)
    assert isinstance(result, pl.DataFrame)
    assert result.columns == ["customer", "decision_time", "last_amount", "visits"]
    assert result.rows() == [row[:3] + row[4:] for row in _reference(root, entities)]


def test_timelines_read_once_serve_several_entity_frames(workspace: Workspace) -> None:
    # What a scoring job does for its input and its skew check's training rows.
    root = workspace.project.root
    _write_project(root)
    feature_set = get_feature_set(workspace.project, "history")
    timelines = read_timelines(workspace.project, feature_set)
    entities = _entities(root)
    for frame in (entities.head(700), entities.tail(900)):
        shared = point_in_time(workspace.project, feature_set, frame, timelines=timelines).collect()
        assert shared.rows() == _reference(root, frame)


def test_training_set_is_lazy_until_collected(workspace: Workspace) -> None:
    root = workspace.project.root
    _write_project(root)
    frame = training_set(workspace.project, "history", _entities(root).lazy(), lazy=True)
    assert isinstance(frame, pl.LazyFrame)
    assert frame.collect().height == 1_600


def test_version_is_stable_and_changes_with_the_definition(workspace: Workspace) -> None:
    root = workspace.project.root
    _write_project(root)
    first = get_feature_set(workspace.project, "history").version
    assert get_feature_set(workspace.project, "history").version == first
    module = root / "features" / "history.py"
    module.write_text(module.read_text().replace("days=10", "days=11"))
    second = get_feature_set(workspace.project, "history").version
    module.write_text(module.read_text().replace('pl.col("amount").cum_sum()', 'pl.col("amount").cum_max()'))
    third = get_feature_set(workspace.project, "history").version
    assert len({first, second, third}) == 3


LEAKY = """
import polars as pl

from workbench.features import FeatureSet, Source

applicants = FeatureSet(
    name="applicants",
    entity="applicant",
    event_time="recorded_at",
    sources=[Source("tests", "data/tests.parquet", features={"best_score": pl.col("score").cum_max()})],
)
"""


def test_leakage_trap_a_score_recorded_after_the_decision_is_not_used(workspace: Workspace) -> None:
    """Each applicant's outcome is revealed by a test score recorded one day *after* the decision;
    a join that used it would predict the outcome perfectly (AUC 1.0). Point in time, only the
    noise recorded before the decision is seen, and the AUC stays near chance."""
    from sklearn.metrics import roc_auc_score

    root = workspace.project.root
    rng = np.random.default_rng(3)
    n = 2_000
    decided = [START + timedelta(days=int(d)) for d in rng.integers(10, 300, n)]
    admitted = rng.integers(0, 2, n)
    before = pl.DataFrame(
        {
            "applicant": np.arange(n),
            "recorded_at": [d - timedelta(days=5) for d in decided],
            "score": rng.normal(500, 50, n),
        }
    )
    trap = pl.DataFrame(
        {
            "applicant": np.arange(n),
            "recorded_at": [d + timedelta(days=1) for d in decided],
            "score": 1_000.0 + 100.0 * admitted,  # recorded after the decision, and it gives the answer away
        }
    )
    (root / "data").mkdir()
    pl.concat([before, trap]).write_parquet(root / "data" / "tests.parquet")
    (root / "features").mkdir()
    (root / "features" / "applicants.py").write_text(textwrap.dedent(LEAKY))
    entities = pl.DataFrame({"applicant": np.arange(n), "decision_time": decided, "admitted": admitted})

    frame = training_set(workspace.project, "applicants", entities)
    assert isinstance(frame, pl.DataFrame)
    assert frame["best_score"].max() < 1_000  # no trap value reached the training set
    honest = roc_auc_score(frame["admitted"], frame["best_score"])
    # The naive join (latest value per applicant, whenever recorded) would have leaked:
    naive = entities.join(
        pl.concat([before, trap]).group_by("applicant").agg(pl.col("score").max().alias("best_score")), on="applicant"
    )
    leaked = roc_auc_score(naive["admitted"], naive["best_score"])
    assert leaked == 1.0
    assert 0.4 < honest < 0.6


JOIN_PATHS = """
from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

keyed = FeatureSet(
    name="keyed",
    entity="account",
    event_time="time",
    sources=[
        Source("balances", "data/balances.parquet", features={"balance": pl.col("balance")}, ttl=timedelta(days=3)),
        Source("limits", "data/limits.parquet", features={"limit": pl.col("limit").cum_max()}, ttl=timedelta(days=5)),
    ],
)
"""


def _join_path_project(root: Path, key: pl.DataType) -> pl.DataFrame:
    """Seeded events on extreme integer keys (negative, near 2**62), one source timed by dates; entity rows of
    a sparse account (one event every ten days) that fall exactly at an event (excluded), exactly at the TTL's
    end (included) and a microsecond past it (expired)."""
    rng = np.random.default_rng(5)
    accounts = np.array([-(2**62), -7, 0, 1, 2**62 - 1])
    n = 3_000
    dense = pl.DataFrame(
        {
            "account": rng.choice(accounts, n),
            "time": [START + timedelta(minutes=int(m)) for m in rng.choice(60 * 24 * 90, n, replace=False)],
            "balance": rng.normal(size=n),
        }
    )
    sparse_times = [START + timedelta(days=10 * d, seconds=7) for d in range(9)]
    sparse = pl.DataFrame({"account": [5] * 9, "time": sparse_times, "balance": rng.normal(size=9)})
    balances = pl.concat([dense, sparse]).with_columns(pl.col("time").cast(pl.Datetime("ms")))
    limit_days = pl.DataFrame({"account": np.repeat(accounts, 40), "day": np.tile(np.arange(0, 80, 2), 5)})
    limits = limit_days.select(
        "account",
        (pl.lit(START.date()) + pl.duration(days=pl.col("day"))).alias("time"),
        pl.Series("limit", rng.integers(0, 1_000, limit_days.height)),
    )
    (root / "data").mkdir()
    balances.sample(fraction=1.0, shuffle=True, seed=1).with_columns(pl.col("account").cast(key)).write_parquet(
        root / "data" / "balances.parquet"
    )
    limits.with_columns(pl.col("account").cast(key)).write_parquet(root / "data" / "limits.parquet")
    (root / "features").mkdir(exist_ok=True)
    (root / "features" / "keyed.py").write_text(textwrap.dedent(JOIN_PATHS))
    at = pl.Series("at", sparse_times).cast(pl.Datetime("us"))
    edges = [
        pl.DataFrame({"account": [5] * 9, "at": at + shift})
        for shift in (timedelta(0), timedelta(days=3), timedelta(days=3, microseconds=1))
    ]
    random = pl.DataFrame(
        {
            "account": rng.choice(np.append(accounts, [3, 5]), 2_000),  # 3 has no events
            "at": [START + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 100, 2_000)],
        }
    ).with_columns(pl.col("at").cast(pl.Datetime("us")))
    return pl.concat([*edges, random]).with_columns(pl.col("account").cast(key))


@pytest.mark.parametrize("key", [pl.Int64(), pl.Int32(), pl.String()], ids=str)
def test_both_join_paths_match_the_reference(workspace: Workspace, key: pl.DataType) -> None:
    # Integer keys join on the (entity, time) key, strings by entity: each against the brute-force definition.
    from workbench.features.timeline import entity_time_key

    root = workspace.project.root
    entities = _join_path_project(root, key if key != pl.Int32() else pl.Int64())
    if key == pl.Int32():  # only keys that fit: bring the sources' extreme keys into Int32's range
        for name in ("balances", "limits"):
            path = root / "data" / f"{name}.parquet"
            pl.read_parquet(path).with_columns((pl.col("account") % 1_000).cast(pl.Int32)).write_parquet(path)
        entities = entities.with_columns((pl.col("account") % 1_000).cast(pl.Int32))
    assert (entity_time_key("account", "at", entities.schema) is not None) == (key != pl.String())
    result = training_set(workspace.project, "keyed", entities, at="at")
    assert isinstance(result, pl.DataFrame)
    balances = pl.read_parquet(root / "data" / "balances.parquet").with_columns(pl.col("time").cast(pl.Datetime("us")))
    limits = pl.read_parquet(root / "data" / "limits.parquet").sort("account", "time")
    limits = limits.with_columns(pl.col("limit").cum_max().over("account"), pl.col("time").cast(pl.Datetime("us")))
    by_account: dict[object, list[tuple]] = {}
    for account, time, balance in balances.sort("time").rows():
        by_account.setdefault(account, []).append((time, balance))
    limit_rows: dict[object, list[tuple]] = {}
    for account, time, limit in limits.rows():
        limit_rows.setdefault(account, []).append((time, limit))
    expected = []
    for account, at in entities.rows():
        before = [b for b in by_account.get(account, []) if b[0] < at]
        balance = before[-1][1] if before and at - before[-1][0] <= timedelta(days=3) else None
        known = [x for x in limit_rows.get(account, []) if x[0] < at]
        limit = known[-1][1] if known and at - known[-1][0] <= timedelta(days=5) else None
        expected.append((account, at, balance, limit))
    assert result.rows() == expected
    # Unchecked, nothing is read until collected: the same rows from the lazy plan (keys sorted in the plan).
    lazy = point_in_time(workspace.project, get_feature_set(workspace.project, "keyed"), entities, at="at", check=False)
    assert lazy.collect().rows() == expected
    # The edges happened: an event at the decision's instant is not used (the first has nothing before it),
    # one exactly three days back is, and one a microsecond more is not.
    sparse = balances.filter(pl.col("account").cast(pl.String) == "5").sort("time")["balance"]
    assert result["balance"][0:9].null_count() == 9
    assert result["balance"][9:18].to_list() == sparse.to_list()
    assert result["balance"][18:27].null_count() == 9
