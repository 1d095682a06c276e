"""Check a polars frame against an input contract: a per-column report, or an error.

:func:`validate` returns a :class:`ValidationReport` for people (``wb.validate``);
:func:`enforce` raises :class:`~workbench.core.errors.ContractViolation` listing every
offending column, which is what scoring calls on each batch. All value checks of a
frame run in a single polars ``select``, so enforcing a contract costs one pass.

Issue kinds, worst first: ``missing``, ``wrong_dtype``, ``unseen_categories`` (a
warning with ``allow_unseen``), ``key_too_long`` (a text or binary key longer than
its limit, :data:`~workbench.contracts.model.DEFAULT_MAX_KEY_BYTES` UTF-8 bytes unless
the contract says otherwise), ``unexpected_nulls`` (errors), and ``out_of_range`` (a
warning unless ``strict_ranges``). A column with a wrong dtype gets no value checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.contracts.dtypes import accepts, dtype_to_str
from workbench.contracts.model import ColumnSpec, InputContract
from workbench.core.errors import ContractViolation
from workbench.core.values import plain_fields

__all__ = ["ColumnIssue", "ColumnReport", "ValidationReport", "enforce", "validate"]

_EXAMPLES = 5
_SEP = "\x00"


@dataclass(frozen=True)
class ColumnIssue:
    """One problem with one column. ``count`` is the number of offending rows (0 when not row-based)."""

    kind: str
    severity: str
    message: str
    count: int = 0
    examples: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class ColumnReport:
    """The verdict for one contract column; ``status`` is ``"ok"`` or the kind of its worst issue."""

    column: str
    role: str
    expected_dtype: str
    actual_dtype: str | None
    issues: tuple[ColumnIssue, ...] = ()

    @property
    def status(self) -> str:
        return self.issues[0].kind if self.issues else "ok"

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "role": self.role,
            "status": self.status,
            "expected_dtype": self.expected_dtype,
            "actual_dtype": self.actual_dtype,
            "issues": [i.to_dict() for i in self.issues],
        }


@dataclass(frozen=True)
class ValidationReport:
    """Per-column verdicts for a frame. ``extra_columns`` are in the frame but not in the contract (allowed)."""

    rows: int
    columns: tuple[ColumnReport, ...]
    extra_columns: tuple[str, ...] = ()
    strict_ranges: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.columns)

    @property
    def errors(self) -> tuple[ColumnReport, ...]:
        return tuple(c for c in self.columns if not c.ok)

    @property
    def warnings(self) -> tuple[ColumnReport, ...]:
        return tuple(c for c in self.columns if c.ok and c.issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "strict_ranges": self.strict_ranges,
            "columns": [c.to_dict() for c in self.columns],
            "extra_columns": list(self.extra_columns),
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per contract column: column, role, status, dtypes, and the issue messages joined."""
        return pl.DataFrame(
            {
                "column": [c.column for c in self.columns],
                "role": [c.role for c in self.columns],
                "status": [c.status for c in self.columns],
                "expected_dtype": [c.expected_dtype for c in self.columns],
                "actual_dtype": [c.actual_dtype for c in self.columns],
                "message": ["; ".join(i.message for i in c.issues) for c in self.columns],
            },
            schema={
                "column": pl.String,
                "role": pl.String,
                "status": pl.String,
                "expected_dtype": pl.String,
                "actual_dtype": pl.String,
                "message": pl.String,
            },
        )


def _key_bytes(spec: ColumnSpec, dtype: pl.DataType) -> pl.Expr | None:
    """The length in bytes of each value of a text or binary key column (None for other columns)."""
    col = pl.col(spec.name)
    if spec.role != "key":
        return None
    if dtype == pl.Binary:
        return col.bin.size()
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return col.cast(pl.String).str.len_bytes()
    return None


