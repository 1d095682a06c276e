"""The rows a batch sends to review, as the frame the job stages and inserts as review items.

One row per review row of the batch: its input row index, row key (the key value, a
JSON object for several keys, or ``row:<index>`` without keys), score, the model's
leaning, the rule that sent it (the policy's, :data:`~workbench.scoring.routing.GUARD_RULE`
or none), the decision label, its top reasons when there are any, and ``detail``: the
JSON naming the columns outside the training range (:func:`~workbench.scoring.guard.details`),
null for other rows.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import polars as pl

from workbench.explain import reason_columns
from workbench.scoring.routing import LEANINGS, RoutedCodes, Routing

__all__ = ["REVIEW_SCHEMA", "review_frame", "row_keys"]

REVIEW_SCHEMA = pl.Schema(
    {
        "row_index": pl.Int64(),
        "row_key": pl.String(),
        "score": pl.Float64(),
        "leaning": pl.String(),
        "rule": pl.String(),
        "decision": pl.String(),
        "reasons": pl.List(pl.Struct({"feature": pl.String(), "contribution": pl.Float64()})),
        "detail": pl.String(),
    }
)


def row_keys(frame: pl.DataFrame | None, keys: list[str], rows: np.ndarray, first_row: int) -> pl.Series:
    """The row keys of ``rows`` (batch row indices); ``frame`` holds the keys of those rows."""
    if not keys or frame is None:
        return pl.Series("row_key", [f"row:{first_row + int(i)}" for i in rows], dtype=pl.String)
    if len(keys) == 1:
        return frame.get_column(keys[0]).cast(pl.String).alias("row_key")
    return frame.select(pl.struct(keys).struct.json_encode().alias("row_key")).to_series()


@cache
def _no_reasons() -> pl.Series:
    """One row's empty reasons (building a nested series costs ~0.1 ms; repeating one costs little)."""
    return pl.Series("reasons", [[]], dtype=REVIEW_SCHEMA["reasons"])


def _packed_reasons(reasons: pl.DataFrame | None, top_k: int, height: int) -> pl.Series:
    """The reason columns (``reason_1``, ``reason_1_value``, ...) as one list of structs per row."""
    if reasons is None:
        return _no_reasons().new_from_index(0, height)
    names = reason_columns(top_k)
    structs = [
        pl.struct(
            pl.col(names[2 * i]).alias("feature"),
            pl.col(names[2 * i + 1]).cast(pl.Float64).alias("contribution"),
        )
        for i in range(top_k)
    ]
    return reasons.select(
        pl.concat_list(structs)
        .list.eval(pl.element().filter(pl.element().struct.field("feature").is_not_null()))
        .alias("reasons")
    ).to_series()


def review_frame(
    *,
    rows: np.ndarray,
    first_row: int,
    keys: pl.Series,
    scores: np.ndarray,
    routed: RoutedCodes,
    routing: Routing,
    reasons: pl.DataFrame | None,
    top_k: int,
    detail: list[Any] | None,
) -> pl.DataFrame:
    """The review rows ``rows`` of a batch (``reasons`` and ``detail`` are already theirs alone)."""
    rules = np.asarray([*routing.rule_names, None], dtype=object)
    n = rows.size
    # Series of the schema's own types, in its order: no frame-wide select and cast afterwards (most of
    # this function's time for the few rows of an online request).
    reasons_column = _packed_reasons(reasons, top_k, n)
    return pl.DataFrame(
        [
            pl.Series("row_index", (rows + first_row).astype(np.int64), dtype=pl.Int64),
            keys.cast(pl.String).alias("row_key"),
            pl.Series("score", scores[rows].astype(np.float64)),  # float64 already: no dtype to convert to
            pl.Series("leaning", np.asarray(LEANINGS, dtype=object)[routed.leaning[rows]].tolist(), dtype=pl.String),
            pl.Series("rule", rules[routed.rule[rows]].tolist(), dtype=pl.String),
            pl.Series("decision", [routing.label("review")] * n, dtype=pl.String),
            reasons_column.cast(REVIEW_SCHEMA["reasons"]).alias("reasons"),
            pl.Series("detail", detail if detail is not None else [None] * n, dtype=pl.String),
        ]
    )
