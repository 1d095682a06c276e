from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench.core.errors import ConfigError, DatabaseCorrupt, DatabaseUnavailable
from workbench.store.engine import HEAD_REVISION, open_store


def test_first_use_creates_and_migrates(db_url: str) -> None:
    store = open_store(db_url, cached=False)
    try:
        with store.begin() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert {"audit_events", "audit_head", "model_versions", "runs", "jobs", "review_items"} <= tables
        assert revision == HEAD_REVISION
    finally:
        store.dispose()
    # Opening again is a no-op migration and keeps data.
    again = open_store(db_url, cached=False)
    again.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}", cached=False)
    with store.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    store.dispose()


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    path.write_bytes(b"this is a spreadsheet, not a database" * 10)
    before = path.read_bytes()
    with pytest.raises(DatabaseCorrupt, match="not a SQLite database.*Move it aside"):
        open_store(f"sqlite:///{path}", cached=False)
    assert path.read_bytes() == before


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    before = path.read_bytes()
    with pytest.raises(DatabaseCorrupt, match="not a workbench database"):
        open_store(f"sqlite:///{path}", cached=False)
    assert path.read_bytes() == before


def test_an_unreachable_server_says_what_to_check() -> None:
    with pytest.raises(DatabaseUnavailable, match="Cannot reach the database.*WORKBENCH_DB_URL"):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none", cached=False)


def test_a_url_that_does_not_parse_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL"):
        open_store("not a url at all", cached=False)


def test_password_is_hidden_in_messages() -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        open_store("postgresql+psycopg://user:s3cret@127.0.0.1:1/none", cached=False)
    assert "s3cret" not in info.value.message
