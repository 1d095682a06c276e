"""Migration 0008: a store holding online feature values at 0007 keeps every row as a WITHOUT ROWID table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.support.migrations import alembic_config
from workbench.store.engine import HEAD_REVISION, open_store

ROWS = [
    ("accounts", "a", "AAAA", "2026-03-01 00:00:00.000000", "m1"),
    ("accounts", "b", "AQID", None, "m1"),
    ("other", "a", "BBBB", "2026-03-02 12:30:00.250000", "m2"),
]


def _table_sql(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT sql FROM sqlite_master WHERE name = 'feature_values'").fetchone()[0]


def test_a_store_at_0007_with_values_is_rebuilt_without_rowid_keeping_them(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0007")
        conn.exec_driver_sql("INSERT INTO feature_values VALUES (?, ?, ?, ?, ?)", ROWS)
    engine.dispose()
    assert "WITHOUT ROWID" not in _table_sql(path)

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008")  # 0009 changes the columns (its own test below)
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0008"
        rows = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == ROWS
    assert "WITHOUT ROWID" in _table_sql(path)
    with sqlite3.connect(path) as conn:
        # One B-tree: no separate index for the primary key, which the lookup's plan uses.
        indexes = conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'feature_values' AND type = 'index'")
        assert indexes.fetchall() == []
        plan = conn.execute(
            'EXPLAIN QUERY PLAN SELECT "values" FROM feature_values WHERE feature_set = ? AND entity_key = ?',
            ("accounts", "a"),
        ).fetchall()
        assert "USING PRIMARY KEY (feature_set=? AND entity_key=?)" in plan[0][-1]
        # The primary key still holds.
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute("INSERT INTO feature_values VALUES ('accounts', 'a', 'CCCC', NULL, 'm3')")


def test_downgrade_to_0007_restores_the_rowid_table_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008")
        conn.exec_driver_sql("INSERT INTO feature_values VALUES (?, ?, ?, ?, ?)", ROWS)
        command.downgrade(alembic_config(conn), "0007")
        rows = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == ROWS
    assert "WITHOUT ROWID" not in _table_sql(path)


# At 0008: packed rows as base64 text (padded to a multiple of three bytes, or not: rows packed before the
# padding), a row kept as JSON text (before packed rows), and each row's materialization id.
ROWS_0008 = [
    ("accounts", "a", "AAAA", "2026-03-01 00:00:00.000000", "m1"),
    ("accounts", "b", "AQID", None, "m1"),
    ("accounts", "c", "AQI=", None, "m1"),
    ("legacy", "x", '{"score": 1.5}', None, "m3"),
    ("other", "a", "BBBB", "2026-03-02 12:30:00.250000", "m2"),
]
MATERIALIZATIONS = [("accounts", "m1"), ("legacy", "m3"), ("other", "m2")]


def _at_0008_with_rows(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008")
        conn.exec_driver_sql("INSERT INTO feature_values VALUES (?, ?, ?, ?, ?)", ROWS_0008)
        for name, run in MATERIALIZATIONS:
            conn.exec_driver_sql(
                "INSERT INTO feature_materializations VALUES (?, ?, 'v', '2026-03-01 00:00:00.000000', "
                "'2026-03-01 00:00:00.000000', 1, '{}', NULL, 'me')",
                (name, run),
            )
    return engine


def test_0009_keeps_packed_rows_as_bytes_and_a_generation_and_downgrades_back(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    _at_0008_with_rows(path).dispose()
    store = open_store(f"sqlite:///{path}", cached=False)  # first use migrates to the head
    try:
        with store.read() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION == "0009"
            rows = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
            types = conn.exec_driver_sql('SELECT typeof("values") FROM feature_values ORDER BY 1').fetchall()
    finally:
        store.dispose()
    assert [tuple(r) for r in rows] == [
        ("accounts", "a", b"\x00\x00\x00", "2026-03-01 00:00:00.000000", 0),
        ("accounts", "b", b"\x01\x02\x03", None, 0),
        ("accounts", "c", b"\x01\x02", None, 0),
        ("legacy", "x", '{"score": 1.5}', None, 0),  # JSON stays text: the reader tells them apart by type
        ("other", "a", b"\x04\x10\x41", "2026-03-02 12:30:00.250000", 0),
    ]
    assert sorted(t[0] for t in types) == ["blob", "blob", "blob", "blob", "text"]
    assert "WITHOUT ROWID" in _table_sql(path)
    with sqlite3.connect(path) as conn:
        plan = conn.execute(
            'EXPLAIN QUERY PLAN SELECT "values" FROM feature_values WHERE feature_set = ? AND entity_key = ?',
            ("accounts", "a"),
        ).fetchall()
        assert "USING PRIMARY KEY (feature_set=? AND entity_key=?)" in plan[0][-1]

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008")
        back = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
    engine.dispose()
    # The texts again (a row packed before the padding comes back padded: the same bytes, one zero more),
    # and every row the id of its feature set's materialization.
    assert [tuple(r) for r in back] == [r if r[1:3] != ("c", "AQI=") else (*r[:2], "AQIA", *r[3:]) for r in ROWS_0008]
    assert "WITHOUT ROWID" in _table_sql(path)


def test_0009_on_postgresql_replaces_the_run_id_by_a_generation_and_back(pg_url: str) -> None:
    # PostgreSQL keeps base64 text; only the run's id becomes a generation (and comes back on a downgrade).
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0008")
            for row in ROWS_0008:
                conn.execute(
                    sa.text("INSERT INTO feature_values VALUES (:s, :k, :v, CAST(:t AS TIMESTAMPTZ), :m)"),
                    dict(zip("skvtm", row, strict=True)),
                )
            for name, run in MATERIALIZATIONS:
                conn.execute(
                    sa.text(
                        "INSERT INTO feature_materializations VALUES (:n, :r, 'v', now(), now(), 1, '{}', NULL, 'me')"
                    ),
                    {"n": name, "r": run},
                )
            command.upgrade(alembic_config(conn), "0009")
            rows = conn.execute(
                sa.text('SELECT feature_set, entity_key, "values", generation FROM feature_values ORDER BY 1, 2')
            ).fetchall()
            assert [tuple(r) for r in rows] == [(r[0], r[1], r[2], 0) for r in ROWS_0008]
            columns = {c["name"] for c in sa.inspect(conn).get_columns("feature_values")}
            assert "materialization" not in columns and "generation" in columns
            command.downgrade(alembic_config(conn), "0008")
            back = conn.execute(
                sa.text('SELECT feature_set, entity_key, "values", materialization FROM feature_values ORDER BY 1, 2')
            ).fetchall()
            assert [tuple(r) for r in back] == [(r[0], r[1], r[2], r[4]) for r in ROWS_0008]
    finally:
        engine.dispose()
