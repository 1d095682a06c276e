"""derive_contract: what a training frame records, JSON round trips, and refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from workbench.contracts import ColumnSpec, InputContract, derive_contract
from workbench.core.errors import ValidationError
from workbench.core.hashing import canonical_json


def _train() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "applicant_id": ["a1", "a2", "a3", "a4"],
            "age": pl.Series([19, 23, None, 41], dtype=pl.Int32),
            "gpa": [3.1, float("nan"), 2.4, float("inf")],
            "program": pl.Series(["law", "med", "law", "eng"], dtype=pl.Categorical),
            "track": pl.Series(["b", "a", "b", "b"], dtype=pl.Enum(["b", "a", "c"])),
            "first_gen": [True, False, True, True],
            "region": ["n", "s", "s", None],
            "admitted": [0, 1, 0, 1],
        }
    )


def test_records_order_dtypes_nulls_ranges_and_categories() -> None:
    contract = derive_contract(_train(), target="admitted", keys=["applicant_id"])

    assert contract.names == ("applicant_id", "age", "gpa", "program", "track", "first_gen", "region")
    assert contract.features == ("age", "gpa", "program", "track", "first_gen", "region")
    assert contract.keys == ("applicant_id",)
    assert contract.target == "admitted"
    assert contract.rows == 4
    assert contract.column("applicant_id") == ColumnSpec("applicant_id", "String", role="key", nullable=False)
    assert contract.column("age") == ColumnSpec("age", "Int32", nullable=True, minimum=19, maximum=41)
    # NaN counts as missing; infinity is a value but not part of the finite range.
    assert contract.column("gpa") == ColumnSpec("gpa", "Float64", nullable=True, minimum=2.4, maximum=3.1)
    assert contract.column("program").categories == ("eng", "law", "med")
    assert contract.column("program").dtype == "Categorical"
    # An Enum keeps its declared order, unseen members included: that order is its encoding.
    assert contract.column("track") == ColumnSpec("track", "Enum", categories=("b", "a", "c"))
    assert contract.column("first_gen") == ColumnSpec("first_gen", "Boolean", categories=("false", "true"))
    assert contract.column("region") == ColumnSpec("region", "String", nullable=True, categories=("n", "s"))
    assert contract.feature_types() == ["q", "q", "c", "c", "q", "c"]


def test_explicit_features_fix_the_model_order_and_leave_other_columns_out() -> None:
    contract = derive_contract(_train(), target="admitted", features=["gpa", "age"])

    assert contract.features == ("gpa", "age")
    assert contract.names == ("age", "gpa")  # columns stay in frame order
    assert "program" not in contract


def test_round_trips_through_plain_json() -> None:
    contract = derive_contract(_train(), target="admitted", keys=["applicant_id"])

    text = canonical_json(contract.to_dict())
    assert InputContract.from_dict(json.loads(text)) == contract


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "outcome"}, "target column 'outcome' is not in the training frame"),
        ({"keys": ["nope"]}, "Key column(s) ['nope'] are not in the training frame"),
        ({"features": ["age", "missing"]}, "Feature column(s) ['missing'] are not in"),
        ({"features": ["age", "age"]}, "names a column twice"),
        ({"target": "admitted", "features": ["admitted"]}, "cannot be features and also the target"),
        ({"target": "age", "keys": ["age"]}, "both the target and a key"),
        ({"features": []}, "no feature columns"),
        ({"target": "admitted", "keys": ["applicant_id"], "max_categories": 2}, "'program' has 3 distinct values"),
    ],
)
def test_refuses_bad_column_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        derive_contract(_train(), **kwargs)
    assert message in info.value.message


def test_refuses_an_empty_frame() -> None:
    with pytest.raises(ValidationError, match="empty"):
        derive_contract(_train().clear())


def test_refuses_a_feature_that_is_only_nulls_or_nan() -> None:
    frame = pl.DataFrame({"x": [1.0, 2.0], "dead": [float("nan"), None], "y": [0, 1]})
    with pytest.raises(ValidationError, match="'dead' holds only null/NaN"):
        derive_contract(frame, target="y")


def test_refuses_a_feature_the_model_cannot_take_but_allows_it_as_a_key() -> None:
    frame = pl.DataFrame({"day": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, 3), eager=True), "x": [1, 2, 3]})
    with pytest.raises(ValidationError, match="'day' has dtype Date"):
        derive_contract(frame)
    assert derive_contract(frame, keys=["day"]).column("day").dtype == "Date"


def test_from_dict_names_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="format version 99"):
        InputContract.from_dict({"format_version": 99, "columns": [], "features": []})
    with pytest.raises(ValidationError, match="malformed"):
        InputContract.from_dict({"columns": [{"dtype": "Int64"}], "features": []})
    with pytest.raises(ValidationError, match="role 'label'"):
        InputContract.from_dict({"columns": [{"name": "x", "dtype": "Int64", "role": "label"}], "features": []})
    with pytest.raises(ValidationError, match="has no column for it"):
        InputContract.from_dict({"columns": [], "features": ["x"]})


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, workbench.contracts; "
        "print(sorted(m for m in ('xgboost', 'shap', 'fairlearn', 'pandas', 'sklearn', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
