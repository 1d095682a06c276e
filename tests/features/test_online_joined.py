"""Lookups of a feature set whose rows have one width: on SQLite the rows come back joined in one value
(migration 0009 keeps them as bytes), equal to reading them one by one, before and after the migration."""

from __future__ import annotations

import importlib
import sqlite3
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command

from tests.support.migrations import alembic_config
from workbench.features.materialize import materialize
from workbench.features.online import _lookup_sqlalchemy, lookup
from workbench.features.packed import decode_joined, decode_rows, pack_rows
from workbench.features.sqlite_reader import _JOINED, close_readers, sqlite_reader
from workbench.project.workspace import Workspace, open_workspace

MODULE = """
import polars as pl

from workbench.features import FeatureSet, Source

metrics = FeatureSet(
    name="metrics",
    entity="user",
    event_time="time",
    sources=[
        Source("events", "data/events.parquet", features={
            "score": pl.col("score"),
            "count": pl.col("count").cast(pl.Int32),
            "positive": pl.col("score") > 0,
            "day": pl.col("time").dt.date(),
        }),
    ],
)
"""
ENTITIES = 300


def _project(root: Path) -> None:
    rng = np.random.default_rng(7)
    rows = 2_000
    scores = rng.normal(size=rows)
    counts = rng.integers(-1_000, 1_000, rows)
    (root / "data").mkdir()
    pl.DataFrame(
        {
            "user": rng.integers(0, ENTITIES, rows),
            "time": [datetime(2026, 1, 1) + timedelta(minutes=int(m)) for m in rng.permutation(rows)],
            # Nulls, NaN and -0.0 among the values.
            "score": [
                None if i % 7 == 0 else (np.nan if i % 11 == 0 else (-0.0 if i % 13 == 0 else s))
                for i, s in enumerate(scores)
            ],
            "count": [None if i % 5 == 0 else int(c) for i, c in enumerate(counts)],
        }
    ).write_parquet(root / "data" / "events.parquet")
    (root / "features").mkdir()
    (root / "features" / "metrics.py").write_text(textwrap.dedent(MODULE))


def _one_by_one(workspace: Workspace, keys: list[int | None]) -> pl.DataFrame:
    """The rows read through SQLAlchemy and decoded row by row (the path of other databases)."""
    key_series, found, schema = _lookup_sqlalchemy(workspace, "metrics", keys, None)
    rows = [found.get(t) if t is not None else None for t in key_series.cast(pl.String).to_list()]
    return decode_rows(rows, {f: schema[f] for f in list(schema)[1:]}).insert_column(0, key_series)


def _keys() -> list[int | None]:
    # Shuffled, repeated, unknown (past the entities) and null keys.
    rng = np.random.default_rng(3)
    keys: list[int | None] = [int(k) for k in rng.integers(0, ENTITIES + 50, 1_000)]
    keys[10] = keys[20] = None
    return keys


