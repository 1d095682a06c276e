"""A served version's feature set: rows that carry only the entity key get their features from the online store.

A version registered with a feature set (issue 17, docs/features.md) records the set's name,
version and output columns in its signed ``feature_set`` artifact. A request may send raw
rows that carry those features already, as a batch job's input may; rows that carry the
set's entity key and none of its features get them by
:func:`workbench.features.online.lookup` with the recorded version (a store that another
definition wrote is refused), one lookup for the whole micro-batch. A row that carries some
of the features but not all, or a key the online store does not hold, is a 422 naming the
columns and how many keys, never the values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ContractViolation
from workbench.project.workspace import Workspace

__all__ = ["OnlineFeatures", "recorded_features", "with_online_features"]


@dataclass(frozen=True)
class OnlineFeatures:
    """What a version's ``feature_set`` artifact says a request needs looked up."""

    name: str
    version: str
    entity: str
    features: tuple[str, ...]


def recorded_features(workspace: Workspace, version: Any) -> OnlineFeatures | None:
    """The version's recorded feature set (read verified), or None without one."""
    if "feature_set" not in version.artifacts:
        return None
    artifact = version.artifact("feature_set")
    record = json.loads(workspace.artifacts.get_bytes(artifact.digest, name=f"{version.ref} feature set"))
    return OnlineFeatures(record["name"], record["version"], record["entity"], tuple(record["features"]))


def _needs_lookup(rows: list[dict[str, Any]], spec: OnlineFeatures) -> list[int]:
    """Indexes of the rows that carry the key and none of the features; a 422 for half-featured rows."""
    wanted: list[int] = []
    for i, row in enumerate(rows):
        given = [f for f in spec.features if f in row]
        if len(given) == len(spec.features):
            continue  # a raw row: its features are given, as a batch job's input may give them
        if given:
            raise ContractViolation(
                f"A row gives some of feature set {spec.name!r}'s features ({', '.join(given)}) but not all; send all "
                f"of them, or only the key {spec.entity!r} so the service looks them up in the online store.",
                details=[{"column": c, "kind": "partial_features"} for c in given],
            )
        if row.get(spec.entity) is None:
            raise ContractViolation(
                f"A row carries neither feature set {spec.name!r}'s features nor its key {spec.entity!r}.",
                details=[{"column": spec.entity, "kind": "missing"}],
            )
        wanted.append(i)
    return wanted


def with_online_features(
    workspace: Workspace, specs: list[OnlineFeatures], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` with each spec's features looked up where a row carries only the key."""
    from workbench.features.online import lookup

    for spec in specs:
        wanted = _needs_lookup(rows, spec)
        if not wanted:
            continue
        keys = [rows[i][spec.entity] for i in wanted]
        values = lookup(workspace, spec.name, keys, version=spec.version).drop(spec.entity)
        found = values.to_dicts()
        unknown = sum(1 for v in found if all(x is None for x in v.values()))
        if unknown:
            raise ContractViolation(
                f"{unknown} key(s) of the request are not in the online store of feature set {spec.name!r}; "
                "materialize it again, or send the rows with their features.",
                details=[{"column": spec.entity, "kind": "unknown_keys", "count": unknown}],
            )
        rows = list(rows)
        for i, features in zip(wanted, found, strict=True):
            rows[i] = {**rows[i], **features}
    return rows