def _value_exprs(spec: ColumnSpec, dtype: pl.DataType) -> dict[str, pl.Expr]:
    """Counting expressions for one present column of an accepted dtype, keyed by check."""
    col = pl.col(spec.name)
    exprs: dict[str, pl.Expr] = {}
    is_float = dtype.is_float()
    if not spec.nullable:
        exprs["nulls"] = (col.is_null() | col.is_nan()).sum() if is_float else col.null_count()
    if spec.role != "feature":
        lengths = _key_bytes(spec, dtype)
        if lengths is not None:
            exprs["long"] = (lengths > spec.key_limit).sum()
            exprs["longest"] = lengths.max()
        return exprs
    if spec.kind in ("integer", "float") and (spec.minimum is not None or spec.maximum is not None):
        below = col < spec.minimum if spec.minimum is not None else pl.lit(False)
        above = col > spec.maximum if spec.maximum is not None else pl.lit(False)
        # Polars orders NaN above every number; NaN is "missing", not out of range.
        outside = (below | above) & col.is_not_nan() if is_float else below | above
        exprs["range"] = outside.sum()
    elif spec.categories is not None and not _same_enum(dtype, spec):
        exprs["unseen"] = _unseen_mask(spec, dtype).sum()
    return exprs


def _same_enum(dtype: pl.DataType, spec: ColumnSpec) -> bool:
    return isinstance(dtype, pl.Enum) and tuple(dtype.categories.to_list()) == spec.categories


