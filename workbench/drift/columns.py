"""Which columns a drift check tests, and as what: validation of the two frames and
Evidently's type inference on polars dtypes.

Both the fast engine and the Evidently report resolve columns here, so the HTML report
tests exactly the columns, with exactly the kinds, that the fast verdicts are about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import polars as pl

from workbench.core.errors import ValidationError
from workbench.drift.report import ColumnKind
from workbench.drift.rules import DtypeFamily, dtype_family, kind_for

__all__ = ["ResolvedColumns", "infer_column_types", "resolve_columns"]

_NUMERIC = frozenset({"float", "int"})
_TEXTUAL = frozenset({"string", "categorical"})
_CAN_BE_CAT = frozenset({"float", "int", "string", "bool", "categorical"})
_SKIP_REASON = {
    "datetime": "datetime column: DataDriftPreset tests numerical, categorical and text columns only",
    "unknown": "dtype {dtype} has no tabular drift test in DataDriftPreset",
}


@dataclass(frozen=True)
class ResolvedColumns:
    """The columns to test, in order, with their kind and the count of usable values
    (not null, not NaN, not infinite) in each frame."""

    kinds: dict[str, ColumnKind]
    n_reference: dict[str, int]
    n_current: dict[str, int]
    skipped: tuple[tuple[str, str], ...]


def _require_frame(frame: object, name: str) -> pl.DataFrame:
    if not isinstance(frame, pl.DataFrame):
        raise ValidationError(
            f"The {name} data must be a polars DataFrame, not {type(frame).__name__}. "
            "Use `polars.from_pandas(df)` or `lazy_frame.collect()` first."
        )
    if frame.width == 0:
        raise ValidationError(f"The {name} frame has no columns; drift needs at least one column to compare.")
    if frame.height == 0:
        raise ValidationError(f"The {name} frame is empty (0 rows); drift needs rows in both frames.")
    return frame


def _select_columns(reference: pl.DataFrame, current: pl.DataFrame, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        missing_ref = [c for c in current.columns if c not in reference.columns]
        missing_cur = [c for c in reference.columns if c not in current.columns]
        if missing_ref or missing_cur:
            parts = []
            if missing_cur:
                parts.append(f"only in reference: {missing_cur}")
            if missing_ref:
                parts.append(f"only in current: {missing_ref}")
            raise ValidationError(
                "Reference and current frames have different columns (" + "; ".join(parts) + "). "
                "Pass the same columns in both, or choose the columns to compare with `columns=`.",
                details={"only_in_reference": missing_cur, "only_in_current": missing_ref},
            )
        return list(current.columns)
    selected = list(columns)
    if not selected:
        raise ValidationError("`columns=` is empty; name at least one column to compare, or pass None for all.")
    duplicates = sorted({c for c in selected if selected.count(c) > 1})
    if duplicates:
        raise ValidationError(f"`columns=` names these columns more than once: {duplicates}.")
    absent = {
        "reference": [c for c in selected if c not in reference.columns],
        "current": [c for c in selected if c not in current.columns],
    }
    if absent["reference"] or absent["current"]:
        raise ValidationError(
            f"Columns to compare are missing: {absent['reference']} from reference, "
            f"{absent['current']} from current. Check the names in `columns=`.",
            details=absent,
        )
    return selected


def _current_cardinality(current: pl.DataFrame, names: list[str]) -> dict[str, tuple[int, int]]:
    """(distinct non-null values, non-null values) per column, in one pass."""
    if not names:
        return {}
    row = current.select(
        [pl.col(c).drop_nulls().n_unique().alias(f"u{i}") for i, c in enumerate(names)]
        + [pl.col(c).count().alias(f"n{i}") for i, c in enumerate(names)]
    ).row(0)
    k = len(names)
    return {c: (int(row[i]), int(row[k + i])) for i, c in enumerate(names)}


def infer_column_types(current: pl.DataFrame, columns: Sequence[str] | None = None) -> dict[str, ColumnKind | str]:
    """Evidently's kind for each column of the current frame: ``num``, ``cat``, ``text``,
    ``datetime`` or ``unknown`` (see :mod:`workbench.drift.rules`)."""
    names = list(current.columns if columns is None else columns)
    schema = current.schema
    families = {c: dtype_family(schema[c]) for c in names}
    cardinality = _current_cardinality(current, [c for c in names if families[c] in ("int", "string")])
    return {c: kind_for(families[c], *cardinality.get(c, (0, 0))) for c in names}


def _usable_counts(frame: pl.DataFrame, names: list[str]) -> dict[str, int]:
    """Values a test would see: Evidently drops nulls, NaN and ±inf before testing."""
    if not names:
        return {}
    exprs = []
    schema = frame.schema
    for i, c in enumerate(names):
        expr = pl.col(c).is_finite().sum() if schema[c].is_float() else pl.col(c).count()
        exprs.append(expr.cast(pl.Int64).alias(f"c{i}"))
    row = frame.select(exprs).row(0)
    return {c: int(row[i]) for i, c in enumerate(names)}


def _check_dtypes(
    names: list[str],
    ref_family: dict[str, DtypeFamily],
    cur_family: dict[str, DtypeFamily],
    ref: pl.DataFrame,
    cur: pl.DataFrame,
) -> None:
    clashes = []
    for c in names:
        a, b = ref_family[c], cur_family[c]
        if a == b or {a, b} <= _NUMERIC or {a, b} <= _TEXTUAL or "null" in (a, b):
            continue
        if ref[c].null_count() == ref.height or cur[c].null_count() == cur.height:
            continue  # an all-null side is reported as such below, not as a dtype clash
        clashes.append(c)
    if clashes:
        raise ValidationError(
            f"Columns {clashes} have incompatible dtypes in reference and current "
            "(a number in one and text in the other, say). Cast them to one dtype before comparing.",
            details={c: str(ref.schema[c]) for c in clashes},
        )


def resolve_columns(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
    reference_counts: Mapping[str, int] | None = None,
) -> ResolvedColumns:
    """Validate the frames and decide, per column, whether and how it is tested.

    ``reference_counts`` are the reference's usable values per column when already known
    (a reference compared many times, :class:`~workbench.drift.DriftBaseline`).

    Raises :class:`ValidationError` for frames that are not polars, empty frames,
    different columns, incompatible dtypes, text columns without an override, and columns
    with no usable value in either frame.
    """
    reference = _require_frame(reference, "reference")
    current = _require_frame(current, "current")
    names = _select_columns(reference, current, columns)
    overrides = dict(column_types or {})
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ValidationError(f"`column_types=` names columns that are not compared: {unknown}.")
    bad = {c: k for c, k in overrides.items() if k not in ("num", "cat")}
    if bad:
        raise ValidationError(f"`column_types=` values must be 'num' or 'cat'; got {bad}.")

    ref_schema, cur_schema = reference.schema, current.schema
    ref_family = {c: dtype_family(ref_schema[c]) for c in names}
    cur_family = {c: dtype_family(cur_schema[c]) for c in names}
    _check_dtypes(names, ref_family, cur_family, reference, current)

    inferred = infer_column_types(current, [c for c in names if c not in overrides and cur_family[c] != "null"])
    kinds: dict[str, ColumnKind] = {}
    skipped: list[tuple[str, str]] = []
    texts: list[str] = []
    misfits: list[str] = []
    for c in names:
        families = {ref_family[c], cur_family[c]}
        if c in overrides:
            wanted = overrides[c]
            if "null" not in families and not families <= (_NUMERIC if wanted == "num" else _CAN_BE_CAT):
                misfits.append(f"{c} ({current.schema[c]} as {wanted})")
            kinds[c] = cast(ColumnKind, wanted)
        elif "null" in families:
            kinds[c] = "cat"  # reported as all-null below
        elif inferred[c] == "text":
            texts.append(c)
        elif inferred[c] in ("datetime", "unknown"):
            skipped.append((c, _SKIP_REASON[inferred[c]].format(dtype=current.schema[c])))
        else:
            kinds[c] = cast(ColumnKind, inferred[c])
    if misfits:
        raise ValidationError(
            f"`column_types=` asks for kinds these dtypes cannot take: {misfits}. "
            "'num' needs an integer or float column; 'cat' a number, string, boolean or categorical."
        )
    if texts:
        raise ValidationError(
            f"Columns {texts} look like free text (more than half of their values are distinct), "
            "and Evidently tests text by training a classifier, which the fast drift engine does not do. "
            f"Leave them out with `columns=`, or test them as categories with `column_types={{{texts[0]!r}: 'cat'}}`.",
            details={"text_columns": texts},
        )

    tested = list(kinds)
    known = reference_counts or {}
    n_reference = (
        {c: known[c] for c in tested} if all(c in known for c in tested) else _usable_counts(reference, tested)
    )
    n_current = _usable_counts(current, tested)
    empty_in = {
        c: [frame for frame, counts in (("reference", n_reference), ("current", n_current)) if counts[c] == 0]
        for c in tested
    }
    empty = {c: frames for c, frames in empty_in.items() if frames}
    if empty:
        listed = ", ".join(f"{c} ({' and '.join(frames)})" for c, frames in empty.items())
        raise ValidationError(
            f"Columns have no values to compare (all null, NaN or infinite): {listed}. "
            "Drop them or leave them out with `columns=`.",
            details={"empty_columns": empty},
        )
    if not tested:
        raise ValidationError(
            "No column can be tested for drift: every column is a datetime or a non-tabular dtype. "
            f"Skipped: {[c for c, _ in skipped]}."
        )
    return ResolvedColumns(kinds=kinds, n_reference=n_reference, n_current=n_current, skipped=tuple(skipped))
