"""A model version's feature set: what registration records, and how scoring computes it again.

:func:`record_feature_set` is the ``feature_set`` artifact a version carries: the set's
name, version (definition hash), normalized definition and output columns. It goes into the
version's artifacts before they are signed, so scoring reads it verified.

:func:`featurize_input` is how a scoring job of such a version gets its features: by
:func:`~workbench.features.pit.point_in_time`, the code path that built the training set,
when the input holds entity rows with their time (the feature set's ``at`` column), or from
the online store when it holds keys only. It refuses a current definition whose hash differs
from the recorded one unless the job asks for the recorded definition, which is then rebuilt
from the record (possible for expression-only sets; polars deserializes JSON, nothing runs).
It also runs the skew check (:mod:`~workbench.features.skew`) on the training rows the record keeps.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.features.catalog import get_feature_set
from workbench.features.definition import FeatureSet, rebuild
from workbench.features.errors import FeatureDefinitionChanged, FeatureError, UnknownFeatureSet
from workbench.features.online import lookup
from workbench.features.pit import point_in_time, read_timelines
from workbench.features.skew import check_skew, skew_sample
from workbench.features.timeline import feature_names, timeline
from workbench.project.config import Project
from workbench.project.workspace import Workspace

__all__ = ["DEFINITIONS", "featurize_input", "record_feature_set"]

#: Which definition a scoring job computes features with.
DEFINITIONS = ("current", "recorded")


def _outputs(project: Project, feature_set: FeatureSet) -> list[str]:
    names: list[str] = []
    for source in feature_set.sources:
        schema = None if source.features else timeline(project, feature_set, source).collect_schema()
        names.extend(feature_names(feature_set, source, schema))
    return names


def record_feature_set(project: Project, name: str, train: pl.DataFrame | Sequence[str]) -> dict[str, Any]:
    """The ``feature_set`` artifact of a version trained on ``train`` (a frame, or its column names).

    A training frame that holds the entity key and the ``at`` time also gives the skew check its
    sample of training rows (:func:`~workbench.features.skew.skew_sample`).
    """
    feature_set = get_feature_set(project, name)
    columns = train.columns if isinstance(train, pl.DataFrame) else list(train)
    outputs = _outputs(project, feature_set)
    missing = [c for c in outputs if c not in columns]
    if missing:
        raise FeatureError(
            f"`train` lacks column(s) {', '.join(missing)} of feature set {name!r}; build the training frame with "
            f"wb.features.training_set({name!r}, entities) so the model is trained on what scoring will compute.",
            details={"feature_set": name, "missing": missing},
        )
    return {
        "name": feature_set.name,
        "version": feature_set.version,
        "entity": feature_set.entity,
        "at": feature_set.at,
        "features": outputs,
        "definition": feature_set.definition(),
        "skew_sample": skew_sample(train, feature_set, outputs) if isinstance(train, pl.DataFrame) else None,
    }


def _definition(project: Project, record: dict[str, Any], definition: str, model: str) -> tuple[FeatureSet, str]:
    if definition not in DEFINITIONS:
        raise FeatureError(f"feature_definition must be one of {', '.join(DEFINITIONS)}, not {definition!r}.")
    name, recorded = record["name"], record["version"]
    try:
        current: FeatureSet | None = get_feature_set(project, name)
    except UnknownFeatureSet:
        current = None
    if current is not None and current.version == recorded:
        return current, "current"
    if definition == "recorded":
        rebuilt = rebuild(record["definition"])
        if rebuilt.version != recorded:
            raise FeatureDefinitionChanged(
                f"The recorded definition of feature set {name!r} in {model} does not rebuild to its version "
                f"{recorded[:12]} with this polars; score with the polars version it was registered with."
            )
        return rebuilt, "recorded"
    now = f"is at version {current.version[:12]}" if current is not None else "is no longer declared in features/"
    raise FeatureDefinitionChanged(
        f"Feature set {name!r} {now}, but {model} was trained with version {recorded[:12]}; scoring refuses to "
        "compute its features differently. Register a new version trained on the current definition, or score with "
        "feature_definition='recorded' (--feature-definition recorded) to compute them with the recorded one.",
        details={"feature_set": name, "recorded": recorded, "current": current.version if current else None},
    )


def _scan(location: str) -> pl.LazyFrame:
    target = location.rstrip("/") + "/**/*.parquet" if os.path.isdir(location) else location
    return pl.scan_parquet(target)


def featurize_input(
    workspace: Workspace,
    record: dict[str, Any],
    input_location: str,
    staged: Path,
    *,
    model: str,
    definition: str = "current",
) -> dict[str, Any]:
    """Write ``input`` with the recorded feature set's columns to ``staged``; returns what the job records."""
    feature_set, used = _definition(workspace.project, record, definition, model)
    frame = _scan(input_location)
    columns = frame.collect_schema().names()
    staged.parent.mkdir(parents=True, exist_ok=True)
    timelines = None
    if feature_set.at in columns:
        mode = "point-in-time"
        from workbench.features.service import collect

        # Read the sources once for the input and for the skew check's training rows.
        timelines = read_timelines(workspace.project, feature_set)
        computed = point_in_time(workspace.project, feature_set, frame, timelines=timelines)
        collect(computed, feature_set).write_parquet(staged)
    elif feature_set.entity in columns:
        mode = "online"
        clashes = [c for c in record["features"] if c in columns]
        if clashes:
            raise FeatureError(
                f"The input already has column(s) {', '.join(clashes)}, which feature set {feature_set.name!r} "
                "computes; drop them so no value computed another way is used.",
                details={"columns": clashes},
            )
        entities = frame.collect()
        values = lookup(workspace, feature_set.name, entities[feature_set.entity], version=record["version"])
        unknown = values.filter(pl.all_horizontal(pl.exclude(feature_set.entity).is_null()))[feature_set.entity]
        if unknown.len():
            raise FeatureError(
                f"{unknown.len():,} key(s) of the input are not in the online store of feature set "
                f"{feature_set.name!r}, e.g. {', '.join(map(str, unknown.head(3).to_list()))}; materialize it again "
                f"or give their rows with a {feature_set.at!r} column so features are computed from the sources.",
                details={"keys": [str(k) for k in unknown.head(20).to_list()]},
            )
        entities.hstack(values.drop(feature_set.entity)).write_parquet(staged)
    else:
        raise FeatureError(
            f"{model} computes its features with feature set {feature_set.name!r}, so its input needs the entity key "
            f"{feature_set.entity!r} and, to compute them from the sources, the time of each row "
            f"({feature_set.at!r}); the input has: {', '.join(columns)}.",
            details={"missing": [feature_set.entity, feature_set.at]},
        )
    return {
        "name": feature_set.name,
        "version": record["version"],
        "definition": used,
        "mode": mode,
        "raw_input": input_location,
        "computed": str(staged),
        "skew": check_skew(workspace.project, feature_set, record.get("skew_sample"), timelines),
    }
