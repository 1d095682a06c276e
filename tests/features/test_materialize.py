"""Materialization: the offline Parquet dataset and the online table, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import json
import shutil
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from workbench.core.errors import NotFound
from workbench.features.errors import FeatureDefinitionChanged, FeatureError
from workbench.features.materialize import MANIFEST, materialize
from workbench.features.online import lookup, online_state
from workbench.features.service import training_set
from workbench.project.init import init_project
from workbench.project.workspace import Workspace, open_workspace
from workbench.store import engine as store_engine
from workbench.store.audit import list_events
from workbench.store.schema import feature_values

T0 = datetime(2026, 3, 1)
MODULE = """
from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

accounts = FeatureSet(
    name="accounts",
    entity="account",
    event_time="time",
    sources=[
        Source("balances", "data/balances.parquet", features={"balance": pl.col("amount"),
               "peak": pl.col("amount").cum_max()}, ttl=timedelta(days=30)),
        Source("logins", "data/logins.parquet", features={"logins": pl.col("device").cum_count(),
               "device": pl.col("device")}),
    ],
)
"""


def _project(root: Path) -> None:
    (root / "data").mkdir()
    pl.DataFrame(
        {
            "account": ["a", "a", "b", "c", "a"],
            "time": [T0, T0 + timedelta(days=2), T0 + timedelta(days=1), T0 - timedelta(days=90), T0 + timedelta(9)],
            "amount": [10.5, 30.25, 7.0, 99.0, 20.0],
        }
    ).write_parquet(root / "data" / "balances.parquet")
    pl.DataFrame(
        {
            "account": ["a", "b", "b", "d"],
            "time": [T0, T0, T0 + timedelta(hours=5), T0 + timedelta(days=3)],
            "device": ["ios", "web", "android", "web"],
        }
    ).write_parquet(root / "data" / "logins.parquet")
    (root / "features").mkdir()
    (root / "features" / "accounts.py").write_text(textwrap.dedent(MODULE))


@pytest.fixture
def store_project(db_url: str, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_DB_URL", db_url)
    _project(project_dir)
    return project_dir


def test_materialize_writes_offline_and_online_and_lookup_reads_them(store_project: Path) -> None:
    workspace = open_workspace(store_project)
    until = datetime(2026, 3, 5, tzinfo=UTC)
    result = materialize(workspace, "accounts", until=until)

    folder = store_project / "data" / "features" / "accounts"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["version"] == result.version and manifest["sources"]["balances"]["rows"] == 4
    assert pl.read_parquet(folder / "balances.parquet")["balance"].to_list() == [
        10.5,
        30.25,
        7.0,
        99.0,
    ]
    assert result.offline_rows == 4 + 4 and result.online_rows == 3  # c: only an expired balance

    online = lookup(workspace, "accounts", ["b", "a", "zzz", "c", "d"])
    assert online.columns == ["account", "balance", "peak", "logins", "device"]
    assert online.rows() == [
        ("b", 7.0, 7.0, 2, "android"),
        ("a", 30.25, 30.25, 1, "ios"),
        ("zzz", None, None, None, None),
        ("c", None, None, None, None),  # its one balance is older than the 30-day TTL at `until`
        ("d", None, None, 1, "web"),
    ]
    # The online row equals a point-in-time row asked at `until`: one definition, two stores.
    entities = pl.DataFrame({"account": ["b", "a"], "decision_time": [until.replace(tzinfo=None)] * 2})
    training = training_set(workspace.project, "accounts", entities)
    assert isinstance(training, pl.DataFrame)
    assert training.drop("decision_time").rows() == online.head(2).rows()

    with workspace.read() as conn:
        events = list_events(conn, action="features.materialize")
    assert [e.subject for e in events] == ["features:accounts"]


def test_materialize_again_upserts_and_drops_vanished_entities(store_project: Path) -> None:
    workspace = open_workspace(store_project)
    materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
    later = materialize(workspace, "accounts", until=datetime(2026, 3, 20, tzinfo=UTC))
    online = lookup(workspace, "accounts", ["a", "b"])
    assert online.row(0) == ("a", 20.0, 30.25, 1, "ios")  # the day-9 balance is now the latest
    assert later.online_rows == 3
    # A newer definition without the logins source: its entities are gone from the store, in one step.
    module = store_project / "features" / "accounts.py"
    text = module.read_text()
    start = text.index('        Source("logins"')
    module.write_text(text[:start] + "    ],\n)\n")
    again = materialize(workspace, "accounts", until=datetime(2026, 3, 20, tzinfo=UTC))
    assert again.online_rows == 2 and again.version != later.version
    assert lookup(workspace, "accounts", ["d"]).row(0) == ("d", None, None)
    with pytest.raises(FeatureDefinitionChanged, match="materialized with definition"):
        lookup(workspace, "accounts", ["a"], version=later.version)


def test_lookup_before_materializing_says_what_to_run(store_project: Path) -> None:
    with pytest.raises(NotFound, match="workbench features materialize accounts"):
        lookup(open_workspace(store_project), "accounts", ["a"])


def test_a_failed_materialization_leaves_the_previous_stores(store_project: Path) -> None:
    workspace = open_workspace(store_project)
    materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
    before = lookup(workspace, "accounts", ["a", "b", "c", "d"])
    pl.DataFrame({"account": ["a", "a"], "time": [T0, T0], "amount": [1.0, 2.0]}).write_parquet(
        store_project / "data" / "balances.parquet"
    )
    with pytest.raises(FeatureError, match="duplicate"):
        materialize(workspace, "accounts", until=datetime(2026, 3, 20, tzinfo=UTC))
    assert lookup(workspace, "accounts", ["a", "b", "c", "d"]).equals(before)
    assert sorted(p.name for p in (store_project / "data" / "features").iterdir()) == ["accounts"]


def _stored(workspace: Workspace) -> list[tuple[object, ...]]:
    with workspace.read() as conn:
        rows = conn.execute(sa.select(feature_values).order_by(feature_values.c.entity_key)).fetchall()
    return [tuple(r) for r in rows]


def test_a_failure_after_the_upsert_rolls_all_of_it_back(store_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rows are upserted (and the stale ones deleted) before the folder swap, the transaction's
    # last step; a swap that fails must leave every stored row, the materialization and the audit as they were.
    workspace = open_workspace(store_project)
    first = materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
    before = _stored(workspace)
    pl.DataFrame({"account": ["a", "e"], "time": [T0, T0], "amount": [1.0, 2.0]}).write_parquet(
        store_project / "data" / "balances.parquet"
    )
    written: list[int] = []

    def failing_swap(staging: Path, folder: Path) -> None:
        with workspace.read() as other:  # a second connection: the upsert is in the open transaction only
            written.append(len(other.execute(sa.select(feature_values.c.entity_key)).fetchall()))
        raise OSError("disk full")

    # The module, not the package's `materialize` function of the same name.
    monkeypatch.setattr(importlib.import_module("workbench.features.materialize"), "_swap", failing_swap)
    with pytest.raises(OSError, match="disk full"):
        materialize(workspace, "accounts", until=datetime(2026, 3, 20, tzinfo=UTC))
    assert written == [len(before)]  # another connection saw none of the half-done upsert
    assert _stored(workspace) == before
    assert online_state(workspace, "accounts").id == first.id
    with workspace.read() as conn:
        assert len(list_events(conn, action="features.materialize")) == 1
    assert sorted(p.name for p in (store_project / "data" / "features").iterdir()) == ["accounts"]


def test_a_row_refused_half_way_through_the_upsert_changes_nothing(
    store_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second row's packed value is NULL, which the table refuses after the first row was written.
    workspace = open_workspace(store_project)
    materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
    before = _stored(workspace)
    module = importlib.import_module("workbench.features.materialize")

    # Both encodings: bytes on SQLite, base64 text on PostgreSQL.
    def with_a_hole(encode: Any) -> Any:
        return lambda frame, columns: encode(frame, columns).scatter(1, None)

    for encoder in ("encode_rows", "pack_rows"):
        monkeypatch.setattr(module, encoder, with_a_hole(getattr(module, encoder)))
    with pytest.raises(sa.exc.IntegrityError, match="(?i)not[ -]null"):
        materialize(workspace, "accounts", until=datetime(2026, 3, 20, tzinfo=UTC))
    assert _stored(workspace) == before
    with workspace.read() as conn:
        assert len(list_events(conn, action="features.materialize")) == 1


def test_stored_rows_read_back_through_sqlalchemy(store_project: Path) -> None:
    # SQLite rows are written through the driver, not SQLAlchemy: its types must read them back alike.
    workspace = open_workspace(store_project)
    materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
    rows = _stored(workspace)
    assert [(r[0], r[1]) for r in rows] == [("accounts", k) for k in ("a", "b", "d")]
    # One generation, the run's, on every row; packed rows as bytes on SQLite, base64 text on PostgreSQL.
    assert len({r[4] for r in rows}) == 1 and isinstance(rows[0][4], int)
    sqlite = workspace.store.backend == "sqlite"
    assert all(isinstance(r[2], bytes if sqlite else str) for r in rows)
    # The latest event of each entity over both sources, as an aware UTC time.
    assert [r[3] for r in rows] == [
        datetime(2026, 3, 3, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 4, tzinfo=UTC),
    ]


def test_materialize_refuses_to_replace_a_folder_it_did_not_write(store_project: Path) -> None:
    (store_project / "data" / "features" / "accounts").mkdir(parents=True)
    (store_project / "data" / "features" / "accounts" / "mine.csv").write_text("x\n")
    with pytest.raises(FeatureError, match="not an offline store"):
        materialize(open_workspace(store_project), "accounts")
    assert (store_project / "data" / "features" / "accounts" / "mine.csv").exists()


def test_lookups_follow_a_database_replaced_at_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SQLite reader keeps its connection between lookups; a new file at the path is reopened.
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    for amount in (10.5, 42.0):
        root = tmp_path / "project"
        if root.exists():
            shutil.rmtree(root)
            monkeypatch.setattr(store_engine, "_cache", {})  # workbench itself caches one Store per URL
        init_project(root, git=False, dvc=False)
        _project(root)
        pl.DataFrame({"account": ["a"], "time": [T0], "amount": [amount]}).write_parquet(
            root / "data" / "balances.parquet"
        )
        workspace = open_workspace(root)
        materialize(workspace, "accounts", until=datetime(2026, 3, 5, tzinfo=UTC))
        assert lookup(workspace, "accounts", ["a"])["balance"].to_list() == [amount]
