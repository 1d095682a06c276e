"""``wb.features``: the kernel API's face of feature sets (docs/features.md).

Thin calls into :mod:`workbench.features`, with the project found from the notebook's
folder, as in :mod:`workbench.api`. Nothing heavy is imported until a function runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from workbench.features.definition import FeatureSet
    from workbench.features.materialize import Materialized

__all__ = ["get", "list", "materialize", "online", "training_set"]

_list = list


def _workspace() -> Any:
    from workbench.project.workspace import open_workspace

    return open_workspace()


def get(name: str) -> FeatureSet:
    """The feature set ``name`` as declared in the project's ``features/`` modules."""
    from workbench.features.catalog import get_feature_set

    return get_feature_set(_workspace().project, name)


def list() -> _list[dict[str, Any]]:  # wb.features.list() reads as the CLI's `features list`
    """Every feature set of the project: name, version, entity, sources and features."""
    from workbench.features.service import list_feature_sets

    return list_feature_sets(_workspace().project)


def training_set(
    name: str, entities: pl.DataFrame | pl.LazyFrame, at: str | None = None, *, lazy: bool = False
) -> pl.DataFrame | pl.LazyFrame:
    """``entities`` with each feature's latest value strictly before the row's ``at`` time, within its TTL.

    ``at`` defaults to the feature set's own (``decision_time`` unless it says otherwise);
    ``lazy=True`` returns the polars LazyFrame instead of collecting it.
    """
    from workbench.features.service import training_set as build

    return build(_workspace().project, name, entities, at=at, lazy=lazy)


def materialize(name: str, until: datetime | str | None = None, output: str | None = None) -> Materialized:
    """Write the offline store (Parquet dataset) and the online store (latest value per entity)."""
    from workbench.features.materialize import materialize as run
    from workbench.features.materialize import parse_until

    return run(_workspace(), name, until=parse_until(until), output=output)


def online(name: str, keys: Sequence[Any]) -> pl.DataFrame:
    """The online store's latest values for ``keys`` (one row per key, in order; nulls where unknown)."""
    from workbench.features.online import lookup

    return lookup(_workspace(), name, keys)
