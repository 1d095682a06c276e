"""``materialize``: a feature set's offline store (Parquet dataset) and online store (database table).

Every source's timeline up to ``until`` (events strictly before it) is written with polars'
streaming sink into a hidden staging folder beside the offline store, one file per source
plus ``_workbench_features.json`` (name, version, until, rows): a folder DVC can track as an
out. The latest value per entity (within each source's TTL at ``until``) is then upserted
into ``feature_values`` in one transaction, which also removes entities no longer present,
records the materialization (definition version, schema) and its audit event, and, as its
last statement, swaps the staged folder into place. A failure leaves the previous stores.
Only a folder that a previous materialization wrote is ever replaced.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.features.catalog import get_feature_set
from workbench.features.codec import encode_dtype
from workbench.features.definition import FeatureSet, Source
from workbench.features.errors import FeatureError
from workbench.features.packed import encode_rows, pack_rows
from workbench.features.timeline import check_timeline, feature_names, timeline
from workbench.project.paths import is_url
from workbench.project.workspace import Workspace
from workbench.store.schema import feature_materializations, feature_values

__all__ = ["MANIFEST", "Materialized", "materialize", "parse_until"]

MANIFEST = "_workbench_features.json"
_ROWS_PER_STATEMENT = 5_000
_SQLITE_UPSERT = (
    'INSERT INTO feature_values (feature_set, entity_key, "values", event_time, generation) '
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (feature_set, entity_key) DO UPDATE SET "
    '"values" = excluded."values", event_time = excluded.event_time, generation = excluded.generation'
)


@dataclass(frozen=True)
class Materialized:
    id: str
    name: str
    version: str
    until: datetime
    offline: str
    offline_rows: int
    online_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "until": self.until.isoformat()}


def parse_until(value: datetime | str | None) -> datetime | None:
    """``--until``: an ISO date or time; without a zone it is UTC."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise FeatureError(
                f"--until {value!r} is not an ISO date or time; write e.g. 2026-06-30 or 2026-06-30T12:00:00Z."
            ) from None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _bound(dtype: pl.DataType, until: datetime) -> pl.Expr:
    """``until`` as a literal comparable with an event-time column of ``dtype``."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return pl.lit(until.astimezone(UTC).replace(tzinfo=None)).cast(dtype)
    return pl.lit(until).cast(dtype)


def _offline_folder(workspace: Workspace, name: str, output: str | None) -> Path:
    given = output or f"data/features/{name}"
    if is_url(given):
        raise FeatureError(
            f"The offline store {given!r} is a URL; materialize into a local folder of the project (track it with "
            "DVC to share it)."
        )
    folder = workspace.project.resolve_inside(given, "offline feature store")
    if folder.exists() and (not folder.is_dir() or not (folder / MANIFEST).is_file()):
        raise FeatureError(
            f"{workspace.project.relative(folder)} exists and is not an offline store that `workbench features "
            "materialize` wrote; choose another --output or move it away.",
            details={"path": str(folder)},
        )
    return folder


def _write_offline(
    workspace: Workspace, feature_set: FeatureSet, until: datetime, staging: Path
) -> dict[str, dict[str, Any]]:
    written: dict[str, dict[str, Any]] = {}
    for source in feature_set.sources:
        line = timeline(workspace.project, feature_set, source)
        check_timeline(line, feature_set, source)
        time = feature_set.time_of(source)
        schema = line.collect_schema()
        path = staging / f"{source.name}.parquet"
        try:
            line.filter(pl.col(time) < _bound(schema[time], until)).sink_parquet(path, compression="zstd")
        except pl.exceptions.PolarsError as exc:
            raise FeatureError(
                f"Computing source {source.name!r} of feature set {feature_set.name!r} failed "
                f"({type(exc).__name__}: {str(exc).strip().splitlines()[0]}); fix the feature module."
            ) from exc
        rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        written[source.name] = {"file": path.name, "rows": rows, "features": feature_names(feature_set, source, schema)}
    return written


def _latest(feature_set: FeatureSet, source: Source, path: Path, until: datetime) -> pl.LazyFrame:
    time = feature_set.time_of(source)
    frame = pl.scan_parquet(path)
    if source.ttl is not None:
        dtype = frame.collect_schema()[time]
        frame = frame.filter(pl.col(time) >= _bound(dtype, until - source.ttl))
    # The file is in time order within each entity (timeline()), so the last row of a group is the latest event.
    return frame.group_by(feature_set.entity).agg(pl.all().last()).rename({time: f"__wb_time_{source.name}"})


def _online_frame(
    feature_set: FeatureSet, staging: Path, written: dict[str, dict[str, Any]], until: datetime
) -> tuple[pl.DataFrame, list[str]]:
    entity = feature_set.entity
    frames = [_latest(feature_set, s, staging / written[s.name]["file"], until) for s in feature_set.sources]
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.join(frame, on=entity, how="full", coalesce=True)
    times = [f"__wb_time_{s.name}" for s in feature_set.sources]
    features = [f for s in feature_set.sources for f in written[s.name]["features"]]
    result = combined.select(
        entity,
        *features,
        pl.max_horizontal([pl.col(t).cast(pl.Datetime("us", "UTC")) for t in times]).alias("__wb_time"),
    ).collect()
    return result, features


def _online_rows(
    name: str, generation: int, frame: pl.DataFrame, entity: str, features: list[str], *, blobs: bool
) -> pl.DataFrame:
    """The ``feature_values`` rows of ``frame``, in key order (the primary key's B-tree is written in order):
    packed rows as bytes (SQLite) or base64 text (PostgreSQL)."""
    return pl.DataFrame(
        {
            "feature_set": pl.Series([name] * frame.height, dtype=pl.String),
            "entity_key": frame[entity].cast(pl.String),
            "values": pack_rows(frame, features) if blobs else encode_rows(frame, features),
            "event_time": frame["__wb_time"],
            "generation": pl.Series([generation] * frame.height, dtype=pl.Int64),
        }
    ).sort("entity_key")


def _generation(conn: sa.Connection, name: str, run_id: str) -> int:
    """This run's generation: a number from its id (31 bits: four bytes in a SQLite record), unlike the one
    the feature set's stored rows carry (all of them carry one: each run deletes the rows it did not write)."""
    stored = conn.execute(
        sa.select(feature_values.c.generation).where(feature_values.c.feature_set == name).limit(1)
    ).scalar()
    generation = int(run_id[:8], 16) & 0x7FFF_FFFF
    return generation + 1 if generation == stored else generation


def _upsert_sqlite(conn: sa.Connection, name: str, generation: int, rows: pl.DataFrame) -> None:
    # The DB-API connection of the transaction SQLAlchemy began (BEGIN IMMEDIATE): the statement is
    # prepared once and each row bound as a tuple, ~2 µs a row, where SQLAlchemy's executemany of
    # dictionaries took ~50 µs (52 s of a 1M-entity materialization).
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection) and raw.in_transaction
    # DateTime(timezone=True) on SQLite: SQLAlchemy's text of the UTC time, which it parses back.
    times = rows["event_time"].dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    try:
        raw.executemany(
            _SQLITE_UPSERT,
            zip(
                repeat(name),
                rows["entity_key"].to_list(),
                rows["values"].to_list(),
                times.to_list(),
                repeat(generation),
            ),
        )
    except sqlite3.Error as exc:
        # As SQLAlchemy would have raised it, so the store maps it (a locked or full database, a
        # constraint) like any other, and the transaction rolls back.
        raise sa.exc.DBAPIError.instance(_SQLITE_UPSERT, None, exc, sqlite3.Error) from exc


