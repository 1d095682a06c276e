"""Evidently 0.7.23's default decisions, restated: which kind a column is, which test it
gets, which threshold, and which side of the threshold is drift.

Sources mirrored (paths under ``evidently/``):

- ``core/datasets.py: infer_column_type`` — the kind, inferred from the *current* frame
  (``Report.run`` takes the data definition of its first argument): floats are numerical;
  integers are categorical with at most 10 distinct values, numerical above; strings are
  text when more than half their non-null values are distinct, categorical otherwise;
  booleans and pandas categoricals are categorical; datetimes and anything else are not
  tested by ``DataDriftPreset``.
- ``legacy/calculations/stattests/registry.py: _get_default_stattest`` — the test, from
  the kind, the number of reference values left after dropping nulls, and the number of
  distinct values over both frames.
- ``legacy/calculations/stattests/*.py`` — thresholds and comparison sides: p-values
  drift below the threshold (K–S: at or below), distances at or above it.

Where Evidently's rule depends on a pandas dtype that polars spells differently, the
rule is applied to the polars dtype: ``UInt*`` and ``Int*`` with nulls are treated as
integers (pandas would see ``uint64``, which Evidently leaves untested, and ``float64``),
and a ``Boolean`` with nulls as categorical (pandas would see ``object``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from workbench.drift.report import ColumnKind, ScoreKind

__all__ = [
    "INTEGER_CARDINALITY_LIMIT",
    "SMALL_REFERENCE_ROWS",
    "STATTESTS",
    "StatTest",
    "choose_stattest",
    "dtype_family",
    "kind_for",
]

# core/datasets.py: INTEGER_CARDINALITY_LIMIT
INTEGER_CARDINALITY_LIMIT = 10
# registry.py: p-value tests up to this many reference values, distances above
SMALL_REFERENCE_ROWS = 1000
# registry.py: up to this many distinct values a numerical column is tested like a categorical one
FEW_VALUES = 5

DtypeFamily = Literal["float", "int", "string", "bool", "categorical", "datetime", "null", "other"]
InferredKind = Literal["num", "cat", "text", "datetime", "unknown"]


@dataclass(frozen=True)
class StatTest:
    """One of Evidently's registered tests with its default threshold."""

    name: str
    display_name: str
    threshold: float
    score_kind: ScoreKind
    inclusive: bool  # whether a score equal to the threshold is drift

    def is_drift(self, score: float) -> bool:
        if self.score_kind == "p_value":
            return score <= self.threshold if self.inclusive else score < self.threshold
        return score >= self.threshold


STATTESTS: dict[str, StatTest] = {
    # ks_stattest.py: ``p_value <= threshold``
    "ks": StatTest("ks", "K-S p_value", 0.05, "p_value", inclusive=True),
    # chisquare_stattest.py and z_stattest.py: ``p_value < threshold``
    "chisquare": StatTest("chisquare", "chi-square p_value", 0.05, "p_value", inclusive=False),
    "z": StatTest("z", "Z-test p_value", 0.05, "p_value", inclusive=False),
    # jensenshannon.py and wasserstein_distance_norm.py: ``distance >= threshold``
    "jensenshannon": StatTest("jensenshannon", "Jensen-Shannon distance", 0.1, "distance", inclusive=True),
    "wasserstein": StatTest("wasserstein", "Wasserstein distance (normed)", 0.1, "distance", inclusive=True),
}


def choose_stattest(kind: ColumnKind, n_reference: int, n_unique: int) -> StatTest:
    """Evidently's ``_get_default_stattest`` for tabular columns.

    ``n_reference`` counts the reference values after nulls, NaN and infinities are dropped;
    ``n_unique`` the distinct values of both frames together (only whether it is above 2
    and above 5 matters).
    """
    if n_reference <= SMALL_REFERENCE_ROWS:
        if kind == "num" and n_unique > FEW_VALUES:
            return STATTESTS["ks"]
        return STATTESTS["chisquare"] if n_unique > 2 else STATTESTS["z"]
    if kind == "num" and n_unique > FEW_VALUES:
        return STATTESTS["wasserstein"]
    return STATTESTS["jensenshannon"]


def dtype_family(dtype: pl.DataType) -> DtypeFamily:
    """Group polars dtypes the way Evidently's inference tells pandas dtypes apart."""
    if dtype.is_float():
        return "float"
    if dtype.is_integer():
        return "int"
    if dtype == pl.String:
        return "string"
    if dtype == pl.Boolean:
        return "bool"
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return "categorical"
    if isinstance(dtype, pl.Date | pl.Datetime):
        return "datetime"
    if dtype == pl.Null:
        return "null"
    return "other"


def kind_for(family: DtypeFamily, n_unique: int, n_non_null: int) -> InferredKind:
    """Evidently's ``infer_column_type`` on the current frame's column.

    ``n_unique`` and ``n_non_null`` exclude nulls, as pandas' ``nunique``/``count`` do.
    """
    if family == "float":
        return "num"
    if family == "int":
        return "cat" if n_unique <= INTEGER_CARDINALITY_LIMIT else "num"
    if family == "string":
        return "text" if n_unique > n_non_null * 0.5 else "cat"
    if family in ("bool", "categorical"):
        return "cat"
    if family == "datetime":
        return "datetime"
    return "unknown"
