"""A source's timeline: per entity, in event-time order, the value of each feature after each event.

:func:`timeline` builds it lazily: scan the source (confined to the project), run its
transform, sort by event time within each entity, evaluate the feature expressions within
each entity (a feature that is a plain column needs no per-entity work). Before anything is
joined, :func:`check_timeline` runs one small aggregate query over it so that bad input fails
with a clear error naming the column or entity instead of a wrong answer: a missing column, a
feature that does not evaluate, an event time that is not a time, null keys or times, and two
rows of one entity at the same time (which would make "the latest value" ambiguous). Sources
need not be in time order on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

import polars as pl

from workbench.features.definition import FeatureSet, Source
from workbench.features.errors import FeatureError
from workbench.project.config import Project
from workbench.project.paths import is_url, resolve_location

# A timeline is read, sorted and held in memory anyway; polars' streaming engine (the default of
# polars 2) sorted a 5M-row source in twice the CPU time of the in-memory engine.
_ENGINE: Final = "in-memory"

__all__ = [
    "check_keyed",
    "check_timeline",
    "collect_timeline",
    "collect_timelines",
    "entity_time_key",
    "feature_names",
    "scan_source",
    "timeline",
]


def _where(feature_set: FeatureSet, source: Source) -> str:
    return f"source {source.name!r} of feature set {feature_set.name!r}"


def scan_source(project: Project, feature_set: FeatureSet, source: Source) -> pl.LazyFrame:
    """The source's rows, lazily; the path is confined like every path workbench reads."""
    where = _where(feature_set, source)
    location = resolve_location(project, source.path, where)
    if not is_url(location) and not os.path.exists(location):
        raise FeatureError(
            f"The {where} reads {source.path!r}, which does not exist ({location}). Create it (run the stage that "
            "writes it, or `dvc pull`) or fix the path in the feature module.",
            details={"source": source.name, "path": source.path},
        )
    target = location.rstrip("/") + "/**/*.parquet" if os.path.isdir(location) else location
    return pl.scan_parquet(target)


def _schema(frame: pl.LazyFrame, where: str) -> pl.Schema:
    try:
        return frame.collect_schema()
    except Exception as exc:
        raise FeatureError(f"The {where} cannot be read ({type(exc).__name__}: {_first_line(exc)}).") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def feature_names(feature_set: FeatureSet, source: Source, schema: pl.Schema | None = None) -> list[str]:
    """The feature columns the source contributes (for a bare transform: what it returns)."""
    if source.features:
        return list(source.features)
    assert schema is not None
    skip = {feature_set.entity, feature_set.time_of(source)}
    return [c for c in schema if c not in skip]


