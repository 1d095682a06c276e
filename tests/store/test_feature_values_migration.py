"""Migration 0008: a store holding online feature values at 0007 keeps every row as a WITHOUT ROWID table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import workbench.store.engine as store_engine
from workbench.store.engine import HEAD_REVISION, open_store

ROWS = [
    ("accounts", "a", "AAAA", "2026-03-01 00:00:00.000000", "m1"),
    ("accounts", "b", "AQID", None, "m1"),
    ("other", "a", "BBBB", "2026-03-02 12:30:00.250000", "m2"),
]


def _alembic(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(store_engine.__file__).with_name("migrations")))
    config.attributes["connection"] = conn
    return config


def _table_sql(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT sql FROM sqlite_master WHERE name = 'feature_values'").fetchone()[0]


def test_a_store_at_0007_with_values_is_rebuilt_without_rowid_keeping_them(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0007")
        conn.exec_driver_sql("INSERT INTO feature_values VALUES (?, ?, ?, ?, ?)", ROWS)
    engine.dispose()
    assert "WITHOUT ROWID" not in _table_sql(path)

    store = open_store(f"sqlite:///{path}", cached=False)  # first use migrates to the head
    try:
        with store.read() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
            rows = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
    finally:
        store.dispose()
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
        command.upgrade(_alembic(conn), "0008")
        conn.exec_driver_sql("INSERT INTO feature_values VALUES (?, ?, ?, ?, ?)", ROWS)
        command.downgrade(_alembic(conn), "0007")
        rows = conn.exec_driver_sql("SELECT * FROM feature_values ORDER BY feature_set, entity_key").fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == ROWS
    assert "WITHOUT ROWID" not in _table_sql(path)
