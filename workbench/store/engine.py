"""Opening the metadata database: engine set-up, first-use migration, error mapping.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` so writers queue instead of failing
half-way (:meth:`Store.read` begins deferred: it reads a snapshot without the lock).
Any other SQLAlchemy URL (PostgreSQL at team scale) is used as it is.
Driver errors never escape: they become :class:`DatabaseUnavailable` or
:class:`DatabaseCorrupt` with what to do next.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from workbench.core.errors import ConfigError, DatabaseCorrupt, DatabaseUnavailable, StoreError

__all__ = ["HEAD_REVISION", "Store", "open_store"]

# The newest migration. Opening a database older than this upgrades it first.
HEAD_REVISION = "0009"
_SCHEMA_MARKER = "workbench"
# Execution option that marks a connection of Store.read(): its transaction begins deferred.
_READ_ONLY = "workbench_read_only"
_PG_MIGRATION_LOCK = 7_242_011_301


def busy_timeout_s() -> float:
    """How long a writer waits for the database lock (``WORKBENCH_DB_BUSY_TIMEOUT``, seconds)."""
    try:
        return float(os.environ.get("WORKBENCH_DB_BUSY_TIMEOUT", "30"))
    except ValueError:
        raise ConfigError("WORKBENCH_DB_BUSY_TIMEOUT must be a number of seconds.") from None


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


class Store:
    """A handle on one metadata database. Cheap to share; thread-safe."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return _redact(self.url)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it holds the write lock from its first statement."""
        with self._translate(), self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reading only. On SQLite it starts deferred: it reads one consistent
        WAL snapshot without taking the write lock, so readers neither wait for a writer nor
        make one wait. Writing through it is a mistake (use :meth:`begin`)."""
        with self._translate(), self.engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY: True})
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.OperationalError as exc:
            raise _unavailable(self.url, exc) from exc
        except sa.exc.DatabaseError as exc:
            if isinstance(exc, sa.exc.IntegrityError):
                raise
            raise DatabaseCorrupt(
                f"The database {self.display_url} answered with an error ({_first_line(exc)}). "
                "Check that it is a workbench database and not damaged."
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _unavailable(url: str, exc: BaseException) -> StoreError:
    text = _first_line(exc)
    if "locked" in text or "busy" in text:
        return DatabaseUnavailable(
            f"The database {_redact(url)} stayed locked by another writer for {busy_timeout_s():g} s ({text}). "
            "Wait for the other workbench process to finish, or raise WORKBENCH_DB_BUSY_TIMEOUT."
        )
    missing_schema = "no such column" in text or "no such table" in text
    if missing_schema or ("does not exist" in text and "database" not in text):
        return DatabaseCorrupt(
            f"The database {_redact(url)} does not have the schema this workbench expects ({text}). "
            "It was created by another workbench build; restore it, or move it aside to start afresh."
        )
    if "not a database" in text or "malformed" in text:
        return DatabaseCorrupt(
            f"{_redact(url)} is not a usable SQLite database ({text}). Move the file aside "
            "(it is not workbench's) or restore it from a backup; workbench will not modify it."
        )
    return DatabaseUnavailable(
        f"Cannot reach the database {_redact(url)} ({text}). Check WORKBENCH_DB_URL or "
        "[tool.workbench] db_url, and that the server is running."
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s() * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(
            f"The database URL {url!r} is not a SQLAlchemy URL; use e.g. "
            "sqlite:///path/to/workbench.db or postgresql+psycopg://user@host/db."
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            path = Path(database)
            if path.is_file() and path.stat().st_size > 0:
                _check_sqlite_file(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, connect_args={"timeout": busy_timeout_s(), "check_same_thread": False}, poolclass=sa.pool.NullPool
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg2", ""):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(parsed))
    except ModuleNotFoundError as exc:
        raise ConfigError(f"No driver for {parsed.drivername}: install it ({exc.name}).") from exc


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not SQLite or not workbench's, reading it only (WAL mode
    and migrations would otherwise modify a file that belongs to someone else)."""
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise DatabaseCorrupt(
                f"{path} is not a SQLite database. Move it aside (workbench will not touch it) "
                "and run the command again to start a fresh one, or restore it from a backup."
            )
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=busy_timeout_s())
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseCorrupt(f"{path} is a damaged SQLite database ({exc}); restore it from a backup.") from exc
    if tables and not {"alembic_version", "workbench_meta"} <= tables:
        raise DatabaseCorrupt(
            f"{path} holds tables ({', '.join(sorted(tables)[:5])}) but is not a workbench database. "
            "Move it aside or point WORKBENCH_DB_URL elsewhere; workbench will not modify it."
        )


def _connect_args(parsed: sa.URL) -> dict[str, Any]:
    if parsed.get_backend_name() == "postgresql":
        return {"connect_timeout": 10}
    return {}


def _current_revision(conn: Connection) -> str | None:
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if "alembic_version" not in tables:
        if tables:
            raise DatabaseCorrupt(
                f"The database holds tables ({', '.join(sorted(tables)[:5])}) but is not a workbench database. "
                "Point WORKBENCH_DB_URL at an empty or workbench database; workbench will not modify this one."
            )
        return None
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if "workbench_meta" not in tables:
        raise DatabaseCorrupt("The database has Alembic tables but no workbench_meta: it belongs to another program.")
    marker = conn.execute(sa.text("SELECT value FROM workbench_meta WHERE key = 'schema'")).scalar()
    if marker != _SCHEMA_MARKER:
        raise DatabaseCorrupt("The database's workbench_meta does not mark it as a workbench database.")
    return revision


def _migrate(engine: Engine, url: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        revision = _current_revision(conn)
        if revision == HEAD_REVISION:
            return
        # Alembic only when there is something to migrate: importing it costs every command ~0.4 s.
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        known = _known_revisions(config)
        if revision is not None and revision not in known:
            raise DatabaseCorrupt(
                f"The database is at schema revision {revision}, newer than this workbench knows "
                f"({HEAD_REVISION}). Upgrade workbench."
            )
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _known_revisions(config: Any) -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


_cache: dict[str, Store] = {}
_cache_lock = threading.Lock()


def open_store(url: str, *, cached: bool = True) -> Store:
    """Open (creating and migrating on first use) the database at ``url``."""
    with _cache_lock:
        if cached and url in _cache:
            return _cache[url]
        engine = _create_engine(url)
        try:
            _migrate(engine, url)
        except StoreError:
            engine.dispose()
            raise
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise _unavailable(url, exc) from exc
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            raise DatabaseCorrupt(
                f"The database {_redact(url)} refused workbench's schema ({_first_line(exc)}). "
                "Point WORKBENCH_DB_URL at an empty or workbench database."
            ) from exc
        store = Store(url, engine)
        if cached:
            _cache[url] = store
        return store
