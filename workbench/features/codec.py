"""The polars schema of the online store's values, recorded as plain JSON.

A dtype is recorded as a small JSON object read back through a fixed table, so nothing is
evaluated. The values themselves are packed rows (:mod:`workbench.features.packed`).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.features.errors import FeatureError

__all__ = ["decode_dtype", "encode_dtype"]

_SIMPLE: dict[str, type[pl.DataType]] = {
    cls.__name__: cls
    for cls in (
        pl.Boolean,
        pl.Int8,
        pl.Int16,
        pl.Int32,
        pl.Int64,
        pl.UInt8,
        pl.UInt16,
        pl.UInt32,
        pl.UInt64,
        pl.Float32,
        pl.Float64,
        pl.String,
        pl.Date,
    )
}


def encode_dtype(dtype: pl.DataType) -> dict[str, Any]:
    if isinstance(dtype, pl.Datetime):
        return {"type": "Datetime", "unit": dtype.time_unit, "tz": dtype.time_zone}
    if isinstance(dtype, pl.Duration):
        return {"type": "Duration", "unit": dtype.time_unit}
    name = dtype.base_type().__name__
    if name in _SIMPLE:
        return {"type": name}
    raise FeatureError(
        f"A feature of type {dtype} cannot be kept in the online store (numbers, booleans, strings, dates, "
        "datetimes and durations can); cast it in the feature expression."
    )


def decode_dtype(record: dict[str, Any]) -> pl.DataType:
    kind = record.get("type")
    if kind == "Datetime":
        return pl.Datetime(record.get("unit") or "us", record.get("tz"))
    if kind == "Duration":
        return pl.Duration(record.get("unit") or "us")
    if kind in _SIMPLE:
        return _SIMPLE[kind]()
    raise FeatureError(f"The online store records an unknown feature type {record!r}; materialize it again.")
