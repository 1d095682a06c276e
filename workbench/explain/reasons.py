"""Reason codes: each row's top-k features by contribution, as flat polars columns.

The output is wide and flat, ``reason_1``, ``reason_1_value``, ..., ``reason_k``,
``reason_k_value``, because scoring writes it straight into Parquet next to the
score, routing rules read it as ordinary polars columns, and spreadsheets and BI
tools read flat columns (a list-of-struct column they often cannot). ``reason_i``
is the feature name (String) and ``reason_i_value`` its contribution (Float32, in
margin space). A slot is null when the row has no i-th reason: fewer than i features
contribute in the chosen direction (a zero contribution is never a reason), or the
model has fewer than i features.

``by`` picks the direction: ``"abs"`` (largest |contribution|, the default),
``"positive"`` (pushing the score up) or ``"negative"`` (pushing it down). Ties are
broken towards the lower feature index for small k and arbitrarily otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError

__all__ = ["REASON_DIRECTIONS", "reason_columns", "top_k_reasons"]

REASON_DIRECTIONS = ("abs", "positive", "negative")
# Up to this k, k passes of argmax beat argpartition plus a sort (measured: about 4x at k=3, 33 features).
_ARGMAX_MAX_K = 4


def reason_columns(k: int) -> list[str]:
    """The output column names for ``k`` reasons, in order."""
    return [name for i in range(1, k + 1) for name in (f"reason_{i}", f"reason_{i}_value")]


def _top_indices(key: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest entries of each row of ``key``, largest first."""
    n, m = key.shape
    if k <= _ARGMAX_MAX_K:
        work = key.copy()
        rows = np.arange(n)
        out = np.empty((n, k), dtype=np.intp)
        for j in range(k):
            best = work.argmax(axis=1)
            out[:, j] = best
            work[rows, best] = -np.inf
        return out
    # k == m needs no partition: every column is in the top k.
    part = np.argpartition(key, m - k, axis=1)[:, m - k :] if k < m else np.tile(np.arange(m), (n, 1))
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def top_k_reasons(
    contribs: np.ndarray,
    feature_names: Sequence[str],
    k: int = 3,
    *,
    by: str = "abs",
) -> pl.DataFrame:
    """The top ``k`` reasons of every row as a frame with :func:`reason_columns` ``(k)`` columns.

    ``contribs`` is (rows, features) as returned by :func:`~workbench.explain.contributions`.
    The frame has one row per input row, in order, so it can be ``hstack``-ed onto the scores.
    """
    contribs = np.asarray(contribs)
    if contribs.ndim != 2 or contribs.shape[1] != len(feature_names):
        raise ValidationError(
            f"Contributions of shape {contribs.shape} do not match {len(feature_names)} feature names."
        )
    if k < 1:
        raise ValidationError(f"k must be at least 1, got {k}.")
    if by not in REASON_DIRECTIONS:
        raise ValidationError(f"Unknown reason direction {by!r}; use one of {REASON_DIRECTIONS}.")
    n, m = contribs.shape
    used = min(k, m)
    if by == "abs":
        key = np.abs(contribs)
    elif by == "positive":
        key = contribs
    else:
        key = -contribs
    key = np.nan_to_num(key.astype(np.float32, copy=False), nan=0.0)

    top = _top_indices(key, used) if n else np.empty((0, used), dtype=np.intp)
    values = np.take_along_axis(contribs, top, axis=1).astype(np.float32, copy=False)
    present = np.take_along_axis(key, top, axis=1) > 0

    names = pl.Series("names", list(feature_names), dtype=pl.String)
    columns: list[pl.Series] = []
    for j in range(k):
        label, value_label = f"reason_{j + 1}", f"reason_{j + 1}_value"
        if j >= used:
            columns.append(pl.Series(label, [None] * n, dtype=pl.String))
            columns.append(pl.Series(value_label, [None] * n, dtype=pl.Float32))
            continue
        mask = pl.Series(present[:, j])
        reason = names.gather(pl.Series(top[:, j].astype(np.uint32)))
        value = pl.Series(value_label, values[:, j])
        columns.append(pl.select(pl.when(mask).then(reason)).to_series().alias(label))
        columns.append(pl.select(pl.when(mask).then(value)).to_series().alias(value_label))
    return pl.DataFrame(columns)
