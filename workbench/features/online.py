"""Online lookups: the latest materialized values of a feature set for a list of entity keys.

Each lookup is one read transaction holding two indexed queries: the materialization row (which
definition wrote the store, and its schema) and the values of the keys, found through the
``(feature_set, entity_key)`` primary key. Values are packed rows (:mod:`~workbench.features.packed`)
decoded as one array with the dtypes training saw; keys the store does not hold come back as rows
of nulls.

On SQLite the lookup goes through :mod:`~workbench.features.sqlite_reader`: a long-lived
connection per database file whose page cache stays warm and whose statements stay prepared. A
fresh connection per lookup (what ``Workspace.read`` opens) re-read every page from the OS and
cost twice the time. Other databases use the workspace's SQLAlchemy connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.core.errors import NotFound
from workbench.features.codec import decode_dtype
from workbench.features.errors import FeatureDefinitionChanged
from workbench.features.packed import decode_joined, decode_rows
from workbench.features.sqlite_reader import sqlite_reader
from workbench.project.workspace import Workspace
from workbench.store.schema import feature_materializations, feature_values

__all__ = ["OnlineState", "lookup", "online_state"]

_KEYS_PER_QUERY = 5_000


@dataclass(frozen=True)
class OnlineState:
    """What the online store holds for one feature set: which definition wrote it, until when."""

    name: str
    id: str
    version: str
    until: datetime
    entities: int
    schema: dict[str, pl.DataType]


def _not_materialized(name: str) -> NotFound:
    return NotFound(
        f"The online store holds no values of feature set {name!r}; run `workbench features materialize {name}`."
    )


def _state(conn: sa.Connection, name: str) -> OnlineState:
    row = conn.execute(
        sa.select(feature_materializations).where(feature_materializations.c.feature_set == name)
    ).one_or_none()
    if row is None:
        raise _not_materialized(name)
    schema = {column: decode_dtype(dtype) for column, dtype in row.schema.items()}
    return OnlineState(name, row.id, row.version, row.until, row.entities, schema)


def online_state(workspace: Workspace, name: str) -> OnlineState:
    with workspace.read() as conn:
        return _state(conn, name)


def _check_version(name: str, stored: str, version: str | None) -> None:
    if version is not None and stored != version:
        raise FeatureDefinitionChanged(
            f"The online store of feature set {name!r} was materialized with definition {stored[:12]}, "
            f"not {version[:12]}; materialize it again with that definition "
            f"(`workbench features materialize {name}`).",
            details={"feature_set": name, "stored": stored, "expected": version},
        )


def _lookup_sqlalchemy(
    workspace: Workspace, name: str, keys: Sequence[Any] | pl.Series, version: str | None
) -> tuple[pl.Series, dict[str, str], dict[str, pl.DataType]]:
    with workspace.read() as conn:
        state = _state(conn, name)
        _check_version(name, state.version, version)
        key_series = _keys(keys, state.schema)
        wanted = _distinct(key_series.cast(pl.String).to_list())
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            rows = conn.execute(
                sa.select(feature_values.c.entity_key, feature_values.c["values"]).where(
                    feature_values.c.feature_set == name,
                    feature_values.c.entity_key.in_(wanted[start : start + _KEYS_PER_QUERY]),
                )
            ).fetchall()
            found.update((key, text) for key, text in rows)
    return key_series, found, state.schema


def _keys(keys: Sequence[Any] | pl.Series, schema: dict[str, pl.DataType]) -> pl.Series:
    entity = next(iter(schema))
    return pl.Series(entity, keys).cast(schema[entity])


def _distinct(texts: list[str | None]) -> list[str]:
    # Sorted, so the index is walked in order (neighbouring keys share pages).
    return sorted({t for t in texts if t is not None})


def lookup(
    workspace: Workspace, name: str, keys: Sequence[Any] | pl.Series, *, version: str | None = None
) -> pl.DataFrame:
    """One row per key, in order: the entity key and every feature (nulls where the key is unknown).

    With ``version``, refuses a store that a different definition of the feature set wrote.
    """
    store = workspace.store
    if store.backend == "sqlite" and store.engine.url.database not in (None, "", ":memory:"):
        reader = sqlite_reader(str(store.engine.url.database))
        typed: list[pl.Series] = []

        def wanted(schema: dict[str, pl.DataType]) -> list[str | None]:
            # In the caller's order: binding them sorted saved SQLite ~12% but cost more in Python to
            # sort and put back (docs/performance.md, "Feature sets").
            typed.append(_keys(keys, schema))
            return typed[0].cast(pl.String).to_list()

        snapshot = reader.lookup(name, wanted)
        if snapshot is None:
            raise _not_materialized(name)
        _check_version(name, snapshot.version, version)
        key_series, schema = typed[0], snapshot.schema
        _entity, *features = schema
        if snapshot.joined is not None:
            values = decode_joined(snapshot.joined, snapshot.width, {f: schema[f] for f in features})
            return values.insert_column(0, key_series)
        texts: list[Any] = snapshot.values
    else:
        key_series, found, schema = _lookup_sqlalchemy(workspace, name, keys, version)
        texts = [found.get(t) if t is not None else None for t in key_series.cast(pl.String).to_list()]
    _entity, *features = schema
    values = decode_rows(texts, {f: schema[f] for f in features})
    return values.insert_column(0, key_series)
