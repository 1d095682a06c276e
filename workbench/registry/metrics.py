"""Validation metrics of a registered version, computed with numpy.

Classification: AUC, accuracy, log loss, Brier score and a ten-bin calibration
table. Regression: RMSE, MAE and R². User-supplied metrics are merged on top, and
their names must not shadow the computed ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.errors import ValidationError

__all__ = ["KNOWN_METRICS", "classification_metrics", "merge_user_metrics", "regression_metrics"]

KNOWN_METRICS = {"auc", "accuracy", "log_loss", "brier", "rmse", "mae", "r2", "n_valid", "positive_rate"}


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """Rank-based AUC (Mann-Whitney U), with ties averaged."""
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    sorted_p = p[order]
    # Average ranks over ties.
    boundaries = np.flatnonzero(np.diff(sorted_p)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(p)]))
    average = (starts + ends - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(average, ends - starts)
    positives = y == 1
    n_pos = int(positives.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValidationError("The validation target has one class only; AUC needs both 0 and 1 labels in `valid`.")
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1 - 1e-15)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValidationError("A classification target must hold 0/1 labels only.")
    predicted = (p >= threshold).astype(np.float64)
    bins = np.minimum((p * 10).astype(int), 9)
    calibration = []
    for index in range(10):
        mask = bins == index
        count = int(mask.sum())
        if count:
            calibration.append(
                {
                    "bin": f"{index / 10:.1f}-{(index + 1) / 10:.1f}",
                    "count": count,
                    "mean_predicted": float(p[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                }
            )
    return {
        "auc": _auc(y, p),
        "accuracy": float((predicted == y).mean()),
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "brier": float(np.mean((p - y) ** 2)),
        "positive_rate": float(predicted.mean()),
        "n_valid": len(y),
        "threshold": threshold,
        "calibration": calibration,
    }


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    y = np.asarray(y_true, dtype=np.float64)
    yhat = np.asarray(predicted, dtype=np.float64)
    residual = y - yhat
    total = float(((y - y.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(1 - (residual**2).sum() / total) if total > 0 else 0.0,
        "n_valid": len(y),
    }


def merge_user_metrics(computed: dict[str, Any], user: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(computed)
    for key, value in (user or {}).items():
        if key in computed:
            raise ValidationError(f"User metric {key!r} would overwrite the computed one; give it another name.")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value):
            raise ValidationError(f"User metric {key!r} must be a finite number, got {value!r}.")
        merged[key] = float(value)
    return merged
