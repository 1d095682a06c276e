"""A request body as the record batch the scorer reads: JSON rows or Arrow IPC, within limits.

JSON is one row (an object), a list of rows, or ``{"rows": [...], "reasons": true}``.
Contract columns are built with the contract's own dtypes, so ``5`` reaches an ``Int32``
column as ``Int32``; a value that does not fit names its column (422). Other columns
(those routing rules or the decision log read) take the type polars infers. Arrow IPC is
an IPC stream (``application/vnd.apache.arrow.stream``) read as it is; the contract check
of the scorer then judges its types. Nothing here logs a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.contracts import InputContract
from workbench.core.errors import ContractViolation, ValidationError, WorkbenchError
from workbench.serving.fast_rows import arrow_rows, polars_dtype

__all__ = [
    "ARROW_STREAM",
    "Limits",
    "ParsedRows",
    "TooLarge",
    "load_rows",
    "parse_arrow",
    "parse_json",
    "present_columns",
    "rows_frame",
    "rows_table",
]

ARROW_STREAM = "application/vnd.apache.arrow.stream"


class TooLarge(WorkbenchError):
    """A request body or row count beyond the service's limits (413)."""

    http_status = 413


@dataclass(frozen=True)
class Limits:
    """Per request: the body's bytes and the rows it may carry."""

    max_body_bytes: int = 8 * 1024 * 1024
    max_rows: int = 10_000

    def check_rows(self, rows: int) -> None:
        if rows > self.max_rows:
            raise TooLarge(
                f"The request carries {rows:,} rows; this service takes at most {self.max_rows:,} a request."
            )
        if rows == 0:
            raise ValidationError("The request carries no rows; send one row object or a non-empty list of rows.")


@dataclass(frozen=True)
class ParsedRows:
    """The rows as a polars frame or Arrow table, and the request's options."""

    data: Any
    rows: int
    reasons: bool = False


def _column(name: str, values: list[Any], dtype: pl.DataType | None) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=dtype, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        expected = f"{dtype}" if dtype is not None else "one type"
        raise ContractViolation(
            f"Column {name!r} has values that are not {expected}; send {expected} values (or null where the "
            "contract allows it).",
            details=[{"column": name, "kind": "dtype", "expected_dtype": str(dtype) if dtype else None}],
        ) from None


def load_rows(body: bytes, limits: Limits) -> tuple[list[dict[str, Any]], bool]:
    """The rows of a JSON body (within the row limit) and whether it asks for reasons."""
    import orjson

    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"The body is not valid JSON ({exc.msg} at position {exc.pos}).") from None
    reasons = False
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        reasons = bool(data.get("reasons", False))
        data = data["rows"]
    rows = data if isinstance(data, list) else [data]
    limits.check_rows(len(rows))
    if not all(isinstance(row, dict) for row in rows):
        raise ValidationError("Each row must be a JSON object of column names to values.")
    return rows, reasons


def present_columns(rows: list[dict[str, Any]], wanted: list[str]) -> tuple[str, ...]:
    """The ``wanted`` columns any row carries, in ``wanted``'s order."""
    if len(rows) == 1:
        row = rows[0]
        return tuple(c for c in wanted if c in row)
    present = set().union(*rows)  # every row's names, gathered in C
    return tuple(c for c in wanted if c in present)


def rows_frame(rows: list[dict[str, Any]], contract: InputContract, names: tuple[str, ...]) -> pl.DataFrame:
    """The rows as a polars frame: contract columns with the contract's dtypes (strict), others inferred."""
    columns = []
    for name in names:
        spec = contract.column(name) if name in contract.names else None
        columns.append(_column(name, [row.get(name) for row in rows], polars_dtype(spec.dtype) if spec else None))
    return pl.DataFrame(columns, height=len(rows))


def rows_table(rows: list[dict[str, Any]], contract: InputContract, names: tuple[str, ...]) -> Any:
    """The rows as the Arrow table :func:`rows_frame` would give, built without polars when every value
    already has its column's exact Python type (:mod:`.fast_rows`); otherwise through :func:`rows_frame`,
    whose strict conversion names the column that does not fit."""
    table = arrow_rows(rows, contract, names)
    if table is not None:
        return table
    return rows_frame(rows, contract, names).to_arrow(compat_level=pl.CompatLevel.oldest())


def parse_json(body: bytes, contract: InputContract, wanted: list[str], limits: Limits) -> ParsedRows:
    """Rows from a JSON body; ``wanted`` are the input columns the scorer reads (others are dropped)."""
    rows, reasons = load_rows(body, limits)
    return ParsedRows(rows_table(rows, contract, present_columns(rows, wanted)), len(rows), reasons)


def parse_arrow(body: bytes, limits: Limits, *, reasons: bool = False) -> ParsedRows:
    """Rows from an Arrow IPC stream."""
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValidationError(f"The body is not an Arrow IPC stream ({exc}).") from None
    limits.check_rows(table.num_rows)
    return ParsedRows(table, table.num_rows, reasons)