@pytest.fixture
def metrics_workspace(db_url: str, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("WORKBENCH_DB_URL", db_url)
    _project(project_dir)
    workspace = open_workspace(project_dir)
    materialize(workspace, "metrics", until=datetime(2027, 1, 1, tzinfo=UTC))
    return workspace


def test_a_lookup_returns_what_reading_each_row_returns(metrics_workspace: Workspace) -> None:
    keys = _keys()
    found = lookup(metrics_workspace, "metrics", keys)
    assert found.equals(_one_by_one(metrics_workspace, keys))
    assert found["user"].to_list() == keys
    assert found.schema == pl.Schema(
        {"user": pl.Int64, "score": pl.Float64, "count": pl.Int32, "positive": pl.Boolean, "day": pl.Date}
    )
    unknown = found.filter(pl.col("user").is_null() | (pl.col("user") >= ENTITIES))
    assert unknown.height > 0 and unknown.drop("user").null_count().row(0) == (unknown.height,) * 4
    # Bit for bit: NaN and -0.0 kept.
    assert found["score"].is_nan().any()
    signs = np.signbit(found["score"].drop_nulls().to_numpy())
    assert (signs & (found["score"].drop_nulls().to_numpy() == 0)).any()
    assert found["day"].drop_nulls().min() >= date(2026, 1, 1)


def test_sqlite_reads_the_rows_joined_in_the_keys_order(metrics_workspace: Workspace) -> None:
    if metrics_workspace.store.backend != "sqlite":
        pytest.skip("SQLite's reader")
    path = str(metrics_workspace.store.engine.url.database)
    keys = [str(k) if k is not None else None for k in _keys()]
    snapshot = sqlite_reader(path).lookup("metrics", lambda schema: keys)
    assert snapshot is not None and snapshot.joined is not None and snapshot.values == []
    assert len(snapshot.joined) == snapshot.width * len(keys)
    with sqlite3.connect(path) as conn:
        # The aggregate reads the ordered subquery as a co-routine: the rows come in the keys' order.
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + _JOINED, (1, "[]", "metrics"))]
        assert any(step.startswith("CO-ROUTINE") for step in plan) and "USE TEMP B-TREE FOR ORDER BY" in plan
        stored = dict(
            conn.execute('SELECT entity_key, "values" FROM feature_values WHERE feature_set = ?', ("metrics",))
        )
    empty = bytes(snapshot.width)
    assert snapshot.joined == b"".join(stored.get(k, empty) if k is not None else empty for k in keys)


def test_rows_decode_joined_as_one_by_one_at_their_width() -> None:
    frame = pl.DataFrame(
        {
            "score": [1.5, None, float("nan"), -0.0] * 5,
            "flag": [True, None, False, True] * 5,
            "count": pl.Series([1, None, 3, -4] * 5, dtype=pl.Int16),
        }
    )
    schema = dict(frame.schema)
    rows = pack_rows(frame, frame.columns).to_list()
    width = len(rows[0])
    assert decode_joined(b"".join(rows), width, schema).equals(decode_rows(rows, schema))
    assert decode_joined(b"".join(rows), width, schema).equals(frame)
    # Rows migrated from base64 keep its padding: a wider row, the same values; a row of zeros is all nulls.
    padded = [r + b"\x00\x00" for r in rows]
    back = decode_joined(b"".join([padded[0], bytes(width + 2), padded[3]]), width + 2, schema)
    assert back.rows() == [frame.row(0), (None, None, None), frame.row(3)]


def test_lookups_are_the_same_before_and_after_migration_0009(metrics_workspace: Workspace) -> None:
    if metrics_workspace.store.backend != "sqlite":
        pytest.skip("0009 changes the rows on SQLite only")
    keys = _keys()
    expected = lookup(metrics_workspace, "metrics", keys)
    path = str(metrics_workspace.store.engine.url.database)
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        for target in ("0008", "0009"):
            with engine.begin() as conn:
                (command.downgrade if target == "0008" else command.upgrade)(alembic_config(conn), target)
                kinds = conn.exec_driver_sql('SELECT DISTINCT typeof("values") FROM feature_values').fetchall()
            assert kinds == [("text",) if target == "0008" else ("blob",)]
            # The reader kept open across the migration (its width is the other format's) reads them alike,
            # and so does a new one.
            assert lookup(metrics_workspace, "metrics", keys).equals(expected)
            close_readers()
            assert lookup(metrics_workspace, "metrics", keys).equals(expected)
    finally:
        engine.dispose()


def test_a_lookup_larger_than_one_joined_value_reads_row_by_row(
    metrics_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    if metrics_workspace.store.backend != "sqlite":
        pytest.skip("SQLite's reader")
    keys = _keys()
    expected = lookup(metrics_workspace, "metrics", keys)
    # The module, not the package's attribute of the same name.
    monkeypatch.setattr(importlib.import_module("workbench.features.sqlite_reader"), "JOINED_MAX_BYTES", 100)
    path = str(metrics_workspace.store.engine.url.database)
    texts = [str(k) if k is not None else None for k in keys]
    snapshot = sqlite_reader(path).lookup("metrics", lambda schema: texts)
    assert snapshot is not None and snapshot.joined is None and len(snapshot.values) == len(keys)
    assert lookup(metrics_workspace, "metrics", keys).equals(expected)
