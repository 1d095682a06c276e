"""The training-range guard in a scored batch: the rows it takes, its counts, what reviewers read.

The contract check marks, per feature, the rows outside the training range
(:class:`~workbench.contracts.arrow.BatchCheck`, or
:func:`~workbench.contracts.training_range.outside_masks` on the polars path); a batch
in range has no marks and costs nothing here. For a batch with some, :func:`any_outside`
is the one mask routing needs (:meth:`~workbench.scoring.routing.Routing.codes`),
:func:`outside_counts` what the job's ``stats.outside_training_range`` adds up, and
:func:`details` the ``detail`` of each review item, naming the columns and values::

    {"outside_training_range": [
        {"column": "gpa", "value": 100.0, "why": "above", "min": 0.96, "max": 4.0},
        {"column": "test_score", "value": "inf", "why": "non_finite", "min": 400.0, "max": 1600.0},
        {"column": "region", "value": "Territories", "why": "unseen_category"}]}

Non-finite values are written as the strings ``"inf"`` and ``"-inf"``, so the detail is
strict JSON (browsers reject ``Infinity``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from workbench.contracts import InputContract
from workbench.contracts.training_range import TrainingRange
from workbench.scoring.routing import GUARD_RULE

__all__ = ["any_outside", "details", "outside_counts"]


def any_outside(outside: dict[str, np.ndarray]) -> np.ndarray | None:
    """The rows outside the training range in any column; None when there are none."""
    if not outside:
        return None
    masks = iter(outside.values())
    combined = next(masks).copy()
    for mask in masks:
        combined |= mask
    return combined


def outside_counts(outside: dict[str, np.ndarray]) -> dict[str, int]:
    """Rows outside the training range per column (a row outside in two columns counts in both)."""
    return {column: int(np.count_nonzero(mask)) for column, mask in outside.items()}


def _entry(column: str, value: Any, contract: InputContract, guard: TrainingRange) -> dict[str, Any]:
    spec = contract.column(column)
    if spec.kind not in ("integer", "float") or isinstance(value, (str, bool)):
        return {"column": column, "value": value, "why": "unseen_category"}
    entry: dict[str, Any] = {"column": column, "value": value}
    if isinstance(value, float) and not math.isfinite(value):
        entry["value"], entry["why"] = ("inf" if value > 0 else "-inf"), "non_finite"
    else:
        low, _ = guard.bounds(spec)
        entry["why"] = "below" if low is not None and value < low else "above"
    entry["min"], entry["max"] = spec.minimum, spec.maximum
    return entry


def details(
    batch: Any, rows: np.ndarray, outside: dict[str, np.ndarray], contract: InputContract, guard: TrainingRange
) -> list[str | None]:
    """For each batch row index in ``rows``, the JSON detail of its values outside the training
    range, or None for a row without any."""
    import pyarrow as pa

    entries: list[list[dict[str, Any]]] = [[] for _ in range(rows.size)]
    for column, mask in outside.items():
        picked = np.flatnonzero(mask[rows])
        if not picked.size:
            continue
        values = batch.column(column).take(pa.array(rows[picked])).to_pylist()
        for position, value in zip(picked.tolist(), values, strict=True):
            entries[position].append(_entry(column, value, contract, guard))
    return [json.dumps({GUARD_RULE: found}, allow_nan=False) if found else None for found in entries]
