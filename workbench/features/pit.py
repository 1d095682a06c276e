"""Point-in-time feature values for an entity frame: the training set, and scoring's same code path.

For every row of ``entities`` (an entity key and a time ``at``), each source contributes the
feature values of its latest event *strictly before* ``at`` (a value recorded at the very
moment of the decision was not known when it was made), and only when that event is within
the source's TTL. The join is polars ``join_asof``, backward, without exact matches;
everything stays lazy until the caller collects, and the entity frame's rows keep their
order and columns.

An integer entity key is joined on one ``Int128`` key that orders rows by (entity, time)
(:func:`~workbench.features.timeline.entity_time_key`): the as-of join is then a plain merge
of two sorted columns, and a match that belongs to another entity, or lies beyond the TTL,
is set to null afterwards. Other keys join ``by`` the entity with the TTL as the tolerance.
Both give the same rows (tests check each against a brute-force reference); the first takes
about 40% less time on a million entity rows over 5M-row sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import polars as pl

from workbench.features.definition import FeatureSet
from workbench.features.errors import FeatureError
from workbench.features.timeline import check_timeline, collect_timelines, entity_time_key, timeline
from workbench.project.config import Project

__all__ = ["point_in_time", "read_timelines"]

_ROW = "__wb_row"
_KEY = "__wb_key"  # entity_time_key of a row
_MATCHED_ENTITY = "__wb_matched_entity"
_MATCHED_TIME = "__wb_matched_time"


def _entity_frame(entities: Any, feature_set: FeatureSet, at: str) -> tuple[pl.LazyFrame, pl.Schema]:
    if isinstance(entities, pl.DataFrame):
        entities = entities.lazy()
    if not isinstance(entities, pl.LazyFrame):
        raise FeatureError(f"The entity frame must be a polars DataFrame or LazyFrame, got {type(entities).__name__}.")
    schema = entities.collect_schema()
    missing = [c for c in (feature_set.entity, at) if c not in schema]
    if missing:
        raise FeatureError(
            f"The entity frame has no column(s) {', '.join(map(repr, missing))} (its columns: {', '.join(schema)}); "
            f"feature set {feature_set.name!r} needs the entity key {feature_set.entity!r} and the time of each "
            f"row (at={at!r}).",
            details={"missing": missing},
        )
    if not isinstance(schema[at], pl.Datetime):
        raise FeatureError(
            f"The entity frame's time column {at!r} is {schema[at]}, not a datetime; cast it "
            "(pl.col(...).cast(pl.Datetime)) so values can be placed before or after it.",
            details={"column": at},
        )
    clashes = [
        name
        for source in feature_set.sources
        for name in source.features
        if name in schema and name not in (feature_set.entity, at)
    ]
    if clashes:
        raise FeatureError(
            f"The entity frame already has column(s) {', '.join(map(repr, clashes))}, which feature set "
            f"{feature_set.name!r} computes; drop them so no value computed another way is used.",
            details={"columns": clashes},
        )
    return entities, schema


def _aligned_time(frame: pl.LazyFrame, column: str, target: pl.Datetime, where: str) -> pl.LazyFrame:
    dtype = frame.collect_schema()[column]
    if isinstance(dtype, pl.Datetime) and (dtype.time_zone is None) != (target.time_zone is None):
        raise FeatureError(
            f"The event time {column!r} of {where} is {dtype} and the entity frame's time is {target}: one has a "
            "time zone and the other not. Give both a time zone (dt.replace_time_zone('UTC')) or neither.",
            details={"column": column},
        )
    if dtype == target:
        return frame
    return frame.with_columns(pl.col(column).cast(target))


def read_timelines(project: Project, feature_set: FeatureSet) -> list[pl.DataFrame]:
    """Every source's timeline in memory, checked: what :func:`point_in_time` reads, for callers that
    join more than one entity frame against the same sources (a scoring job and its skew check)."""
    lines = collect_timelines([timeline(project, feature_set, s) for s in feature_set.sources], feature_set)
    for line, source in zip(lines, feature_set.sources, strict=True):
        check_timeline(line.lazy(), feature_set, source)
    return lines


def point_in_time(
    project: Project,
    feature_set: FeatureSet,
    entities: pl.DataFrame | pl.LazyFrame,
    *,
    at: str | None = None,
    check: bool = True,
    timelines: Sequence[pl.DataFrame] | None = None,
) -> pl.LazyFrame:
    """``entities`` with the feature set's columns appended, each as of strictly before ``at`` (lazy).

    ``check`` reads every source's timeline once and runs
    :func:`~workbench.features.timeline.check_timeline` on it, so a duplicate or null event time
    is an error, not a silent choice; the join over the entity frame stays lazy. With
    ``check=False`` nothing is read until the caller collects. ``timelines`` (from
    :func:`read_timelines`, already checked) are joined instead of reading the sources again.
    """
    at = at or feature_set.at
    frame, schema = _entity_frame(entities, feature_set, at)
    target = schema[at]
    assert isinstance(target, pl.Datetime)
    key_dtype = schema[feature_set.entity]
    lines = []
    for position, source in enumerate(feature_set.sources):
        line = timelines[position].lazy() if timelines is not None else timeline(project, feature_set, source)
        source_key = line.collect_schema()[feature_set.entity]
        if source_key != key_dtype:
            raise FeatureError(
                f"The entity key {feature_set.entity!r} is {key_dtype} in the entity frame and {source_key} in the "
                f"source {source.name!r} of feature set {feature_set.name!r}; cast one so keys compare equal.",
                details={"column": feature_set.entity, "source": source.name},
            )
        lines.append(line)
    if check and timelines is None:
        # Read once: the checks and the join share each sorted timeline instead of scanning and sorting the
        # source again, and the sources are read side by side (one collect_all).
        lines = [line.lazy() for line in collect_timelines(lines, feature_set)]
        for line, source in zip(lines, feature_set.sources, strict=True):
            check_timeline(line, feature_set, source)
    entity = feature_set.entity
    row_key = entity_time_key(entity, at, schema)
    keyed = row_key is not None
    joined = frame.with_row_index(_ROW)
    joined = joined.with_columns(row_key.alias(_KEY)).sort(_KEY) if row_key is not None else joined.sort(at)
    for read, source in zip(lines, feature_set.sources, strict=True):
        where = f"source {source.name!r} of feature set {feature_set.name!r}"
        time = feature_set.time_of(source)
        line = _aligned_time(read, time, target, where)
        if keyed:
            joined = _join_keyed(joined, line, entity, time, at, source.ttl)
            continue
        if time != at:
            line = line.rename({time: at})
        joined = joined.join_asof(
            line,
            on=at,
            by=entity,
            strategy="backward",
            allow_exact_matches=False,
            tolerance=source.ttl,
            check_sortedness=False,  # in time order within each entity (timeline()); polars cannot check it with `by`
        )
    if keyed:
        joined = joined.drop(_KEY)
    return joined.sort(_ROW).drop(_ROW)


def _join_keyed(
    joined: pl.LazyFrame, line: pl.LazyFrame, entity: str, time: str, at: str, ttl: timedelta | None
) -> pl.LazyFrame:
    """One source's features joined on the (entity, time) key: the latest earlier key, kept only when it is
    the row's own entity's event and within the TTL (``at - time <= ttl``, as polars' tolerance)."""
    schema = line.collect_schema()
    features = [c for c in schema if c not in (entity, time)]
    key = entity_time_key(entity, time, schema)
    assert key is not None, "the entity frame's key qualifies and the source's matches it; times are aligned"
    right = line.select(
        key.alias(_KEY),  # sorted: timeline() sorted by the same key
        pl.col(entity).alias(_MATCHED_ENTITY),
        pl.col(time).alias(_MATCHED_TIME),
        *features,
    )
    joined = joined.join_asof(right, on=_KEY, strategy="backward", allow_exact_matches=False, check_sortedness=False)
    own = pl.col(_MATCHED_ENTITY) == pl.col(entity)
    if ttl is not None:
        own = own & (pl.col(at) - pl.col(_MATCHED_TIME) <= ttl)
    return joined.with_columns(pl.when(own).then(pl.col(f)).alias(f) for f in features).drop(
        _MATCHED_ENTITY, _MATCHED_TIME
    )