def timeline(project: Project, feature_set: FeatureSet, source: Source, *, sort_keyed: bool = True) -> pl.LazyFrame:
    """``entity, event_time, *features`` in time order within each entity (lazy); schema problems raise here.

    An integer entity key sorts by (entity, time) through :func:`entity_time_key`. Otherwise a source
    whose features are all plain columns is sorted by (time, entity), and the others by (entity, time),
    the order their expressions are evaluated in. Either way two rows of one entity at one time are
    adjacent, which is what :func:`check_timeline` looks for.

    ``sort_keyed=False`` leaves a source with an integer key and only plain-column features in its
    own order: the caller sorts the keys alone (:func:`~workbench.features.pit.read_timelines`)
    and checks with :func:`check_keyed`, which spares moving every feature column in a sort.
    """
    where = _where(feature_set, source)
    entity, time = feature_set.entity, feature_set.time_of(source)
    frame = scan_source(project, feature_set, source)
    if source.transform is not None:
        try:
            frame = source.transform(frame)
        except Exception as exc:
            raise FeatureError(
                f"The transform of the {where} failed ({type(exc).__name__}: {_first_line(exc)})."
            ) from exc
        if not isinstance(frame, pl.LazyFrame):
            raise FeatureError(f"The transform of the {where} returned a {type(frame).__name__}, not a LazyFrame.")
    schema = _schema(frame, where)
    missing = [c for c in (entity, time) if c not in schema]
    if missing:
        raise FeatureError(
            f"The {where} has no column(s) {', '.join(map(repr, missing))} (its columns: {', '.join(schema)}). "
            "Fix the source or the feature set's entity/event_time.",
            details={"source": source.name, "missing": missing},
        )
    if not schema[time].is_temporal() or schema[time] == pl.Time:
        raise FeatureError(
            f"The event-time column {time!r} of the {where} is {schema[time]}, not a date or datetime; cast it "
            "(e.g. pl.col(...).str.to_datetime()) in a transform.",
            details={"source": source.name, "column": time},
        )
    names = feature_names(feature_set, source, schema)
    key = entity_time_key(entity, time, schema)
    keep_order = not sort_keyed and key is not None
    if not source.features:
        ordered = frame if keep_order else _time_ordered(frame, entity, time, key)
        return ordered.select(entity, time, *names)
    for name, expr in source.features.items():
        try:
            frame.select(expr).collect_schema()
        except Exception as exc:
            raise FeatureError(
                f"Feature {name!r} of the {where} does not evaluate ({type(exc).__name__}: {_first_line(exc)}); "
                "fix the expression or the source's columns.",
                details={"source": source.name, "feature": name},
            ) from exc
    if all(_row_local(expr) for expr in source.features.values()):
        ordered = frame if keep_order else _time_ordered(frame, entity, time, key)
        return ordered.select(entity, time, *(expr.alias(name) for name, expr in source.features.items()))
    ordered = frame.sort(key) if key is not None else frame.sort(entity, time)
    return ordered.select(
        entity,
        time,
        *((expr if _row_local(expr) else expr.over(entity)).alias(name) for name, expr in source.features.items()),
    )


def _row_local(expr: pl.Expr) -> bool:
    """A column taken as it is (perhaps renamed): its value needs no other row of the entity."""
    return expr.meta.undo_aliases().meta.is_column()


def _time_ordered(frame: pl.LazyFrame, entity: str, time: str, key: pl.Expr | None) -> pl.LazyFrame:
    # An integer entity key sorts by one 128-bit key in (entity, time) order (entity_time_key). Otherwise,
    # when no feature needs an entity's rows in order, (time, entity) order serves the as-of join (which
    # wants time order within each entity) and the duplicate check (equal rows adjacent) alike, and sorts
    # in about half the time of (entity, time): the time is nearly unique, so the second key rarely decides.
    return frame.sort(key) if key is not None else frame.sort(time, entity)


# Entity key types whose every value fits a signed 64-bit integer.
_KEYED: Final = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)


def entity_time_key(entity: str, time: str, schema: pl.Schema) -> pl.Expr | None:
    """One ``Int128`` per row whose order is (entity, time) order, or None when the key is not an integer.

    The entity key fills the high 64 bits and the event time's physical value (shifted to be
    non-negative) the low 64, so sorting by it sorts by entity and then by time (one key sorts in
    about a third of the time of two), and an as-of join on it without ``by`` finds, for a row's own
    key, the latest earlier key: the entity's latest earlier event when there is one, or another
    entity's, which the caller discards (:func:`~workbench.features.pit.point_in_time` compares the
    matched row's entity). Two rows of one entity at one time have equal keys. A null key or time
    gives a null key. Only integer keys that fit 64 bits (``UInt64`` does not) and date or datetime
    times qualify; other keys keep polars' ``join_asof(by=...)``.
    """
    if schema[entity] not in _KEYED or not (schema[time] == pl.Date or isinstance(schema[time], pl.Datetime)):
        return None
    high = pl.col(entity).cast(pl.Int128) * (1 << 64)
    return high + pl.col(time).to_physical().cast(pl.Int128) + (1 << 63)


def collect_timeline(frame: pl.LazyFrame, feature_set: FeatureSet, source: Source) -> pl.DataFrame:
    """The timeline in memory; a failing expression or transform becomes an error naming the source."""
    try:
        return frame.collect(engine=_ENGINE)
    except pl.exceptions.PolarsError as exc:
        raise FeatureError(
            f"Computing the {_where(feature_set, source)} failed ({type(exc).__name__}: {_first_line(exc)}); a "
            "feature expression or transform fails on the data. Fix it in the feature module."
        ) from exc