def _unseen_mask(spec: ColumnSpec, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(spec.name)
    allowed = list(spec.categories or ())
    if dtype == pl.Boolean:
        as_text = pl.when(col).then(pl.lit("true")).otherwise(pl.lit("false"))
        return col.is_not_null() & ~as_text.is_in(allowed)
    return col.is_not_null() & ~col.cast(pl.String).is_in(allowed)


def validate(
    df: pl.DataFrame, contract: InputContract, *, strict_ranges: bool = False, allow_unseen: bool = False
) -> ValidationReport:
    """Check ``df`` against ``contract`` and report on every contract column.

    Never raises for bad data; see :func:`enforce` for the raising variant. With
    ``allow_unseen``, categories the contract does not know are a warning, not an error
    (scoring with ``routing.outside_training_range.unseen_categories: review``).
    """
    schema = df.schema
    actual: dict[str, str] = {}
    exprs: list[pl.Expr] = []
    for spec in contract.columns:
        if spec.name not in schema:
            continue
        actual[spec.name] = dtype_to_str(schema[spec.name])
        if accepts(spec.dtype, actual[spec.name], nullable=spec.nullable) and actual[spec.name] != "Null":
            for check, expr in _value_exprs(spec, schema[spec.name]).items():
                exprs.append(expr.alias(f"{spec.name}{_SEP}{check}"))
    counts: dict[str, Any] = df.select(exprs).row(0, named=True) if exprs else {}

    reports = []
    for spec in contract.columns:
        issues = _column_issues(df, spec, actual.get(spec.name), counts, strict_ranges, allow_unseen)
        reports.append(
            ColumnReport(
                column=spec.name,
                role=spec.role,
                expected_dtype=spec.dtype,
                actual_dtype=actual.get(spec.name),
                issues=issues,
            )
        )
    extra = tuple(c for c in df.columns if c not in contract)
    return ValidationReport(rows=df.height, columns=tuple(reports), extra_columns=extra, strict_ranges=strict_ranges)


def _column_issues(
    df: pl.DataFrame,
    spec: ColumnSpec,
    actual: str | None,
    counts: dict[str, Any],
    strict_ranges: bool,
    allow_unseen: bool = False,
) -> tuple[ColumnIssue, ...]:
    if actual is None:
        return (ColumnIssue("missing", "error", "column is missing"),)
    if actual != "Null" and not accepts(spec.dtype, actual, nullable=spec.nullable):
        return (ColumnIssue("wrong_dtype", "error", f"dtype is {actual}, expected {spec.dtype}"),)
    issues: list[ColumnIssue] = []
    unseen = int(counts.get(f"{spec.name}{_SEP}unseen") or 0)
    if unseen:
        examples = _examples(df, spec, _unseen_mask(spec, df.schema[spec.name]))
        shown = ", ".join(repr(e) for e in examples)
        issues.append(
            ColumnIssue(
                "unseen_categories",
                "warning" if allow_unseen else "error",
                f"{unseen} row(s) hold categories not in the contract: {shown}",
                unseen,
                examples,
            )
        )
    long = int(counts.get(f"{spec.name}{_SEP}long") or 0)
    if long:
        longest = int(counts.get(f"{spec.name}{_SEP}longest") or 0)
        issues.append(
            ColumnIssue(
                "key_too_long",
                "error",
                f"{long} row(s) hold keys longer than the limit of {spec.key_limit} bytes (UTF-8; the longest "
                f"is {longest:,} bytes)",
                long,
            )
        )
    nulls = int(counts.get(f"{spec.name}{_SEP}nulls") or 0)
    if actual == "Null" and not spec.nullable:
        nulls = df.height
    if nulls:
        issues.append(
            ColumnIssue(
                "unexpected_nulls",
                "error",
                f"{nulls} row(s) are null/NaN but the column is not nullable",
                nulls,
            )
        )
    outside = int(counts.get(f"{spec.name}{_SEP}range") or 0)
    if outside:
        col = pl.col(spec.name)
        mask = (col < spec.minimum if spec.minimum is not None else pl.lit(False)) | (
            col > spec.maximum if spec.maximum is not None else pl.lit(False)
        )
        if df.schema[spec.name].is_float():
            mask = mask & col.is_not_nan()
        issues.append(
            ColumnIssue(
                "out_of_range",
                "error" if strict_ranges else "warning",
                f"{outside} row(s) outside the range [{spec.minimum}, {spec.maximum}] seen in training",
                outside,
                _examples(df, spec, mask),
            )
        )
    return tuple(issues)


def _examples(df: pl.DataFrame, spec: ColumnSpec, mask: pl.Expr) -> tuple[Any, ...]:
    values = df.select(pl.col(spec.name).filter(mask).unique(maintain_order=True).head(_EXAMPLES)).to_series()
    if spec.kind == "categorical":
        values = values.cast(pl.String)
    return tuple(values.to_list())


def enforce(
    df: pl.DataFrame,
    contract: InputContract,
    *,
    context: str = "",
    strict_ranges: bool = False,
    allow_unseen: bool = False,
) -> ValidationReport:
    """Raise :class:`ContractViolation` naming every offending column, or return the (passing) report.

    ``context`` prefixes the message, e.g. ``"batch 37"``. Out-of-range values only
    fail with ``strict_ranges``, unseen categories not with ``allow_unseen``; otherwise
    they stay warnings in the returned report.
    ``details`` is a list with one entry per issue: column, role, kind, severity,
    message, count, examples, expected and actual dtype.
    """
    report = validate(df, contract, strict_ranges=strict_ranges, allow_unseen=allow_unseen)
    if report.ok:
        return report
    details: list[dict[str, Any]] = []
    parts: list[str] = []
    for col in report.errors:
        errors = [i for i in col.issues if i.severity == "error"]
        parts.append(f"{col.column!r} ({'; '.join(i.message for i in errors)})")
        for issue in errors:
            details.append(
                {
                    "column": col.column,
                    "role": col.role,
                    "expected_dtype": col.expected_dtype,
                    "actual_dtype": col.actual_dtype,
                    **issue.to_dict(),
                }
            )
    prefix = f"{context}: " if context else ""
    fix = (
        "Fix the input data, or widen the contract with an override file (ranges, categories, nullable"
        + (", a key's max_bytes" if any(d["kind"] == "key_too_long" for d in details) else "")
        + ") and register a new version."
    )
    message = (
        f"{prefix}the input does not satisfy the model's input contract; {len(parts)} column(s) offend: "
        + ", ".join(parts)
        + ". "
        + fix
    )
    raise ContractViolation(message, details=details)
