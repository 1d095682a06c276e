"""JSON rows straight to Arrow when nothing about them needs judging: the service's fast path.

:func:`~workbench.serving.rows.rows_frame` builds a polars series per column with the
contract's dtype (strict) and converts the frame to Arrow; for a single row most of that
time is set-up. :func:`arrow_rows` builds the same Arrow table (the same column types,
taken from polars once per dtype) directly with ``pyarrow.array``, but only when every
value already has its column's exact Python type: ``int`` for integer columns, ``int`` or
``float`` for float columns, ``str`` for string-like columns, ``bool`` for boolean ones,
``None`` anywhere; columns outside the contract must hold one of those types throughout.
Anything else (a float in an integer column, a date, an overflow) returns None, and the
caller takes the polars path, whose strict conversion accepts or names the column exactly
as before. What the scorer then checks and decides does not change.

A column of only Python floats (to float64) or only ints (to int64) goes through numpy:
``pyarrow.array`` of a Python list with an explicit type looks up time-zone settings on every
call (about 25 us a column, most of a single-row request's 33 columns); a numpy array's
buffer taken as the column's data costs about 4 us. The values are the same: numpy holds a
float or an int64 exactly, and an int beyond int64 raises, which sends the column the old way.
"""

from __future__ import annotations

from functools import cache
from operator import itemgetter
from types import NoneType
from typing import Any

import polars as pl

from workbench.contracts import InputContract
from workbench.contracts.dtypes import dtype_kind

__all__ = ["arrow_rows", "polars_dtype"]

_ALLOWED: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "float": (int, float),
    "categorical": (str,),
    "boolean": (bool,),
}
_ACCEPTED = {kind: frozenset({*types, NoneType}) for kind, types in _ALLOWED.items()}  # None anywhere
_INFERRED = {int: "Int64", float: "Float64", str: "String", bool: "Boolean"}
_FLOATS, _INTS = {float}, {int}


def polars_dtype(name: str) -> pl.DataType | None:
    """The polars dtype a contract column is built with (categoricals as strings), or None to infer."""
    if name in ("Categorical", "Enum", "String"):
        return pl.String()
    found = getattr(pl, name, None)
    return found() if isinstance(found, type) and issubclass(found, pl.DataType) else None


@cache
def _arrow_type(dtype: str) -> Any:
    """The Arrow type polars gives a column of contract dtype ``dtype`` (as ``rows_frame`` builds it)."""
    polars_type = polars_dtype(dtype)
    if polars_type is None:
        return None
    frame = pl.DataFrame(schema={"c": polars_type})
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest()).schema.field("c").type


def _kind(dtype: str) -> str | None:
    kind = dtype_kind(dtype)
    return kind if kind in _ALLOWED else None  # "other" (dates, times): the polars path judges them


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]] | list[tuple[Any, ...]]:
    """Each name's values, row by row (None where a row lacks it)."""
    if len(names) > 1:
        try:  # rows that all carry every name: one C-level pass (itemgetter, then a transpose)
            return list(zip(*map(itemgetter(*names), rows), strict=True))
        except KeyError:
            pass
    return [[row.get(name) for row in rows] for name in names]


def _array(values: Any, seen: set[type], arrow_type: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    if seen == _FLOATS and arrow_type == pa.float64():
        data = np.asarray(values, dtype=np.float64)
    elif seen == _INTS and arrow_type == pa.int64():
        try:
            data = np.asarray(values, dtype=np.int64)
        except OverflowError:
            return pa.array(values, type=arrow_type)
    else:
        return pa.array(values, type=arrow_type)
    return pa.Array.from_buffers(arrow_type, len(data), [None, pa.py_buffer(data)])  # no nulls: no validity


def arrow_rows(rows: list[dict[str, Any]], contract: InputContract, names: tuple[str, ...]) -> Any:
    """An Arrow table of ``names`` for ``rows``, or None when the polars path must judge them."""
    import pyarrow as pa

    if not names:
        return None
    arrays = []
    contract_names = contract.names
    for name, values in zip(names, _columns(rows, names), strict=True):
        seen = set(map(type, values))  # the exact types (bool is not int here: type(), not isinstance())
        if name in contract_names:
            dtype = contract.column(name).dtype
            kind = _kind(dtype)
            if kind is None or not seen <= _ACCEPTED[kind]:
                return None
        else:
            seen.discard(NoneType)
            if not seen:
                arrays.append(pa.nulls(len(values)))
                continue
            if len(seen) != 1 or (inferred := _INFERRED.get(seen.pop())) is None:
                return None
            dtype = inferred
        arrow_type = _arrow_type(dtype)
        if arrow_type is None:
            return None
        try:
            arrays.append(_array(values, seen, arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return None
    return pa.Table.from_arrays(arrays, names=list(names))
