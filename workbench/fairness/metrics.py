"""Group fairness of a binary classifier, per sensitive column, computed with fairlearn's ``MetricFrame``.

For each sensitive column: selection rate, true and false positive rate and count by
group; demographic parity difference and ratio (of selection rates, between the
extreme groups); equalized odds difference (the larger of the TPR and FPR
differences), matching fairlearn's ``demographic_parity_*`` and
``equalized_odds_difference`` with their default ``between_groups`` method.

Predictions are ``score >= threshold``. Nulls (and NaN) in a sensitive column form
their own group, labelled ``"(missing)"``. A group without positive labels has no
defined TPR (without negatives, no FPR); fairlearn then reports 0, which enters the
equalized odds difference; such groups are named in ``notes``. When no row is
selected at all the parity ratio is 0/0 and reported as ``None``. Every number in
``to_dict()`` is finite, so reports serialise as canonical JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.core.values import plain_fields

__all__ = [
    "MISSING_GROUP",
    "FairnessReport",
    "GroupMetrics",
    "SensitiveColumnReport",
    "assess_fairness",
    "fairness_report",
]

MISSING_GROUP = "(missing)"


@dataclass(frozen=True)
class GroupMetrics:
    group: str
    count: int
    positives: int
    negatives: int
    selection_rate: float
    tpr: float
    fpr: float

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class SensitiveColumnReport:
    """Fairness of the predictions across the groups of one sensitive column."""

    column: str
    groups: tuple[GroupMetrics, ...]
    demographic_parity_difference: float
    demographic_parity_ratio: float | None
    equalized_odds_difference: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "groups": [g.to_dict() for g in self.groups],
            "demographic_parity_difference": self.demographic_parity_difference,
            "demographic_parity_ratio": self.demographic_parity_ratio,
            "equalized_odds_difference": self.equalized_odds_difference,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per group: group, count, positives, negatives, selection_rate, tpr, fpr."""
        frame = pl.DataFrame([g.to_dict() for g in self.groups])
        return frame.insert_column(0, pl.Series("column", [self.column] * frame.height, dtype=pl.String))


@dataclass(frozen=True)
class FairnessReport:
    threshold: float
    rows: int
    columns: tuple[SensitiveColumnReport, ...]

    def column(self, name: str) -> SensitiveColumnReport:
        for report in self.columns:
            if report.column == name:
                return report
        raise ValidationError(f"No fairness report for {name!r}; reported columns: {[c.column for c in self.columns]}.")

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "rows": self.rows, "columns": [c.to_dict() for c in self.columns]}

    def to_frame(self) -> pl.DataFrame:
        """All sensitive columns' group tables stacked, with a leading ``column`` column."""
        return pl.concat([c.to_frame() for c in self.columns], how="vertical")


def _binary(series: pl.Series, what: str) -> np.ndarray:
    """0/1 (or boolean) values as int8; ``what`` names them in errors."""
    if series.null_count():
        raise ValidationError(f"{what} has {series.null_count()} null value(s); fairness needs a value for every row.")
    values = series.cast(pl.Int8) if series.dtype == pl.Boolean else series
    distinct = set(values.unique().to_list())
    if not distinct <= {0, 1}:
        raise ValidationError(
            f"{what} must hold 0/1 (or booleans) for binary fairness metrics; found {sorted(distinct, key=str)[:5]}."
        )
    return values.cast(pl.Int8).to_numpy()


def _as_series(values: np.ndarray | pl.Series | Sequence[Any], name: str) -> pl.Series:
    return values if isinstance(values, pl.Series) else pl.Series(name, np.asarray(values))


def _column(df: pl.DataFrame, name: str, what: str, hint: str = "") -> pl.Series:
    if name not in df.columns:
        raise ValidationError(f"The {what} {name!r} is not in the frame; its columns are {df.columns}.{hint}")
    return df.get_column(name)


def _predictions(df: pl.DataFrame, scores: np.ndarray | pl.Series | str, threshold: float) -> np.ndarray:
    if isinstance(scores, str):
        values = _column(df, scores, "score column").cast(pl.Float64).to_numpy()
    else:
        values = np.asarray(scores.to_numpy() if isinstance(scores, pl.Series) else scores, dtype=np.float64)
    if values.shape != (df.height,):
        raise ValidationError(f"Expected {df.height} scores (one per row), got an array of shape {values.shape}.")
    if not np.isfinite(values).all():
        raise ValidationError("The scores hold NaN or infinite values; fairness needs a score for every row.")
    if not np.isfinite(threshold):
        raise ValidationError(f"The threshold must be a finite number, got {threshold!r}.")
    return (values >= threshold).astype(np.int8)