def _upsert_sqlalchemy(conn: sa.Connection, rows: pl.DataFrame) -> None:
    from sqlalchemy.dialects import postgresql

    statement = postgresql.insert(feature_values)
    statement = statement.on_conflict_do_update(
        index_elements=[feature_values.c.feature_set, feature_values.c.entity_key],
        set_={
            "values": statement.excluded["values"],
            "event_time": statement.excluded.event_time,
            "generation": statement.excluded.generation,
        },
    )
    for start in range(0, rows.height, _ROWS_PER_STATEMENT):
        conn.execute(statement, rows.slice(start, _ROWS_PER_STATEMENT).to_dicts())


def _upsert(conn: sa.Connection, name: str, run_id: str, frame: pl.DataFrame, entity: str, features: list[str]) -> None:
    """Upsert the entities of ``frame`` and delete the feature set's others, in ``conn``'s transaction."""
    generation = _generation(conn, name, run_id)
    rows = _online_rows(name, generation, frame, entity, features, blobs=conn.dialect.name == "sqlite")
    if conn.dialect.name == "sqlite":
        _upsert_sqlite(conn, name, generation, rows)
    elif conn.dialect.name == "postgresql":
        _upsert_sqlalchemy(conn, rows)
    else:
        raise FeatureError(
            f"The online store runs on SQLite or PostgreSQL, not {conn.dialect.name}; set WORKBENCH_DB_URL to one."
        )
    conn.execute(
        feature_values.delete().where(feature_values.c.feature_set == name, feature_values.c.generation != generation)
    )


def _swap(staging: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}.old-{staging.name.rsplit('-', 1)[-1]}")
    if folder.exists():
        folder.rename(old)
    try:
        staging.rename(folder)
    except BaseException:
        if old.exists():
            old.rename(folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def materialize(
    workspace: Workspace, name: str, *, until: datetime | None = None, output: str | None = None
) -> Materialized:
    """Write the feature set's offline and online stores as of ``until`` (default: now)."""
    feature_set = get_feature_set(workspace.project, name)
    until = until or utcnow()
    folder = _offline_folder(workspace, name, output)
    run_id = uuid.uuid4().hex
    staging = folder.with_name(f".{folder.name}.tmp-{run_id}")
    staging.mkdir(parents=True)
    try:
        written = _write_offline(workspace, feature_set, until, staging)
        online, features = _online_frame(feature_set, staging, written, until)
        schema = {c: encode_dtype(online.schema[c]) for c in [feature_set.entity, *features]}
        manifest = {
            "name": name,
            "version": feature_set.version,
            "id": run_id,
            "until": until.isoformat(),
            "entity": feature_set.entity,
            "sources": written,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        offline = workspace.project.relative(folder)
        offline_rows = sum(int(s["rows"]) for s in written.values())
        now = utcnow()
        with workspace.transaction() as tx:
            _upsert(tx.conn, name, run_id, online, feature_set.entity, features)
            record = {
                "id": run_id,
                "version": feature_set.version,
                "until": until,
                "materialized_at": now,
                "entities": online.height,
                "schema": schema,
                "offline": offline,
                "actor": workspace.actor,
            }
            updated = tx.conn.execute(
                feature_materializations.update().where(feature_materializations.c.feature_set == name).values(**record)
            )
            if not updated.rowcount:
                tx.conn.execute(feature_materializations.insert().values(feature_set=name, **record))
            tx.record(
                "features.materialize",
                f"features:{name}",
                {
                    "version": feature_set.version,
                    "until": until.isoformat(),
                    "entities": online.height,
                    "offline": offline,
                    "offline_rows": offline_rows,
                },
            )
            _swap(staging, folder)  # last: if it fails, nothing above is committed
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Materialized(run_id, name, feature_set.version, until, offline, offline_rows, online.height)
