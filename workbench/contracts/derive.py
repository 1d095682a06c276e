"""Derive an :class:`~workbench.contracts.model.InputContract` from a polars training frame.

The contract records what the model saw: column order and dtypes, whether nulls (or
NaN in float columns) occurred, the finite min/max of numeric features and the set
of values of categorical and boolean features. Statistics are computed in one
polars pass over the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import SupportsFloat, cast

import polars as pl

from workbench.contracts.dtypes import dtype_kind, dtype_to_str
from workbench.contracts.model import ColumnSpec, InputContract
from workbench.core.errors import ValidationError

__all__ = ["DEFAULT_MAX_CATEGORIES", "derive_contract"]

DEFAULT_MAX_CATEGORIES = 1000
_FEATURE_KINDS = ("integer", "float", "boolean", "categorical")


def _missing_expr(name: str, dtype: pl.DataType) -> pl.Expr:
    """Count of nulls, plus NaNs for float columns (XGBoost treats both as missing)."""
    col = pl.col(name)
    if dtype.is_float():
        return (col.is_null() | col.is_nan()).sum()
    return col.null_count()


def _select_columns(
    df: pl.DataFrame, target: str | None, keys: Sequence[str], features: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    columns = df.columns
    if target is not None and target not in columns:
        raise ValidationError(f"The target column {target!r} is not in the training frame; its columns are {columns}.")
    missing_keys = [k for k in keys if k not in columns]
    if missing_keys:
        raise ValidationError(f"Key column(s) {missing_keys} are not in the training frame; its columns are {columns}.")
    if target is not None and target in keys:
        raise ValidationError(f"Column {target!r} cannot be both the target and a key.")
    if features is None:
        chosen = tuple(c for c in columns if c != target and c not in keys)
    else:
        chosen = tuple(features)
        missing = [f for f in chosen if f not in columns]
        if missing:
            raise ValidationError(
                f"Feature column(s) {missing} are not in the training frame; its columns are {columns}."
            )
        if len(set(chosen)) != len(chosen):
            raise ValidationError(f"The feature list names a column twice: {list(chosen)}.")
        clash = [f for f in chosen if f == target or f in keys]
        if clash:
            raise ValidationError(f"Column(s) {clash} cannot be features and also the target or a key.")
    if not chosen:
        raise ValidationError("The contract has no feature columns; pass `features=` or a frame with features.")
    return tuple(keys), chosen


def derive_contract(
    df: pl.DataFrame,
    *,
    target: str | None = None,
    keys: Sequence[str] = (),
    features: Sequence[str] | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> InputContract:
    """Record what ``df`` looks like as the model's input contract.

    ``features`` defaults to every column except ``target`` and ``keys``, in frame
    order; pass it explicitly (e.g. ``booster.feature_names``) to fix the model's
    order. Features must be numeric, boolean or string-like (``String``,
    ``Categorical``, ``Enum``); a string-like feature with more than
    ``max_categories`` distinct values is refused (an identifier belongs in ``keys``).
    Raises :class:`ValidationError` for an empty frame, unknown columns and
    features that hold nothing but nulls/NaN.
    """
    if df.height == 0:
        raise ValidationError("The training frame is empty; a contract needs at least one row.")
    keys, chosen = _select_columns(df, target, keys, features)
    schema = df.schema

    for name in chosen:
        kind = dtype_kind(dtype_to_str(schema[name]))
        if kind not in _FEATURE_KINDS:
            raise ValidationError(
                f"Feature {name!r} has dtype {schema[name]}, which an XGBoost model cannot take. "
                "Convert it to a number, boolean or string column, or declare it a key."
            )

    members = set(chosen) | set(keys)
    stats_exprs: list[pl.Expr] = []
    for name in members:
        dtype = schema[name]
        stats_exprs.append(_missing_expr(name, dtype).alias(f"{name}\x00missing"))
        if name in chosen and (dtype.is_integer() or dtype.is_float()):
            finite = pl.col(name).filter(pl.col(name).is_finite()) if dtype.is_float() else pl.col(name)
            stats_exprs.append(finite.min().alias(f"{name}\x00min"))
            stats_exprs.append(finite.max().alias(f"{name}\x00max"))
    stats = df.select(stats_exprs).row(0, named=True)

    specs: list[ColumnSpec] = []
    for name in df.columns:
        if name not in members:
            continue
        dtype = schema[name]
        missing = int(stats[f"{name}\x00missing"])
        nullable = missing > 0
        if name in keys:
            specs.append(ColumnSpec(name=name, dtype=dtype_to_str(dtype), role="key", nullable=nullable))
            continue
        if missing == df.height:
            raise ValidationError(
                f"Feature {name!r} holds only null/NaN values; drop it from the features or fill it before training."
            )
        specs.append(_feature_spec(df, name, dtype, nullable, stats, max_categories))
    return InputContract(columns=tuple(specs), features=chosen, keys=keys, target=target, rows=df.height)


def _feature_spec(
    df: pl.DataFrame,
    name: str,
    dtype: pl.DataType,
    nullable: bool,
    stats: dict[str, object],
    max_categories: int,
) -> ColumnSpec:
    dtype_str = dtype_to_str(dtype)
    kind = dtype_kind(dtype_str)
    if kind in ("integer", "float"):
        return ColumnSpec(
            name=name,
            dtype=dtype_str,
            nullable=nullable,
            minimum=_plain_number(stats[f"{name}\x00min"]),
            maximum=_plain_number(stats[f"{name}\x00max"]),
        )
    if kind == "boolean":
        seen = df.get_column(name).drop_nulls().unique().to_list()
        categories = tuple(sorted("true" if v else "false" for v in seen))
        return ColumnSpec(name=name, dtype=dtype_str, nullable=nullable, categories=categories)
    # String-like: Enum keeps its declared order (that is its encoding); others are sorted.
    if isinstance(dtype, pl.Enum):
        categories = tuple(str(c) for c in dtype.categories.to_list())
    else:
        values = df.get_column(name).drop_nulls().cast(pl.String).unique()
        if values.len() > max_categories:
            raise ValidationError(
                f"Feature {name!r} has {values.len()} distinct values, more than max_categories={max_categories}. "
                "If it identifies rows, declare it in `keys=`; otherwise raise `max_categories`."
            )
        categories = tuple(values.sort().to_list())
    return ColumnSpec(name=name, dtype=dtype_str, nullable=nullable, categories=categories)


def _plain_number(value: object) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return float(cast("SupportsFloat", value))  # a column's min or max: a number when not None