def _groups(series: pl.Series, column: str) -> np.ndarray:
    missing = series.is_null()
    if series.dtype.is_float():
        missing = missing | series.is_nan()
    if missing.all():
        raise ValidationError(f"The sensitive column {column!r} holds only null/NaN values; it defines no groups.")
    labels = series.cast(pl.String).set(missing, MISSING_GROUP) if missing.any() else series.cast(pl.String)
    distinct = labels.unique().sort().to_list()
    if len(distinct) < 2:
        raise ValidationError(
            f"The sensitive column {column!r} has a single group ({distinct[0]!r}); "
            "fairness compares at least two groups. Remove it from `sensitive=` or use data with more groups."
        )
    return labels.to_numpy()


def fairness_report(
    y_true: np.ndarray | pl.Series | Sequence[Any],
    y_pred: np.ndarray | pl.Series | Sequence[Any],
    sensitive: np.ndarray | pl.Series | Sequence[Any],
    *,
    column: str | None = None,
) -> SensitiveColumnReport:
    """Fairness of 0/1 decisions ``y_pred`` against 0/1 labels ``y_true`` across the groups of ``sensitive``.

    The array-level building block of :func:`assess_fairness`, for callers that have
    already thresholded their scores. ``column`` names the report (default: the
    Series' name, else ``"sensitive"``).
    """
    name = column or (sensitive.name if isinstance(sensitive, pl.Series) and sensitive.name else "sensitive")
    truth = _binary(_as_series(y_true, "y_true"), "y_true")
    decisions = _binary(_as_series(y_pred, "y_pred"), "y_pred")
    groups_series = _as_series(sensitive, name)
    if not len(truth) == len(decisions) == len(groups_series):
        raise ValidationError(
            f"y_true, y_pred and the sensitive column have different lengths "
            f"({len(truth)}, {len(decisions)}, {len(groups_series)}); pass one value per row."
        )
    if len(truth) == 0:
        raise ValidationError("There are no rows; fairness needs rows.")
    return _column_report(name, truth, decisions, _groups(groups_series, name))


def _column_report(column: str, y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray) -> SensitiveColumnReport:
    from fairlearn.metrics import MetricFrame, count, false_positive_rate, selection_rate, true_positive_rate

    # fairlearn takes numpy in and hands pandas back: this function is the only place
    # workbench's fairness code touches pandas, and only to read numbers out.
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "count": count,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    by_group = frame.by_group
    difference = frame.difference(method="between_groups")
    ratio = frame.ratio(method="between_groups")

    metrics: list[GroupMetrics] = []
    notes: list[str] = []
    for group in sorted(str(g) for g in by_group.index):
        row = by_group.loc[group]
        in_group = groups == group
        positives = int(y_true[in_group].sum())
        negatives = int(in_group.sum()) - positives
        if positives == 0:
            notes.append(f"group {group!r} has no positive labels; its TPR is undefined (reported as 0)")
        if negatives == 0:
            notes.append(f"group {group!r} has no negative labels; its FPR is undefined (reported as 0)")
        metrics.append(
            GroupMetrics(
                group=group,
                count=int(row["count"]),
                positives=positives,
                negatives=negatives,
                selection_rate=float(row["selection_rate"]),
                tpr=float(row["tpr"]),
                fpr=float(row["fpr"]),
            )
        )
    parity_ratio: float | None = float(ratio["selection_rate"])
    if parity_ratio is not None and np.isnan(parity_ratio):
        # fairlearn divides by the largest selection rate; when no group is selected it is 0/0.
        parity_ratio = None
        notes.append("no group has any positive prediction; the demographic parity ratio is undefined")
    return SensitiveColumnReport(
        column=column,
        groups=tuple(metrics),
        demographic_parity_difference=float(difference["selection_rate"]),
        demographic_parity_ratio=parity_ratio,
        equalized_odds_difference=float(max(difference["tpr"], difference["fpr"])),
        notes=tuple(notes),
    )


def assess_fairness(
    df: pl.DataFrame,
    *,
    target: str,
    scores: np.ndarray | pl.Series | str,
    sensitive: Sequence[str],
    threshold: float = 0.5,
) -> FairnessReport:
    """Fairness of ``score >= threshold`` against the 0/1 ``target`` for each ``sensitive`` column of ``df``.

    ``scores`` is a column name of ``df`` or one score per row (array or Series),
    e.g. ``booster.inplace_predict(feature_matrix(valid, contract))``.
    Raises :class:`ValidationError` for a missing column, a non-binary target, a
    sensitive column with a single group or only nulls, or bad scores.
    """
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    if not sensitive:
        raise ValidationError("Name at least one sensitive column.")
    if df.height == 0:
        raise ValidationError("The frame is empty; fairness needs rows.")
    y_true = _binary(_column(df, target, "target column"), f"The target column {target!r}")
    y_pred = _predictions(df, scores, threshold)
    hint = " Keep sensitive columns in the validation frame even when the model does not use them."
    # Check every column before computing any, so bad input fails before the slow part.
    groups = {column: _groups(_column(df, column, "sensitive column", hint), column) for column in sensitive}
    reports = tuple(_column_report(column, y_true, y_pred, groups[column]) for column in sensitive)
    return FairnessReport(threshold=float(threshold), rows=df.height, columns=reports)
