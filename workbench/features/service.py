"""The verbs the faces call: describe, list and get feature sets, and build training sets (in memory,
or from an entity file to a Parquet file for a pipeline stage)."""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.features.catalog import feature_sets, get_feature_set
from workbench.features.definition import FeatureSet
from workbench.features.errors import FeatureError
from workbench.features.pit import point_in_time
from workbench.project.config import Project

__all__ = ["collect", "describe", "list_feature_sets", "training_set", "write_training_set"]


def describe(feature_set: FeatureSet, module: str | None = None) -> dict[str, Any]:
    """What `workbench features show` prints: name, version, entity, sources and their features."""
    return {
        "name": feature_set.name,
        "version": feature_set.version,
        "module": module,
        "entity": feature_set.entity,
        "event_time": feature_set.event_time,
        "at": feature_set.at,
        "description": feature_set.description,
        "sources": [
            {
                "name": s.name,
                "path": s.path,
                "event_time": feature_set.time_of(s),
                "ttl": str(s.ttl) if s.ttl is not None else None,
                "features": list(s.features),
                "transform": getattr(s.transform, "__qualname__", None),
            }
            for s in feature_set.sources
        ],
    }


def list_feature_sets(project: Project) -> list[dict[str, Any]]:
    return [describe(entry.feature_set, entry.module) for entry in feature_sets(project).values()]


def training_set(
    project: Project,
    name: str | FeatureSet,
    entities: pl.DataFrame | pl.LazyFrame,
    *,
    at: str | None = None,
    lazy: bool = False,
) -> pl.DataFrame | pl.LazyFrame:
    """``entities`` with the feature set's values as of strictly before each row's ``at``."""
    feature_set = name if isinstance(name, FeatureSet) else get_feature_set(project, name)
    frame = point_in_time(project, feature_set, entities, at=at)
    return frame if lazy else collect(frame, feature_set)


def collect(frame: pl.LazyFrame, feature_set: FeatureSet) -> pl.DataFrame:
    """Collect, turning a failure inside a feature expression or transform into a clear error."""
    try:
        return frame.collect()
    except pl.exceptions.PolarsError as exc:
        raise FeatureError(
            f"Computing feature set {feature_set.name!r} failed ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); a feature expression or transform "
            "fails on the data. Fix it in the feature module."
        ) from exc


def write_training_set(
    project: Project, name: str, entities: str, output: str, *, at: str | None = None
) -> dict[str, Any]:
    """``workbench features training-set``: the training set of the entity rows in ``entities`` (Parquet),
    written to ``output`` through a temporary file renamed into place (a clean DVC out)."""
    from workbench.project.paths import resolve_location

    feature_set = get_feature_set(project, name)
    source = resolve_location(project, entities, "entity frame")
    target = project.resolve_inside(output, "training set")
    frame = collect(point_in_time(project, feature_set, pl.scan_parquet(source), at=at), feature_set)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp")
    frame.write_parquet(staging)
    staging.replace(target)
    return {
        "name": feature_set.name,
        "version": feature_set.version,
        "rows": frame.height,
        "columns": frame.columns,
        "output": project.relative(target),
    }
