"""Online lookups on SQLite through a long-lived, read-only connection per database file.

SQLAlchemy opens SQLite without a pool (a fresh connection per transaction), so every lookup
began with a cold page cache and re-read its index and value pages from the OS. A reader keeps
one connection per file, guarded by a lock: its pages stay cached (a 64 MiB cache and a
memory-mapped file), its two statements stay prepared (the keys are bound as one JSON array,
so the SQL text never changes), and WAL lets it read a fresh snapshot in each transaction while
writers commit. ``PRAGMA query_only`` makes the connection unable to write. A file replaced
under the same path (another inode) is reopened. At most :data:`MAX_READERS` files are kept
open, the least recently used is closed first, and all are closed at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from workbench.features.codec import decode_dtype
from workbench.store.engine import busy_timeout_s

__all__ = ["MAX_READERS", "Snapshot", "SqliteReader", "close_readers", "sqlite_reader"]

MAX_READERS = 8

_STATE = "SELECT id, version, schema FROM feature_materializations WHERE feature_set = ?"
# One row per key, in the keys' order (duplicates repeated, NULL for a key the store lacks): no
# dictionary of found keys to build and probe in Python.
_VALUES = (
    'SELECT v."values" FROM json_each(?) AS k '
    "LEFT JOIN feature_values AS v ON v.feature_set = ? AND v.entity_key = k.value ORDER BY k.key"
)


@dataclass(frozen=True)
class Snapshot:
    """What one lookup read in one transaction: the materialization, and each key's packed row in the
    keys' order (None where the store has no row for the key)."""

    materialization: str
    version: str
    schema: dict[str, pl.DataType]
    values: list[str | None]


class SqliteReader:
    """One database file's lookup connection. Thread-safe: lookups take turns on the connection."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        self._schemas: dict[str, dict[str, pl.DataType]] = {}

    def _connection(self) -> sqlite3.Connection:
        status = os.stat(self.path)
        file = (status.st_dev, status.st_ino)
        if self._conn is None or file != self._file:
            self.close()
            conn = sqlite3.connect(self.path, timeout=busy_timeout_s(), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA mmap_size = 2147418112")  # the most SQLite maps; a 1M-entity store is ~340 MB
            self._conn, self._file = conn, file
        return self._conn

    def lookup(self, name: str, keys_for: Callable[[dict[str, pl.DataType]], list[str | None]]) -> Snapshot | None:
        """The rows of ``keys_for(schema)`` (key texts) in feature set ``name`` (None: never materialized)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                row = conn.execute(_STATE, (name,)).fetchone()
                if row is None:
                    return None
                materialization, version, schema_text = row
                schema = self._schemas.get(materialization)
                if schema is None:
                    schema = {c: decode_dtype(d) for c, d in json.loads(schema_text).items()}
                    self._schemas = {materialization: schema, **dict(list(self._schemas.items())[:15])}
                keys = keys_for(schema)
                rows = conn.execute(_VALUES, (json.dumps(keys), name)).fetchall() if keys else []
                values = [row[0] for row in rows]
            finally:
                conn.execute("ROLLBACK")
        return Snapshot(materialization, version, schema, values)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_readers: OrderedDict[str, SqliteReader] = OrderedDict()
_readers_lock = threading.Lock()


def sqlite_reader(path: str) -> SqliteReader:
    """The reader of the database file at ``path`` (opened on its first lookup)."""
    key = os.path.realpath(path)
    with _readers_lock:
        reader = _readers.get(key)
        if reader is None:
            reader = _readers[key] = SqliteReader(key)
            while len(_readers) > MAX_READERS:
                _, evicted = _readers.popitem(last=False)
                with evicted._lock:
                    evicted.close()
        _readers.move_to_end(key)
        return reader


@atexit.register
def close_readers() -> None:
    """Close every reader's connection (at exit, and where a test wants the files released)."""
    with _readers_lock:
        for reader in _readers.values():
            with reader._lock:
                reader.close()
        _readers.clear()
