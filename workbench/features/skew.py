"""The skew check: training values recomputed at scoring time must equal what training stored.

At registration, :func:`skew_sample` keeps a seeded sample of the training frame's rows (entity
key, time, every feature) in the version's ``feature_set`` artifact, as Arrow IPC so that dtypes
and float bits survive. At scoring, :func:`check_skew` recomputes the features of those rows with
the definition the job uses, through :func:`~workbench.features.pit.point_in_time` (the training
code path), and compares them value by value: an exact match is expected for deterministic
features, so any difference is skew (a definition, a source's past or a library that changed).
A null equals a null and NaN equals NaN. The result is recorded in the job's stats and shown in
the audit report; the job is not refused for it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import polars as pl

from workbench.features.definition import FeatureSet
from workbench.features.errors import FeatureError
from workbench.features.pit import Timeline, point_in_time
from workbench.project.config import Project

__all__ = ["SAMPLE_ROWS", "check_skew", "skew_sample"]

#: How many training rows a version keeps for the skew check.
SAMPLE_ROWS = 200
_EXAMPLES = 5


def skew_sample(train: pl.DataFrame, feature_set: FeatureSet, features: list[str]) -> dict[str, Any] | None:
    """A seeded sample of ``train``'s rows to check at scoring (None: no time column to recompute at)."""
    wanted = [feature_set.entity, feature_set.at, *features]
    if any(column not in train.columns for column in wanted):
        return None
    sample = train.select(wanted).sample(n=min(SAMPLE_ROWS, train.height), seed=17)
    buffer = io.BytesIO()
    sample.write_ipc(buffer, compression="zstd")
    return {"rows": sample.height, "ipc": base64.b64encode(buffer.getvalue()).decode("ascii")}


def _read(record: dict[str, Any]) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(base64.b64decode(record["ipc"])))


def _differs(trained: pl.Series, now: pl.Series) -> pl.Series:
    same = trained.eq_missing(now)
    if trained.dtype.is_float() and now.dtype.is_float():
        same = same | (trained.is_nan() & now.is_nan()).fill_null(False)
    return ~same


def check_skew(
    project: Project,
    feature_set: FeatureSet,
    record: dict[str, Any] | None,
    timelines: Sequence[Timeline] | None = None,
) -> dict[str, Any]:
    """Recompute the sampled training rows and compare; what the job's stats record. ``timelines``
    (:func:`~workbench.features.pit.read_timelines`) spares reading the sources again."""
    if record is None:
        return {
            "status": "not checked",
            "reason": f"the version was registered without training rows holding {feature_set.at!r}",
        }
    sample = _read(record)
    entity, at = feature_set.entity, feature_set.at
    features = [c for c in sample.columns if c not in (entity, at)]
    try:
        now = point_in_time(project, feature_set, sample.select(entity, at), at=at, timelines=timelines).collect()
    except (FeatureError, pl.exceptions.PolarsError) as exc:
        # Scoring from the online store may run where the sources are not: say so, do not fail the job.
        return {"status": "not checked", "reason": str(exc).splitlines()[0], "rows": sample.height}
    columns: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    mismatched = pl.Series("any", [False] * sample.height)
    for column in features:
        if column not in now.columns:
            columns[column] = sample.height
            mismatched = pl.Series("any", [True] * sample.height)
            continue
        differs = _differs(sample[column], now[column].cast(sample[column].dtype, strict=False))
        if differs.any():
            columns[column] = int(differs.sum())
            mismatched = mismatched | differs
            for i in differs.arg_true().head(_EXAMPLES - len(examples)).to_list():
                examples.append(
                    {
                        entity: str(sample[entity][i]),
                        at: str(sample[at][i]),
                        "feature": column,
                        "training": repr(sample[column][i]),
                        "now": repr(now[column][i]),
                    }
                )
    rows = int(mismatched.sum())
    return {
        "status": "skew" if rows else "match",
        "rows": sample.height,
        "mismatched_rows": rows,
        "columns": columns,
        "examples": examples,
    }
