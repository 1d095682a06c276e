"""Contract override files: widening from YAML, and errors that name the key at fault."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench.contracts import (
    ContractOverrides,
    apply_overrides,
    derive_contract,
    enforce,
    feature_matrix,
    load_overrides,
)
from workbench.core.errors import ValidationError


def _train() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "applicant_id": ["a", "b", "c"],
            "batch": [1, 1, 2],
            "age": [20, 30, 40],
            "program": ["law", "med", "law"],
            "flag": [True, True, True],
            "y": [0, 1, 1],
        }
    )


def _contract():
    return derive_contract(_train(), target="y", features=["age", "program", "flag"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_widens_ranges_adds_categories_nulls_and_declares_keys(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
keys:
  - applicant_id
  - name: batch_id
    dtype: Int64
    nullable: true
columns:
  age: {min: 16, max: 99}
  program:
    categories: [eng, law]
  flag:
    categories: [false]
    nullable: true
""",
    )
    contract = apply_overrides(_contract(), load_overrides(path), frame=_train())

    assert contract.keys == ("applicant_id", "batch_id")
    assert contract.column("applicant_id").dtype == "String"
    assert contract.column("batch_id").nullable
    assert (contract.column("age").minimum, contract.column("age").maximum) == (16, 99)
    # New categories are appended, so the codes the model was trained on keep their meaning.
    assert contract.column("program").categories == ("law", "med", "eng")
    assert contract.column("flag").categories == ("false", "true")
    assert contract.column("flag").nullable
    assert contract.features == ("age", "program", "flag")

    scoring = pl.DataFrame(
        {
            "applicant_id": ["z"],
            "batch_id": [None],
            "age": [17],
            "program": ["eng"],
            "flag": [None],
        },
        schema_overrides={"batch_id": pl.Int64, "flag": pl.Boolean},
    )
    assert enforce(scoring, contract, strict_ranges=True).ok
    assert feature_matrix(scoring, contract)[0, 1] == 2.0


def test_an_empty_file_changes_nothing(tmp_path: Path) -> None:
    assert apply_overrides(_contract(), load_overrides(_write(tmp_path, ""))) == _contract()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- a\n", "the top level must be a mapping", id="top-level-list"),
        pytest.param("colums: {}\n", "`colums` is not a known key", id="unknown-top-key"),
        pytest.param("columns: [age]\n", "`columns` must be a mapping", id="columns-not-mapping"),
        pytest.param("columns:\n  age: {}\n", "`columns.age` must be a non-empty mapping", id="empty-column"),
        pytest.param(
            "columns:\n  age: {minimum: 1}\n", "`columns.age.minimum` is not a known key", id="unknown-column-key"
        ),
        pytest.param(
            "columns:\n  age: {min: low}\n", "`columns.age.min` must be a number, got 'low'", id="min-not-number"
        ),
        pytest.param("columns:\n  age: {min: 9, max: 1}\n", "`columns.age` has min 9 above max 1", id="min-above-max"),
        pytest.param(
            "columns:\n  age: {nullable: maybe}\n",
            "`columns.age.nullable` must be true or false",
            id="nullable-not-bool",
        ),
        pytest.param(
            "columns:\n  age: {nullable: false}\n", "`columns.age.nullable` can only be true", id="nullable-false"
        ),
        pytest.param(
            "columns:\n  program: {categories: eng}\n",
            "`columns.program.categories` must be a list",
            id="categories-not-list",
        ),
        pytest.param("keys: applicant_id\n", "`keys` must be a list", id="keys-not-list"),
        pytest.param(
            "keys:\n  - {dtype: String}\n",
            "`keys[0]` must be a column name or a mapping with `name`",
            id="key-without-name",
        ),
        pytest.param("keys:\n  - {name: k, type: String}\n", "`keys[0].type` is not a known key", id="unknown-key-key"),
        pytest.param("keys:\n  - {name: k, dtype: Text}\n", "`keys[0].dtype` must be one of", id="unknown-key-dtype"),
        pytest.param("columns: {age: {min: 1}\n", "is not valid YAML", id="bad-yaml"),
    ],
)
def test_shape_errors_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_overrides(path)
    assert message in info.value.message
    assert str(path) in info.value.message


def test_shape_errors_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "columns:\n  age: {min: 1}\nkeys:\n  - {name: k, dtype: Text}\n")
    with pytest.raises(ValidationError, match=r"\.yaml:4: `keys\[0\]\.dtype` must be one of"):
        load_overrides(path)
    bad = _write(tmp_path, "columns:\n  age: {min: 1}\n  gpa: [\n")
    with pytest.raises(ValidationError, match=r"is not valid YAML: line \d+:"):
        load_overrides(bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"columns": {"height": {"min": 1}}}, "`columns.height` names a column that is not in the contract"),
        ({"columns": {"age": {"min": 25}}}, "`columns.age.min` = 25 would narrow the range [20, 40]"),
        ({"columns": {"age": {"max": 35}}}, "`columns.age.max` = 35 would narrow"),
        ({"columns": {"program": {"min": 0}}}, "'program' is not a numeric feature"),
        ({"columns": {"age": {"categories": ["x"]}}}, "'age' has no category set"),
        ({"columns": {"flag": {"categories": ["maybe"]}}}, "of a boolean column can only be true or false"),
        ({"keys": ["age"]}, "`keys[0]` names 'age', a model feature"),
        ({"keys": ["batch_id"]}, "`keys[0]` names 'batch_id', which is not in the training frame; give its `dtype`"),
    ],
)
def test_semantic_errors_name_the_key(data: dict, message: str) -> None:
    overrides = ContractOverrides.from_dict(data, source="policies/contract.yaml")
    with pytest.raises(ValidationError) as info:
        apply_overrides(_contract(), overrides, frame=_train())
    assert message in info.value.message
    assert "policies/contract.yaml" in info.value.message


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        load_overrides(tmp_path / "nope.yaml")
