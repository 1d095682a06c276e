"""Realized performance and fairness on decided rows with outcomes: pure functions over numpy/polars.

* AUC by the rank-sum (Mann-Whitney) formula, ties counted half, ``None`` with one class only;
* Brier score, the mean squared gap between score and label;
* reliability bins (10 equal-width score bins: rows, mean score, observed rate) and the
  expected calibration error, the row-weighted mean of |mean score - observed rate|;
* fairness on outcomes per sensitive column: per group the rows, selection rate (share the
  automation accepted), TPR and FPR, for groups of at least the policy's ``min_group_size``
  rows; the gaps are max - min across those groups and the largest of them is the
  column's ``fairness_gap``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

__all__ = ["auc", "brier", "fairness", "reliability"]


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    positives = int(labels.sum())
    negatives = int(labels.size - positives)
    if positives == 0 or negatives == 0:
        return None
    ranks = pl.Series(scores).rank("average").to_numpy()
    total = float(ranks[labels == 1].sum())
    return (total - positives * (positives + 1) / 2) / (positives * negatives)


def brier(scores: np.ndarray, labels: np.ndarray) -> float | None:
    if not scores.size:
        return None
    return float(np.mean((scores.astype(np.float64) - labels) ** 2))


def reliability(scores: np.ndarray, labels: np.ndarray, bins: int = 10) -> tuple[float | None, list[dict[str, Any]]]:
    """The expected calibration error and the reliability bins (empty bins left out)."""
    if not scores.size:
        return None, []
    index = np.minimum((scores.astype(np.float64) * bins).astype(np.int64), bins - 1)
    rows = np.bincount(index, minlength=bins)
    score_sum = np.bincount(index, weights=scores.astype(np.float64), minlength=bins)
    label_sum = np.bincount(index, weights=labels.astype(np.float64), minlength=bins)
    table = []
    error = 0.0
    for b in range(bins):
        if not rows[b]:
            continue
        mean_score, observed = score_sum[b] / rows[b], label_sum[b] / rows[b]
        error += rows[b] * abs(mean_score - observed)
        table.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "rows": int(rows[b]),
                "mean_score": round(float(mean_score), 4),
                "observed_rate": round(float(observed), 4),
            }
        )
    return error / scores.size, table


def _rate(numerator: pl.Expr, mask: pl.Expr) -> pl.Expr:
    denominator = mask.cast(pl.Int64).sum()
    return pl.when(denominator > 0).then((numerator & mask).cast(pl.Int64).sum() / denominator).otherwise(None)


def fairness(frame: pl.DataFrame, columns: list[str], min_group_size: int) -> dict[str, Any]:
    """Per sensitive column: groups (rows, selection rate, TPR, FPR) and gaps. ``frame`` has ``selected``
    (bool), ``label`` (0/1) and the columns."""
    result: dict[str, Any] = {}
    for column in columns:
        if column not in frame.columns:
            continue
        groups = (
            frame.group_by(pl.col(column).cast(pl.String).fill_null("(missing)").alias("group"))
            .agg(
                pl.len().alias("rows"),
                pl.col("selected").cast(pl.Float64).mean().alias("selection_rate"),
                _rate(pl.col("selected"), pl.col("label") == 1).alias("tpr"),
                _rate(pl.col("selected"), pl.col("label") == 0).alias("fpr"),
            )
            .sort("group")
        )
        counted = groups.filter(pl.col("rows") >= min_group_size)
        gaps = {}
        for metric in ("selection_rate", "tpr", "fpr"):
            values = counted.get_column(metric).drop_nulls()
            spread = values.cast(pl.Float64).to_numpy()
            gaps[metric] = round(float(spread.max() - spread.min()), 4) if spread.size >= 2 else None
        known = [g for g in gaps.values() if g is not None]
        result[column] = {
            "groups": groups.to_dicts(),
            "min_group_size": min_group_size,
            "small_groups": groups.filter(pl.col("rows") < min_group_size).get_column("group").to_list(),
            "gaps": gaps,
            "fairness_gap": max(known) if known else None,
        }
    return result
