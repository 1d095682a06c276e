"""Input contracts: what a model's input must look like, derived from its training frame.

A contract records the columns a model reads (ordered features, plus key columns that
identify rows), their polars dtypes, nullability, numeric ranges and category sets.
The registry derives one at registration (:func:`derive_contract`, widened by an
override file via :func:`load_overrides`/:func:`apply_overrides`), ``wb.validate``
shows :func:`validate`'s per-column report, and scoring checks every batch with
:class:`~workbench.contracts.arrow.ArrowContract` (the same verdicts on Arrow buffers,
falling back to :func:`enforce`) and gives the model its features as a columnar table
(:func:`feature_matrix` is the dense ``float32`` form of the same encoding).
"""

from __future__ import annotations

from workbench.contracts.derive import DEFAULT_MAX_CATEGORIES, derive_contract
from workbench.contracts.features import feature_matrix
from workbench.contracts.model import ColumnSpec, InputContract
from workbench.contracts.overrides import (
    ColumnOverride,
    ContractOverrides,
    KeyOverride,
    apply_overrides,
    load_overrides,
)
from workbench.contracts.validate import ColumnIssue, ColumnReport, ValidationReport, enforce, validate

__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "ColumnIssue",
    "ColumnOverride",
    "ColumnReport",
    "ColumnSpec",
    "ContractOverrides",
    "InputContract",
    "KeyOverride",
    "ValidationReport",
    "apply_overrides",
    "derive_contract",
    "enforce",
    "feature_matrix",
    "load_overrides",
    "validate",
]
