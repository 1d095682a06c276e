"""PNG plots of contributions: a beeswarm-style summary and a mean |SHAP| bar chart.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global state
and no GUI backend), imported inside the functions. The bytes carry no timestamp
or version metadata, so the same contributions give the same PNG, which keeps the
content-addressed artifacts stable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from workbench.core.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_bar_png", "plot_summary_png"]

_BINS = 100
_MAX_POINTS = 5000


def _check(contribs: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    contribs = np.asarray(contribs, dtype=np.float64)
    if contribs.ndim != 2 or contribs.shape[1] != len(feature_names):
        raise ValidationError(
            f"Contributions of shape {contribs.shape} do not match {len(feature_names)} feature names."
        )
    if contribs.shape[0] == 0:
        raise ValidationError("There are no explained rows to plot.")
    return contribs


def _top_features(contribs: np.ndarray, max_display: int) -> np.ndarray:
    """Indices of the most important features, least important first (matplotlib draws bottom-up)."""
    importance = np.abs(contribs).mean(axis=0)
    order = np.argsort(-importance, kind="stable")[:max_display]
    return order[::-1]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _swarm_offsets(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vertical offsets in [-0.4, 0.4] that stack points sharing an x-bin, as a beeswarm does."""
    span = float(x.max() - x.min())
    bins = np.zeros(len(x), dtype=np.int64) if span == 0 else np.round(_BINS * (x - x.min()) / span).astype(np.int64)
    order = np.lexsort((rng.random(len(x)), bins))
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    sizes = np.diff(np.r_[starts, len(x)])
    rank = np.arange(len(x)) - np.repeat(starts, sizes)
    # 0, +1, -1, +2, -2, ... so each bin grows outwards from the feature's line.
    layer = ((rank + 1) // 2) * np.where(rank % 2 == 0, -1, 1)
    offsets = np.empty(len(x), dtype=np.float64)
    offsets[order] = layer
    widest = max(float(np.abs(offsets).max()), 1.0)
    return offsets * (0.4 / widest)


def _colour_values(values: np.ndarray) -> np.ndarray:
    """Feature values scaled to [0, 1] between their 5th and 95th percentiles; NaN stays NaN."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(values.shape, np.nan)
    low, high = np.percentile(finite, [5, 95])
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.where(np.isfinite(values), 0.5, np.nan)
    return np.clip((values - low) / (high - low), 0.0, 1.0)


def plot_summary_png(
    contribs: np.ndarray,
    X: np.ndarray,
    feature_names: Sequence[str],
    *,
    max_display: int = 20,
    seed: int = 0,
) -> bytes:
    """A beeswarm summary: one row per top feature, each dot a row's contribution, coloured by feature value.

    Above 5,000 rows a seeded sample of rows is drawn; missing feature values are grey.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    contribs = _check(contribs, feature_names)
    values = np.asarray(X, dtype=np.float64)
    if values.shape != contribs.shape:
        raise ValidationError(f"Feature values of shape {values.shape} do not match contributions {contribs.shape}.")
    rng = np.random.default_rng(seed)
    if contribs.shape[0] > _MAX_POINTS:
        keep = np.sort(rng.choice(contribs.shape[0], size=_MAX_POINTS, replace=False))
        contribs, values = contribs[keep], values[keep]
    features = _top_features(contribs, max_display)
    cmap = colormaps["coolwarm"]

    fig = Figure(figsize=(8, 0.4 * len(features) + 1.5))
    ax = fig.add_subplot()
    for position, j in enumerate(features):
        x = contribs[:, j]
        y = position + _swarm_offsets(x, rng)
        shade = _colour_values(values[:, j])
        missing = np.isnan(shade)
        ax.scatter(x[missing], y[missing], s=6, color="#9a9a9a", alpha=0.7, linewidths=0, rasterized=True)
        ax.scatter(x[~missing], y[~missing], s=6, c=cmap(shade[~missing]), alpha=0.8, linewidths=0, rasterized=True)
    ax.axvline(0.0, color="#555555", linewidth=0.8)
    ax.set_yticks(range(len(features)), [feature_names[j] for j in features])
    ax.set_ylim(-0.6, len(features) - 0.4)
    ax.set_xlabel("SHAP value (contribution to the margin)")
    ax.grid(axis="x", alpha=0.3)
    bar = fig.colorbar(ScalarMappable(norm=Normalize(0, 1), cmap=cmap), ax=ax, ticks=[0, 1], aspect=40)
    bar.set_ticklabels(["low", "high"])
    bar.set_label("Feature value")
    return _png(fig)


def plot_bar_png(contribs: np.ndarray, feature_names: Sequence[str], *, max_display: int = 20) -> bytes:
    """Horizontal bars of mean |SHAP| for the top features, most important at the top."""
    from matplotlib.figure import Figure

    contribs = _check(contribs, feature_names)
    features = _top_features(contribs, max_display)
    importance = np.abs(contribs).mean(axis=0)[features]

    fig = Figure(figsize=(8, 0.35 * len(features) + 1.2))
    ax = fig.add_subplot()
    ax.barh(range(len(features)), importance, color="#3b75af")
    ax.set_yticks(range(len(features)), [feature_names[j] for j in features])
    ax.set_xlabel("mean |SHAP value|")
    ax.grid(axis="x", alpha=0.3)
    for position, value in enumerate(importance):
        ax.text(value, position, f" {value:.3g}", va="center", fontsize=8)
    return _png(fig)
