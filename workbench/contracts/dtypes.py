"""Polars dtypes as contract strings, and which data dtypes a contract column accepts.

A contract stores a column's dtype as a plain string so it survives JSON: ``str(dtype)``
for everything except ``Enum``, which is stored as ``"Enum"`` with its categories in
the column's ``categories`` (they are the encoding, see :mod:`workbench.contracts.features`).

Acceptance is deliberately narrow: the same dtype, or a widening that loses nothing
(``Int32`` data for an ``Int64`` column, any integer for a float column, ``Float32``
for ``Float64``), or any string-like dtype for a categorical column (Parquet round
trips turn ``Enum``/``Categorical`` into ``String`` and back; the values are checked
separately), or an all-null ``Null`` column where the contract allows nulls.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "CATEGORICAL_DTYPES",
    "FLOAT_DTYPES",
    "INTEGER_DTYPES",
    "accepts",
    "dtype_kind",
    "dtype_to_str",
]

# name -> (signed, bits)
_INTEGERS: dict[str, tuple[bool, int]] = {
    "Int8": (True, 8),
    "Int16": (True, 16),
    "Int32": (True, 32),
    "Int64": (True, 64),
    "Int128": (True, 128),
    "UInt8": (False, 8),
    "UInt16": (False, 16),
    "UInt32": (False, 32),
    "UInt64": (False, 64),
    "UInt128": (False, 128),
}
_FLOATS: dict[str, int] = {"Float16": 16, "Float32": 32, "Float64": 64}

INTEGER_DTYPES = frozenset(_INTEGERS)
FLOAT_DTYPES = frozenset(_FLOATS)
CATEGORICAL_DTYPES = frozenset({"String", "Categorical", "Enum"})


def dtype_to_str(dtype: pl.DataType) -> str:
    """The contract spelling of a polars dtype (``"Enum"`` without its categories)."""
    if isinstance(dtype, pl.Enum):
        return "Enum"
    if isinstance(dtype, pl.Categorical):
        return "Categorical"
    return str(dtype)


def dtype_kind(dtype: str) -> str:
    """``integer``, ``float``, ``boolean``, ``categorical`` or ``other`` for a contract dtype string."""
    if dtype in _INTEGERS:
        return "integer"
    if dtype in _FLOATS:
        return "float"
    if dtype == "Boolean":
        return "boolean"
    if dtype in CATEGORICAL_DTYPES:
        return "categorical"
    return "other"


def _int_fits(data: str, expected: str) -> bool:
    d_signed, d_bits = _INTEGERS[data]
    e_signed, e_bits = _INTEGERS[expected]
    if d_signed == e_signed:
        return d_bits <= e_bits
    # Unsigned data fits a signed column only when the column has a spare bit.
    return e_signed and d_bits < e_bits


def accepts(expected: str, actual: str, *, nullable: bool) -> bool:
    """Whether data of dtype ``actual`` satisfies a contract column of dtype ``expected``."""
    if expected == actual:
        return True
    if actual == "Null":
        return nullable
    kind = dtype_kind(expected)
    if kind == "integer":
        return actual in _INTEGERS and _int_fits(actual, expected)
    if kind == "float":
        if actual in _INTEGERS:
            return True
        return actual in _FLOATS and _FLOATS[actual] <= _FLOATS[expected]
    if kind == "categorical":
        return actual in CATEGORICAL_DTYPES
    return False
