"""Feature sets as code: :class:`Source` and :class:`FeatureSet`, and the version of a definition.

A project declares feature sets in modules under ``features/`` (see :mod:`workbench.features.catalog`).
Each source is a Parquet file or folder whose rows are events of one entity at one time; its
features are polars expressions evaluated over those rows in time order within each entity
(``.over(entity)`` is applied for you, so ``pl.col("score").cum_max()`` is the best score so
far), or a LazyFrame function that returns the entity, the event time and feature columns.

The version of a feature set is the sha256 of its normalized definition: the polars-serialized
form of every expression, and the source text of every LazyFrame function (the function's own
text; helpers it calls are not followed, so keep transforms self-contained).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import polars as pl

from workbench.features.errors import FeatureError

__all__ = ["FeatureSet", "Source", "Transform", "check_no_python", "rebuild"]

Transform = Callable[[pl.LazyFrame], pl.LazyFrame]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,99}$")
_RESERVED = "__wb_"


def _check_name(value: str, what: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise FeatureError(
            f"The {what} {value!r} is not a valid name: use letters, digits, '_' or '-', starting with a letter "
            "or '_' (at most 100 characters)."
        )


def _ttl(value: Any, where: str) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, timedelta):
        raise FeatureError(
            f"The TTL of {where} is {value!r}; give a datetime.timedelta (e.g. timedelta(days=365)) or leave it "
            "out for values that never expire."
        )
    if value <= timedelta(0):
        raise FeatureError(
            f"The TTL of {where} is {value}, which keeps no value at all; give a positive timedelta or leave it "
            "out for values that never expire."
        )
    return value


@dataclass(frozen=True)
class Source:
    """One Parquet source of a feature set and the features computed from it.

    ``path`` is a file, a folder of Parquet files, or an fsspec URL, relative to the project
    root; it is confined to the project like every path workbench reads. ``ttl`` drops a
    value older than that at the time it is asked for. ``event_time`` overrides the feature
    set's event-time column for this source. ``transform`` (a LazyFrame function) runs first;
    ``features`` (name → expression) are then evaluated over its rows in time order within
    each entity. With a transform and no ``features`` every column it returns besides the
    entity and the event time is a feature.
    """

    name: str
    path: str
    features: Mapping[str, pl.Expr] = field(default_factory=dict)
    transform: Transform | None = None
    ttl: timedelta | None = None
    event_time: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "source name")
        if not isinstance(self.path, str) or not self.path.strip():
            raise FeatureError(f"Source {self.name!r} has no path; give the Parquet file or folder it reads.")
        _ttl(self.ttl, f"source {self.name!r}")
        if not self.features and self.transform is None:
            raise FeatureError(
                f"Source {self.name!r} declares no features: give features={{name: polars expression}} or a "
                "transform (a LazyFrame function)."
            )
        if self.transform is not None and not callable(self.transform):
            raise FeatureError(f"The transform of source {self.name!r} is not a function.")
        for feature, expr in self.features.items():
            _check_name(feature, f"feature name in source {self.name!r}")
            if not isinstance(expr, pl.Expr):
                raise FeatureError(
                    f"Feature {feature!r} of source {self.name!r} is a {type(expr).__name__}, not a polars "
                    "expression; write it as pl.col(...)..."
                )
        object.__setattr__(self, "features", dict(self.features))


@dataclass(frozen=True)
class FeatureSet:
    """A named set of features of one entity, computed from time-stamped sources.

    ``at`` names the time column of the entity frames that training sets and scoring inputs
    carry (the decision time); :func:`workbench.features.training_set` uses it by default.
    """

    name: str
    entity: str
    event_time: str
    sources: tuple[Source, ...]
    at: str = "decision_time"
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "feature set name")
        for column, what in ((self.entity, "entity key"), (self.event_time, "event-time column"), (self.at, "at")):
            if not isinstance(column, str) or not column or column.startswith(_RESERVED):
                raise FeatureError(f"Feature set {self.name!r}: the {what} {column!r} is not a usable column name.")
        sources = tuple(self.sources)
        if not sources or not all(isinstance(s, Source) for s in sources):
            raise FeatureError(f"Feature set {self.name!r} needs sources=[Source(...), ...].")
        object.__setattr__(self, "sources", sources)
        seen: dict[str, str] = {}
        for source in sources:
            if source.name in {s.name for s in sources if s is not source}:
                raise FeatureError(f"Feature set {self.name!r} has two sources named {source.name!r}.")
            for feature in source.features:
                if feature in seen or feature in (self.entity, self.at):
                    other = seen.get(feature, "the entity frame")
                    raise FeatureError(
                        f"Feature set {self.name!r}: feature {feature!r} of source {source.name!r} is also a "
                        f"column of {other}; rename one."
                    )
                seen[feature] = f"source {source.name!r}"

    def time_of(self, source: Source) -> str:
        return source.event_time or self.event_time

    def definition(self) -> dict[str, Any]:
        """The normalized definition that the version hashes (plain JSON values)."""
        return {
            "name": self.name,
            "entity": self.entity,
            "event_time": self.event_time,
            "at": self.at,
            "sources": [
                {
                    "name": s.name,
                    "path": s.path,
                    "event_time": self.time_of(s),
                    "ttl_seconds": s.ttl.total_seconds() if s.ttl is not None else None,
                    # Pairs, not an object: the columns' order is part of the definition.
                    "features": [[n, _serialize(self.name, s.name, n, e)] for n, e in s.features.items()],
                    "transform": _transform_text(self.name, s) if s.transform is not None else None,
                }
                for s in self.sources
            ],
        }

    @cached_property
    def version(self) -> str:
        """sha256 of the canonical JSON of :meth:`definition`."""
        canonical = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def short_version(self) -> str:
        return self.version[:12]

    @property
    def expressions_only(self) -> bool:
        """Whether the definition can be rebuilt from its record alone (no LazyFrame function)."""
        return all(s.transform is None for s in self.sources)


def _serialize(feature_set: str, source: str, name: str, expr: pl.Expr) -> str:
    where = f"Feature {name!r} of source {source!r} in feature set {feature_set!r}"
    try:
        text = expr.meta.serialize(format="json")
    except Exception as exc:
        raise FeatureError(f"{where} cannot be serialized by polars ({type(exc).__name__}: {exc}).") from exc
    check_no_python(json.loads(text), where)
    return text


#: Arrow IPC's continuation marker: how polars writes literal lists and series into JSON.
_IPC = [255, 255, 255, 255]


def check_no_python(tree: Any, where: str) -> None:
    """Refuse a serialized expression that carries a Python function.

    Polars writes such a function as pickled bytes; a definition holding one could not be
    versioned by its meaning, and reading it back would unpickle code. The only byte blobs
    allowed are Arrow IPC (literal lists and series).
    """
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "AnonymousFunction" in node or "PythonUdf" in node:
                break
            stack.extend(node.values())
        elif isinstance(node, list):
            if len(node) >= 4 and all(isinstance(v, int) for v in node):
                if node[:4] != _IPC:
                    break
            else:
                stack.extend(node)
    else:
        return
    raise FeatureError(
        f"{where} calls a Python function (map_elements, map_batches, a lambda ...), which cannot be versioned "
        "or read back safely. Write it with polars expressions, or move it into the source's transform (a "
        "LazyFrame function, versioned by its source text)."
    )


def _transform_text(feature_set: str, source: Source) -> dict[str, str]:
    function = source.transform
    assert function is not None
    try:
        text = inspect.getsource(function)
    except (OSError, TypeError) as exc:
        raise FeatureError(
            f"The transform of source {source.name!r} in feature set {feature_set!r} has no source text to version "
            f"({exc}); define it with `def` in the feature module."
        ) from exc
    lines = [line.rstrip() for line in textwrap.dedent(text).strip().splitlines()]
    return {"qualname": getattr(function, "__qualname__", "?"), "source": "\n".join(lines)}


def _deserialize(feature_set: str, name: str, text: str) -> pl.Expr:
    import io

    check_no_python(json.loads(text), f"The recorded feature {name!r} of feature set {feature_set!r}")
    return pl.Expr.deserialize(io.StringIO(text), format="json")


def rebuild(record: Mapping[str, Any]) -> FeatureSet:
    """A feature set rebuilt from its recorded :meth:`FeatureSet.definition` (expressions only).

    Polars deserializes the JSON expressions; nothing is executed. A definition with a
    LazyFrame function cannot be rebuilt this way (its code is not re-run from text).
    """
    sources = []
    for source in record["sources"]:
        if source.get("transform"):
            raise FeatureError(
                f"Feature set {record['name']!r} uses a LazyFrame function in source {source['name']!r}, whose "
                "recorded text workbench does not execute; restore that function in features/ so the current "
                "definition equals the recorded one."
            )
        ttl = source.get("ttl_seconds")
        sources.append(
            Source(
                name=source["name"],
                path=source["path"],
                features={n: _deserialize(record["name"], n, t) for n, t in source["features"]},
                ttl=timedelta(seconds=ttl) if ttl is not None else None,
                event_time=source["event_time"],
            )
        )
    return FeatureSet(
        name=record["name"],
        entity=record["entity"],
        event_time=record["event_time"],
        sources=tuple(sources),
        at=record.get("at", "decision_time"),
    )
