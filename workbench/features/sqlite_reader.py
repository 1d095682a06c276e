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
from workbench.features.packed import fixed_width
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
# Where every row has one width (a schema without strings, kept as bytes): the rows joined in the keys' order
# as one value, a row of zero bytes for a key the store lacks (every validity bit clear), so no Python object
# per row. SQLite feeds an aggregate the rows of a subquery in its ORDER BY (it does not flatten such a
# subquery into an aggregate query, for group_concat's sake); the reader checks the length.
_JOINED = (
    "SELECT CAST(group_concat(COALESCE(v.\"values\", zeroblob(?)), x'') AS BLOB) FROM ("
    'SELECT v."values" FROM json_each(?) AS k '
    "LEFT JOIN feature_values AS v ON v.feature_set = ? AND v.entity_key = k.value ORDER BY k.key) AS v"
)
_FIRST = 'SELECT "values" FROM feature_values WHERE feature_set = ? LIMIT 1'
# The most bytes read joined: far below SQLite's longest value (1e9 bytes by default); larger lookups go row by row.
JOINED_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Snapshot:
    """What one lookup read in one transaction: the materialization, and either each key's packed row in the
    keys' order (``values``, None where the store has no row for the key) or all of them joined (``joined``,
    rows of ``width`` bytes)."""

    materialization: str
    version: str
    schema: dict[str, pl.DataType]
    values: list[bytes | str | None]
    joined: bytes | None = None
    width: int = 0


class SqliteReader:
    """One database file's lookup connection. Thread-safe: lookups take turns on the connection."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        self._schemas: dict[str, dict[str, pl.DataType]] = {}
        self._widths: dict[str, int] = {}  # per materialization: its rows' width where read joined, else 0
        self._utf8 = False

    def _connection(self) -> sqlite3.Connection:
        status = os.stat(self.path)
        file = (status.st_dev, status.st_ino)
        if self._conn is None or file != self._file:
            self.close()
            conn = sqlite3.connect(self.path, timeout=busy_timeout_s(), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA mmap_size = 2147418112")  # the most SQLite maps; a 1M-entity store is ~340 MB
            self._utf8 = conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
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
                if not keys:
                    return Snapshot(materialization, version, schema, [])
                width = self._widths.get(materialization, -1)
                if width < 0:
                    width = self._width(conn, name, schema)
                    self._widths = {materialization: width, **dict(list(self._widths.items())[:15])}
                text = json.dumps(keys)
                if width and width * len(keys) <= JOINED_MAX_BYTES:
                    joined = conn.execute(_JOINED, (width, text, name)).fetchone()[0]
                    if joined is not None and len(joined) == width * len(keys):
                        return Snapshot(materialization, version, schema, [], joined, width)
                rows = conn.execute(_VALUES, (text, name)).fetchall()
                values = [row[0] for row in rows]
            finally:
                conn.execute("ROLLBACK")
        return Snapshot(materialization, version, schema, values)

    def _width(self, conn: sqlite3.Connection, name: str, schema: dict[str, pl.DataType]) -> int:
        """The width of the feature set's rows where they can be read joined (0: one by one): bytes of a schema
        without strings in a UTF-8 database (group_concat reads a BLOB as text of the database's encoding)."""
        if not self._utf8 or not fixed_width({c: d for c, d in list(schema.items())[1:]}):
            return 0
        row = conn.execute(_FIRST, (name,)).fetchone()
        return len(row[0]) if row is not None and isinstance(row[0], bytes) else 0

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
