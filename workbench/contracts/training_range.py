"""Rows outside what the model saw in training: :class:`TrainingRange` and its row masks.

A row is *outside the training range* when one of its features holds

* a number beyond the contract's ``[min, max]`` (the range seen in training, widened by
  an override file if any), each end extended by ``tolerance`` times ``max - min``;
* a non-finite number (``inf`` or ``-inf``; NaN is *missing*, which the model handles,
  and is not outside);
* a category the contract does not know, when unseen categories are allowed at all
  (``unseen_categories="review"``; with ``"refuse"`` they violate the contract).

Columns in ``ignore`` are exempt from the range and the category tests: their unusual
values are the model's to decide. Non-finite values are never exempt; no model scores
infinity meaningfully.

Scoring sends such rows to human review (``rule:outside_training_range``, see
:mod:`workbench.scoring.routing`). :class:`~workbench.contracts.arrow.ArrowContract`
finds them during its contract check, with the numpy min/max pass it makes anyway and
a row mask only for a column whose extremes fall outside; :func:`outside_masks` is the
same test on a polars frame, for the batches the Arrow path leaves to ``enforce``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts.model import ColumnSpec, InputContract
from workbench.contracts.validate import _same_enum, _unseen_mask
from workbench.core.errors import ValidationError

__all__ = ["UNSEEN_CATEGORY_POLICIES", "TrainingRange", "outside_masks"]

#: ``refuse``: an unseen category violates the contract (the job fails); ``review``: the row goes to review.
UNSEEN_CATEGORY_POLICIES = ("refuse", "review")


@dataclass(frozen=True)
class TrainingRange:
    """What counts as outside the training range (see the module docstring)."""

    tolerance: float = 0.0
    unseen_categories: str = "refuse"
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, int | float):
            raise ValidationError(f"The training-range tolerance must be a number, got {self.tolerance!r}.")
        if not math.isfinite(self.tolerance) or self.tolerance < 0:
            raise ValidationError(
                f"The training-range tolerance must be a finite share >= 0 of the range, got {self.tolerance!r}."
            )
        if self.unseen_categories not in UNSEEN_CATEGORY_POLICIES:
            raise ValidationError(
                f"unseen_categories must be one of {', '.join(UNSEEN_CATEGORY_POLICIES)}, "
                f"got {self.unseen_categories!r}."
            )
        object.__setattr__(self, "tolerance", float(self.tolerance))
        object.__setattr__(self, "ignore", tuple(dict.fromkeys(str(c) for c in self.ignore)))

    @property
    def allow_unseen(self) -> bool:
        """Whether unseen categories pass the contract check (and send their rows to review)."""
        return self.unseen_categories == "review"

    def exempt(self, column: str) -> bool:
        return column in self.ignore

    def bounds(self, spec: ColumnSpec) -> tuple[float | None, float | None]:
        """The lowest and highest value of ``spec`` inside the range (None: no bound that side)."""
        low, high = spec.minimum, spec.maximum
        if low is None or high is None or not self.tolerance:
            return (None if low is None else float(low)), (None if high is None else float(high))
        margin = (float(high) - float(low)) * self.tolerance
        return float(low) - margin, float(high) + margin

    def to_dict(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "unseen_categories": self.unseen_categories, "ignore": list(self.ignore)}


def _numeric_outside(spec: ColumnSpec, dtype: pl.DataType, guard: TrainingRange) -> pl.Expr | None:
    col = pl.col(spec.name)
    parts: list[pl.Expr] = []
    if dtype.is_float():
        parts.append(col.is_infinite())
    if not guard.exempt(spec.name):
        low, high = guard.bounds(spec)
        if low is not None:
            parts.append(col < low)
        if high is not None:
            parts.append(col > high)
    if not parts:
        return None
    outside = pl.any_horizontal(parts)
    # Polars orders NaN above every number; NaN is missing, not outside.
    return (outside & col.is_not_nan() if dtype.is_float() else outside).fill_null(False)


def outside_masks(
    frame: pl.DataFrame, contract: InputContract, guard: TrainingRange, features: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """A boolean row mask per feature of ``frame`` that has a row outside the training range
    (features without one are left out, so an in-range frame gives ``{}``)."""
    schema = frame.schema
    exprs: list[pl.Expr] = []
    for name in features if features is not None else contract.features:
        if name not in schema:
            continue
        spec, dtype = contract.column(name), schema[name]
        expr: pl.Expr | None = None
        if spec.kind in ("integer", "float") and dtype.is_numeric():
            expr = _numeric_outside(spec, dtype, guard)
        elif (
            spec.categories is not None
            and guard.allow_unseen
            and not guard.exempt(name)
            and not _same_enum(dtype, spec)
        ):
            expr = _unseen_mask(spec, dtype)
        if expr is not None:
            exprs.append(expr.alias(name))
    if not exprs or frame.height == 0:
        return {}
    masks = frame.select(exprs)
    return {column.name: column.to_numpy().astype(bool, copy=False) for column in masks.iter_columns() if column.any()}
