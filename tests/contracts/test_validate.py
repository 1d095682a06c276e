"""validate and enforce: every kind of violation, widening, and the error a scorer raises."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.contracts import derive_contract, enforce, validate
from workbench.core.errors import ContractViolation


def _contract():
    train = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "age": [20, 35, 50],
            "gpa": [2.0, 3.0, 4.0],
            "program": pl.Series(["law", "med", "law"], dtype=pl.Categorical),
            "track": pl.Series(["x", "y", "x"], dtype=pl.Enum(["x", "y"])),
            "first_gen": [True, True, True],
            "y": [0, 1, 0],
        }
    )
    return derive_contract(train, target="y", keys=["id"])


def _good() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [7, 8],
            "age": [21, 49],
            "gpa": [2.5, 3.5],
            "program": ["med", "law"],
            "track": pl.Series(["y", "x"], dtype=pl.Enum(["x", "y"])),
            "first_gen": [True, True],
            "y": [1, 0],  # extra columns are allowed and reported
        }
    )


def test_a_conforming_frame_is_ok_column_by_column() -> None:
    report = validate(_good(), _contract())

    assert report.ok
    assert [c.status for c in report.columns] == ["ok"] * 6
    assert report.extra_columns == ("y",)
    assert report.to_frame().get_column("status").to_list() == ["ok"] * 6
    assert enforce(_good(), _contract()).ok


def test_safe_widening_and_string_like_dtypes_are_accepted() -> None:
    frame = _good().with_columns(
        pl.col("id").cast(pl.UInt16),  # unsigned 16 bits fit Int64
        pl.col("age").cast(pl.Int8),
        pl.col("gpa").cast(pl.Float32),
        pl.col("track").cast(pl.String),  # Parquet round trips may turn Enum into String
        pl.col("program").cast(pl.Categorical),
    )
    assert validate(frame, _contract()).ok
    ints_for_floats = _good().with_columns(pl.col("gpa").cast(pl.Int64).alias("gpa"))
    assert validate(ints_for_floats, _contract()).ok


def test_every_violation_kind_is_reported() -> None:
    frame = pl.DataFrame(
        {
            "id": [1.5, 2.5, 3.5],  # Float64 for an Int64 key: narrowing
            "gpa": [1.0, None, 9.0],  # out of range (warning) and null where not nullable
            "program": ["law", "art", "music"],  # unseen categories
            "track": pl.Series(["x", "z", None], dtype=pl.Enum(["x", "y", "z"])),  # unseen + null
            "first_gen": [True, False, None],  # false never seen in training, plus a null
        }
    )
    report = validate(frame, _contract())
    by_column = {c.column: c for c in report.columns}

    assert not report.ok
    assert by_column["id"].status == "wrong_dtype"
    assert by_column["id"].issues[0].message == "dtype is Float64, expected Int64"
    assert by_column["age"].status == "missing"
    gpa = {i.kind: i for i in by_column["gpa"].issues}
    assert gpa["unexpected_nulls"].count == 1
    assert gpa["out_of_range"].count == 2
    assert gpa["out_of_range"].severity == "warning"
    assert gpa["out_of_range"].examples == (1.0, 9.0)
    program = by_column["program"].issues[0]
    assert (program.kind, program.count, program.examples) == ("unseen_categories", 2, ("art", "music"))
    track = {i.kind: i for i in by_column["track"].issues}
    assert track["unseen_categories"].examples == ("z",)
    assert track["unexpected_nulls"].count == 1
    first_gen = {i.kind: i for i in by_column["first_gen"].issues}
    assert first_gen["unseen_categories"].examples == (False,)
    assert [c.column for c in report.errors] == ["id", "age", "gpa", "program", "track", "first_gen"]


def test_out_of_range_is_a_warning_unless_strict() -> None:
    frame = _good().with_columns(pl.Series("age", [10, 99]))
    report = enforce(frame, _contract())
    assert report.ok
    assert [c.column for c in report.warnings] == ["age"]
    assert report.warnings[0].issues[0].message == "2 row(s) outside the range [20, 50] seen in training"

    with pytest.raises(ContractViolation, match="'age'"):
        enforce(frame, _contract(), strict_ranges=True)


def test_nan_counts_as_missing_not_out_of_range() -> None:
    frame = _good().with_columns(pl.Series("gpa", [float("nan"), 3.0]))
    kinds = [i.kind for i in validate(frame, _contract()).columns[2].issues]
    assert kinds == ["unexpected_nulls"]


def test_an_all_null_batch_is_a_null_problem_not_a_dtype_problem() -> None:
    frame = _good().with_columns(pl.lit(None).alias("gpa"))
    gpa = validate(frame, _contract()).columns[2]
    assert gpa.actual_dtype == "Null"
    assert gpa.status == "unexpected_nulls"
    assert gpa.issues[0].count == 2


def test_enforce_lists_every_offending_column_with_context_and_details() -> None:
    frame = (
        _good()
        .drop("age")
        .with_columns(
            pl.col("gpa").cast(pl.String),
            pl.Series("program", ["art", "law"]),
        )
    )
    with pytest.raises(ContractViolation) as info:
        enforce(frame, _contract(), context="batch 37")

    error = info.value
    assert error.message.startswith("batch 37: the input does not satisfy the model's input contract; 3 column(s)")
    assert "'age' (column is missing)" in error.message
    assert "'gpa' (dtype is String, expected Float64)" in error.message
    assert "'program' (1 row(s) hold categories not in the contract: 'art')" in error.message
    assert [(d["column"], d["kind"]) for d in error.details] == [
        ("age", "missing"),
        ("gpa", "wrong_dtype"),
        ("program", "unseen_categories"),
    ]
    assert error.details[2]["examples"] == ["art"]
    assert error.to_dict()["error"] == "ContractViolation"


def test_report_serialises_to_plain_data() -> None:
    frame = _good().with_columns(pl.Series("program", ["art", "law"]))
    data = validate(frame, _contract()).to_dict()
    assert data["ok"] is False
    assert data["columns"][3]["status"] == "unseen_categories"
    assert data["columns"][3]["issues"][0]["examples"] == ["art"]
