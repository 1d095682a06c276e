"""Per-row SHAP contributions from XGBoost itself, and their global and sampled summaries.

``Booster.predict(..., pred_contribs=True)`` is exact TreeSHAP (the shap package calls
the same routine for XGBoost models); with ``approx_contribs=True`` it is Saabas'
per-path attribution, far cheaper. On a GPU, XGBoost runs GPUTreeShap for the exact
method. XGBoost has no GPU implementation of the approximate method, so
``method="approx"`` always runs on the CPU; :func:`effective_device` says which device
a call really uses, for recording with a job or a model version.

Contributions are in margin space (log-odds for ``binary:logistic``): they and the
bias add up to the untransformed prediction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.explain.device import select_device

if TYPE_CHECKING:
    import xgboost

__all__ = [
    "METHODS",
    "LocalExplanations",
    "contributions",
    "effective_device",
    "global_importance",
    "local_sample",
]

METHODS = ("exact", "approx")


def effective_device(method: str, device: str = "cpu") -> str:
    """The device :func:`contributions` runs on for ``method`` and requested ``device``."""
    if method not in METHODS:
        raise ValidationError(f"Unknown explanation method {method!r}; use one of {METHODS}.")
    resolved = select_device(device)
    return "cpu" if method == "approx" else resolved


def _names(booster: xgboost.Booster, feature_names: Sequence[str] | None, width: int) -> list[str]:
    model_names = booster.feature_names
    if feature_names is None:
        names = list(model_names) if model_names else [f"f{i}" for i in range(width)]
    else:
        names = list(feature_names)
        if model_names and names != list(model_names):
            raise ValidationError(
                f"feature_names {names} differ from the model's {list(model_names)}; "
                "build the matrix in the model's feature order (see `workbench.contracts.feature_matrix`)."
            )
    if len(names) != width or width != booster.num_features():
        raise ValidationError(
            f"The data has {width} columns and {len(names)} feature names, "
            f"but the model takes {booster.num_features()} features."
        )
    return names


def _as_matrix(X: np.ndarray | pl.DataFrame, feature_names: Sequence[str] | None) -> np.ndarray:
    if isinstance(X, pl.DataFrame):
        columns = list(feature_names) if feature_names is not None else X.columns
        # Only numeric frames convert here; categorical features go through the contract's encoding.
        return X.select(pl.col(c).cast(pl.Float32) for c in columns).to_numpy(order="c")
    matrix = np.asarray(X)
    if matrix.ndim != 2:
        raise ValidationError(f"Expected a 2-D feature matrix, got shape {matrix.shape}.")
    return matrix


def _booster_device(booster: xgboost.Booster) -> str:
    return str(json.loads(booster.save_config())["learner"]["generic_param"]["device"])


def contributions(
    booster: xgboost.Booster,
    X: np.ndarray | pl.DataFrame,
    *,
    method: str = "exact",
    device: str = "cpu",
    feature_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, float]:
    """SHAP contributions of every row of ``X``: a ``float32`` array (rows, features) and the bias.

    ``X`` is the model's input matrix (e.g. :func:`workbench.contracts.feature_matrix`)
    or an all-numeric polars frame. ``method`` is ``"exact"`` (TreeSHAP) or ``"approx"``;
    ``device`` is ``"cpu"``, ``"cuda"`` or ``"auto"`` (see :func:`select_device`). The
    booster's ``device`` parameter is set for the call and restored afterwards. Each
    row's contributions plus the bias equal its margin prediction. Single-output
    models only (binary classification, regression).
    """
    import xgboost

    run_on = effective_device(method, device)
    matrix = _as_matrix(X, feature_names)
    names = _names(booster, feature_names, matrix.shape[1])
    rows = matrix.shape[0]
    if rows == 0:
        # An empty DMatrix gives no bias row; one all-missing row does, and costs nothing.
        matrix = np.full((1, len(names)), np.nan, dtype=np.float32)
    types = booster.feature_types
    dmatrix = xgboost.DMatrix(
        matrix,
        feature_names=names if booster.feature_names else None,
        feature_types=types,
        enable_categorical=bool(types and "c" in types),
    )
    previous = _booster_device(booster)
    changed = previous != run_on
    if changed:
        booster.set_param({"device": run_on})
    try:
        raw = booster.predict(dmatrix, pred_contribs=True, approx_contribs=method == "approx")
    finally:
        if changed:
            booster.set_param({"device": previous})
    if raw.ndim != 2:
        raise ValidationError(
            f"The model has {raw.shape[1]} outputs; explanations support single-output models "
            "(binary classification and regression) only."
        )
    bias = float(raw[0, -1])
    values = np.ascontiguousarray(raw[:rows, :-1], dtype=np.float32)
    return values, bias


def global_importance(contribs: np.ndarray, feature_names: Sequence[str]) -> pl.DataFrame:
    """Mean |SHAP| per feature, most important first.

    Columns: ``feature`` (String), ``mean_abs_shap`` and ``mean_shap`` (Float64), ``rank`` (UInt32, 1 = top).
    """
    contribs = np.asarray(contribs)
    if contribs.ndim != 2 or contribs.shape[1] != len(feature_names):
        raise ValidationError(
            f"Contributions of shape {contribs.shape} do not match {len(feature_names)} feature names."
        )
    if contribs.shape[0] == 0:
        raise ValidationError("Global importance needs at least one explained row.")
    frame = pl.DataFrame(
        {
            "feature": list(feature_names),
            "mean_abs_shap": np.abs(contribs).mean(axis=0, dtype=np.float64),
            "mean_shap": contribs.mean(axis=0, dtype=np.float64),
        }
    )
    return (
        frame.sort(["mean_abs_shap", "feature"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select("feature", "mean_abs_shap", "mean_shap", "rank")
    )


@dataclass(frozen=True)
class LocalExplanations:
    """Contributions for a seeded sample of rows.

    ``rows`` are positions in the explained matrix (sorted), ``values`` the rows'
    feature values and ``contribs`` their contributions, both (len(rows), features).
    """

    rows: np.ndarray
    values: np.ndarray
    contribs: np.ndarray
    base_value: float
    feature_names: tuple[str, ...]
    method: str
    device: str
    seed: int

    def to_frame(self) -> pl.DataFrame:
        """Long format, one row per (row, feature): ``row`` (Int64), ``feature`` (String),
        ``value`` and ``contribution`` (Float64), ``base_value`` (Float64, the bias)."""
        n, m = self.contribs.shape
        return pl.DataFrame(
            {
                "row": np.repeat(self.rows.astype(np.int64), m),
                "feature": pl.Series(list(self.feature_names) * n, dtype=pl.String),
                "value": self.values.reshape(-1).astype(np.float64),
                "contribution": self.contribs.reshape(-1).astype(np.float64),
                "base_value": np.full(n * m, self.base_value, dtype=np.float64),
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "rows": len(self.rows),
            "features": len(self.feature_names),
            "base_value": self.base_value,
            "method": self.method,
            "device": self.device,
            "seed": self.seed,
        }


def local_sample(
    booster: xgboost.Booster,
    X: np.ndarray | pl.DataFrame,
    *,
    n: int = 1000,
    seed: int = 0,
    method: str = "exact",
    device: str = "cpu",
    feature_names: Sequence[str] | None = None,
) -> LocalExplanations:
    """Explain a seeded random sample of ``n`` rows of ``X`` (all rows when ``X`` has fewer)."""
    if n < 1:
        raise ValidationError(f"The sample size must be at least 1, got {n}.")
    matrix = _as_matrix(X, feature_names)
    total = matrix.shape[0]
    if total == 0:
        raise ValidationError("There are no rows to explain.")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(total, size=min(n, total), replace=False)) if n < total else np.arange(total)
    sample = np.ascontiguousarray(matrix[rows], dtype=np.float32)
    names = _names(booster, feature_names, matrix.shape[1])
    contribs, bias = contributions(booster, sample, method=method, device=device, feature_names=names)
    return LocalExplanations(
        rows=rows.astype(np.int64),
        values=sample,
        contribs=contribs,
        base_value=bias,
        feature_names=tuple(names),
        method=method,
        device=effective_device(method, device),
        seed=seed,
    )