def collect_timelines(frames: list[pl.LazyFrame], feature_set: FeatureSet) -> list[pl.DataFrame]:
    """Every source's timeline in memory, computed side by side; a failure names its source."""
    try:
        return pl.collect_all(frames, engine=_ENGINE)
    except pl.exceptions.PolarsError:
        # Collect one by one to say which source failed (only on this error path).
        return [collect_timeline(f, feature_set, s) for f, s in zip(frames, feature_set.sources, strict=True)]


def check_timeline(frame: pl.LazyFrame, feature_set: FeatureSet, source: Source) -> None:
    """Null keys or times and duplicate (entity, time) rows, as a clear error naming them."""
    entity, time = feature_set.entity, feature_set.time_of(source)
    same = (pl.col(entity) == pl.col(entity).shift()) & (pl.col(time) == pl.col(time).shift())
    counts = _counts(
        frame.select(
            pl.col(entity).null_count().alias("entity"),
            pl.col(time).null_count().alias("time"),
            same.sum().alias("duplicates"),
        ),
        feature_set,
        source,
    )
    _refuse(counts, lambda: frame.filter(same).select(entity, time).head(3).collect().rows(), feature_set, source)


def check_keyed(
    rows: pl.LazyFrame, order: pl.LazyFrame, feature_set: FeatureSet, source: Source, *, key: str, position: str
) -> None:
    """:func:`check_timeline` for rows in any order and their sorted ``key`` (:func:`entity_time_key`) with each
    row's ``position``: equal adjacent keys are two rows of one entity at one time."""
    entity, time = feature_set.entity, feature_set.time_of(source)
    same = pl.col(key) == pl.col(key).shift()
    counts = _counts(
        pl.concat(
            [
                rows.select(pl.col(entity).null_count().alias("entity"), pl.col(time).null_count().alias("time")),
                order.select(same.sum().alias("duplicates")),
            ],
            how="horizontal",
        ),
        feature_set,
        source,
    )

    def examples() -> list[tuple[Any, ...]]:
        at = order.filter(same).select(position).head(3).collect()[position]
        return rows.select(pl.col(entity, time).gather(at)).collect().rows()

    _refuse(counts, examples, feature_set, source)


def _counts(query: pl.LazyFrame, feature_set: FeatureSet, source: Source) -> dict[str, Any]:
    try:
        return query.collect().row(0, named=True)
    except Exception as exc:
        raise FeatureError(
            f"Computing the {_where(feature_set, source)} failed ({type(exc).__name__}: {_first_line(exc)}); a "
            "feature expression or transform fails on the data."
        ) from exc


def _refuse(
    counts: dict[str, Any],
    examples: Callable[[], list[tuple[Any, ...]]],
    feature_set: FeatureSet,
    source: Source,
) -> None:
    where = _where(feature_set, source)
    entity, time = feature_set.entity, feature_set.time_of(source)
    if counts["entity"]:
        raise FeatureError(
            f"The {where} has {counts['entity']:,} row(s) with a null entity key {entity!r}; drop or fix them.",
            details={"source": source.name, "column": entity},
        )
    if counts["time"]:
        raise FeatureError(
            f"The {where} has {counts['time']:,} row(s) with a null event time {time!r}; a value with no time "
            "cannot be placed before or after a decision. Drop or fix them.",
            details={"source": source.name, "column": time},
        )
    if counts["duplicates"]:
        found = examples()
        listed = "; ".join(f"{entity}={key!r} at {moment}" for key, moment in found)
        raise FeatureError(
            f"The {where} has {counts['duplicates']:,} duplicate ({entity}, {time}) row(s), e.g. {listed}; the "
            "latest value before a decision would be ambiguous. Aggregate them in a transform or drop the duplicates.",
            details={"source": source.name, "examples": [[str(k), str(m)] for k, m in found]},
        )
