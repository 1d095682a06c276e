"""The value objects a drift check returns: one :class:`ColumnDrift` per tested column
and the :class:`DriftReport` that sums them up.

They hold plain Python values only, so a report can be stored as JSON with the model
version (``to_dict``) and compared in tests without numpy in the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ColumnDrift", "ColumnKind", "DriftReport", "ScoreKind"]

ColumnKind = Literal["num", "cat"]
"""How a column is tested: numerical or categorical (Evidently's two tabular kinds)."""

ScoreKind = Literal["p_value", "distance"]
"""A p-value drifts when it is small; a distance drifts when it is large."""


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict for one column.

    ``stattest`` is Evidently's registered name of the test (``ks``, ``chisquare``, ``z``,
    ``jensenshannon``, ``wasserstein``) and ``stattest_display`` the name its report shows.
    ``n_reference``/``n_current`` count the values the test saw: nulls, NaN and
    infinities are dropped first, as Evidently does. ``n_unique`` is the number of
    distinct values over both frames; for a numerical column it is only counted up to
    5 (the bound that picks the test) and is ``None`` above, as counting further would
    cost a hash of every value for nothing.
    """

    column: str
    column_type: ColumnKind
    stattest: str
    stattest_display: str
    score_kind: ScoreKind
    threshold: float
    score: float
    drifted: bool
    n_reference: int
    n_current: int
    n_unique: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "column_type": self.column_type,
            "stattest": self.stattest,
            "stattest_display": self.stattest_display,
            "score_kind": self.score_kind,
            "threshold": float(self.threshold),
            "score": float(self.score),
            "drifted": bool(self.drifted),
            "n_reference": int(self.n_reference),
            "n_current": int(self.n_current),
            "n_unique": None if self.n_unique is None else int(self.n_unique),
        }


@dataclass(frozen=True)
class DriftReport:
    """Per-column drift results and the dataset verdict.

    ``dataset_drift`` is ``drift_share >= share_threshold``, Evidently's rule (the
    preset's ``drift_share``, 0.5 by default). ``skipped`` lists, as ``(column, reason)``
    pairs, the columns that Evidently's preset would not test either (datetime and
    other non-tabular dtypes); they count in neither ``n_columns`` nor the share.
    """

    columns: tuple[ColumnDrift, ...]
    share_threshold: float
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def n_columns(self) -> int:
        return len(self.columns)

    @property
    def n_drifted(self) -> int:
        return sum(1 for result in self.columns if result.drifted)

    @property
    def drift_share(self) -> float:
        return self.n_drifted / self.n_columns if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drift_share >= self.share_threshold

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(result.column for result in self.columns if result.drifted)

    @property
    def column_types(self) -> dict[str, ColumnKind]:
        """The kind each tested column was given; pass it on to pin Evidently's types."""
        return {result.column: result.column_type for result in self.columns}

    def __getitem__(self, column: str) -> ColumnDrift:
        for result in self.columns:
            if result.column == column:
                return result
        raise KeyError(column)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "drift_share": float(self.drift_share),
            "share_threshold": float(self.share_threshold),
            "dataset_drift": self.dataset_drift,
            "columns": [result.to_dict() for result in self.columns],
            "skipped": {column: reason for column, reason in self.skipped},
        }
