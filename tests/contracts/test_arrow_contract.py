"""ArrowContract: the Arrow-buffer path gives the polars path's verdicts, counts and model input.

Every case goes through a real Parquet file read the way scoring reads it (categorical
string features as dictionaries) and, where it matters, as plain strings too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.contracts import derive_contract, enforce, feature_matrix, validate
from workbench.contracts.arrow import ArrowContract
from workbench.core.errors import ContractViolation

TRAIN = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "gpa": [2.0, 3.0, 3.5, 4.0],
        "credits": [10, 20, 30, 40],
        "essay": [0.5, None, 0.7, 0.9],
        "program": ["law", "med", "eng", "law"],
        "first_gen": [True, False, True, False],
        "y": [0, 1, 1, 0],
    }
)
CONTRACT = derive_contract(TRAIN, target="y", keys=["id"])
TWO_ROWS = pl.DataFrame(
    {
        "id": ["p", "q"],
        "gpa": [3.0, 2.5],
        "credits": [20, 30],
        "essay": [0.6, 0.7],
        "program": ["law", "eng"],
        "first_gen": [True, False],
    }
)


def _batches(
    tmp_path: Path, frame: pl.DataFrame, *, dictionary: bool = True, batch_rows: int = 3
) -> list[pa.RecordBatch]:
    path = tmp_path / "input.parquet"
    frame.write_parquet(path)
    handle = pq.ParquetFile(path, read_dictionary=["program"] if dictionary else None)
    return list(handle.iter_batches(batch_size=batch_rows))


def _polars_warnings(frame: pl.DataFrame) -> dict[str, int]:
    report = validate(frame, CONTRACT)
    assert report.ok
    return {c.column: sum(i.count for i in c.issues) for c in report.warnings}


@pytest.mark.parametrize("dictionary", [True, False])
def test_a_clean_batch_passes_with_the_same_model_input_as_feature_matrix(tmp_path: Path, dictionary: bool) -> None:
    frame = pl.DataFrame(
        {
            "id": ["p", "q", "r", "s", "t"],
            "gpa": [2.5, 3.9, 2.0, 4.0, 3.1],
            "credits": [12, 40, 10, 33, 21],
            "essay": [None, 0.6, float("nan"), 0.8, 0.5],  # nullable in training: nulls and NaN are fine
            "program": ["eng", "law", None, "med", "law"],
            "first_gen": [False, True, True, False, True],
        }
    ).with_columns(pl.col("program").fill_null("eng"))
    binding = ArrowContract(CONTRACT, _batches(tmp_path, frame, dictionary=dictionary)[0].schema)

    tables = []
    for batch in _batches(tmp_path, frame, dictionary=dictionary):
        assert binding.check(batch) == {}
        tables.append(ArrowContract.matrix(binding.features_table(batch)))
    np.testing.assert_array_equal(np.concatenate(tables), feature_matrix(frame, CONTRACT))


def test_out_of_range_values_are_counted_like_validate(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "id": ["p", "q", "r", "s"],
            "gpa": [1.0, 5.0, 3.0, 4.5],  # three outside [2, 4]
            "credits": [5, 20, 50, 30],  # two outside [10, 40]
            "essay": [0.1, None, 0.95, float("nan")],  # two outside [0.5, 0.9]; NaN and null are not
            "program": ["law", "law", "med", "eng"],
            "first_gen": [True, True, False, False],
        }
    )
    batch = _batches(tmp_path, frame, batch_rows=10)[0]
    binding = ArrowContract(CONTRACT, batch.schema)

    assert binding.check(batch) == _polars_warnings(frame) == {"gpa": 3, "credits": 2, "essay": 2}


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("gpa", [3.0, float("nan"), 3.0]),  # NaN in a non-nullable float
        ("gpa", [3.0, None, 3.0]),  # null in a non-nullable float
        ("credits", [10, None, 20]),  # null in a non-nullable integer
        ("program", ["law", "art", "med"]),  # a category the contract does not know
        ("program", ["law", None, "med"]),  # null in a non-nullable categorical
        ("first_gen", [True, None, False]),  # null in a non-nullable boolean
    ],
)
@pytest.mark.parametrize("dictionary", [True, False])
def test_errors_defer_to_enforce_which_names_the_column(
    tmp_path: Path, column: str, values: list[object], dictionary: bool
) -> None:
    base = {"id": ["p", "q", "r"], "gpa": [3.0] * 3, "credits": [20] * 3, "essay": [0.6] * 3}
    frame = pl.DataFrame({**base, "program": ["law"] * 3, "first_gen": [True] * 3}).with_columns(
        pl.Series(column, values, dtype=TRAIN.schema[column])
    )
    batch = _batches(tmp_path, frame, dictionary=dictionary, batch_rows=10)[0]
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"))

    assert binding.check(batch) is None
    with pytest.raises(ContractViolation, match=column):
        enforce(binding.frame(batch), CONTRACT, context="batch 1")


def test_an_unused_unknown_dictionary_entry_does_not_fail_the_batch(tmp_path: Path) -> None:
    """A row group's dictionary may hold values the batch's rows never use."""
    program = pa.DictionaryArray.from_arrays(pa.array([0, 2, 0], type=pa.int32()), pa.array(["law", "art", "med"]))
    batch = pa.RecordBatch.from_pydict(
        {
            "id": ["p", "q", "r"],
            "gpa": [3.0, 3.0, 3.0],
            "credits": [20, 20, 20],
            "essay": [0.6, 0.6, 0.6],
            "program": program,
            "first_gen": [True, False, True],
        }
    )
    binding = ArrowContract(CONTRACT, batch.schema.set(4, pa.field("program", pa.string())))

    assert binding.check(batch) == {}
    codes = ArrowContract.matrix(binding.features_table(batch))[:, list(CONTRACT.features).index("program")]
    np.testing.assert_array_equal(codes, np.array([1, 2, 1], np.float32))  # eng, law, med → law=1, med=2


def test_a_wrong_dtype_or_a_missing_column_is_left_to_enforce(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": ["p"], "gpa": ["3.0"], "credits": [20], "essay": [0.6], "program": ["law"]})
    batch = _batches(tmp_path, frame)[0]
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"))

    assert not binding.dtypes_ok
    assert binding.missing == ["first_gen"]
    assert binding.check(batch) is None
    with pytest.raises(ContractViolation, match="first_gen.*missing|gpa.*dtype"):
        enforce(binding.frame(batch), CONTRACT)


def test_sliced_arrays_reach_xgboost_without_their_offset(tmp_path: Path) -> None:
    """XGBoost reads Arrow buffers from their start: a slice must be copied to offset 0 first."""
    frame = pl.DataFrame(
        {
            "id": ["p", "q", "r", "s"],
            "gpa": [2.0, 2.5, 3.0, 3.5],
            "credits": [10, 20, 30, 40],
            "essay": [0.5, 0.6, 0.7, 0.8],
            "program": ["eng", "law", "med", "law"],
            "first_gen": [True, False, True, False],
        }
    )
    batch = _batches(tmp_path, frame, batch_rows=10)[0].slice(2, 2)
    binding = ArrowContract(CONTRACT, batch.schema)

    table = binding.features_table(batch)

    assert all(column.chunk(0).offset == 0 for column in table.columns)
    np.testing.assert_array_equal(ArrowContract.matrix(table), feature_matrix(frame.slice(2, 2), CONTRACT))


def test_dictionary_columns_are_the_categorical_string_features(tmp_path: Path) -> None:
    _batches(tmp_path, TRAIN)
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"))
    assert binding.dictionary_columns() == ["program"]


def test_the_columnar_input_predicts_what_the_dense_matrix_predicts(tmp_path: Path) -> None:
    import xgboost

    from workbench.scoring.device import predict

    rng = np.random.default_rng(3)
    n = 500
    train = pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "gpa": rng.uniform(2, 4, n),
            "credits": rng.integers(10, 40, n),
            "essay": rng.uniform(0.5, 0.9, n),
            "program": rng.choice(["eng", "law", "med"], n),
            "first_gen": rng.random(n) < 0.4,
            "y": rng.integers(0, 2, n),
        }
    )
    contract = derive_contract(train, target="y", keys=["id"])
    matrix = xgboost.DMatrix(
        feature_matrix(train, contract),
        label=train["y"].to_numpy(),
        feature_types=contract.feature_types(),
        enable_categorical=True,
    )
    booster = xgboost.train({"max_depth": 4, "objective": "binary:logistic"}, matrix, num_boost_round=20)
    batches = _batches(tmp_path, train.drop("y"), batch_rows=128)
    binding = ArrowContract(contract, pq.read_schema(tmp_path / "input.parquet"))

    columnar = np.concatenate([predict(booster, binding.features_table(b), "cpu") for b in batches])
    # The CUDA branch hands a GPU the dense form of the same table (without CuPy or a GPU here,
    # XGBoost predicts it on the CPU; the conversion is what this checks).
    dense = np.concatenate([predict(booster, binding.features_table(b), "cuda") for b in batches])

    expected = booster.inplace_predict(feature_matrix(train, contract))
    np.testing.assert_array_equal(columnar, expected)
    np.testing.assert_array_equal(dense, expected)


def test_large_integers_with_nulls_are_compared_as_integers() -> None:
    big = 2**53
    contract = derive_contract(pl.DataFrame({"x": [0, big, None]}))
    batch = pa.RecordBatch.from_pydict({"x": pa.array([big + 1, None, 5], type=pa.int64())})
    binding = ArrowContract(contract, batch.schema)
    assert binding.check(batch) == _polars_warnings_for(pl.from_arrow(batch), contract) == {"x": 1}


def test_a_null_value_in_a_dictionary_is_left_to_enforce() -> None:
    program = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], type=pa.int32()), pa.array(["law", None]))
    batch = pa.RecordBatch.from_pydict(
        {
            "id": ["p", "q", "r"],
            "gpa": [3.0] * 3,
            "credits": [20] * 3,
            "essay": [0.6] * 3,
            "program": program,
            "first_gen": [True] * 3,
        }
    )
    binding = ArrowContract(CONTRACT, batch.schema.set(4, pa.field("program", pa.string())))
    assert binding.check(batch) is None
    with pytest.raises(ContractViolation, match="program"):
        enforce(binding.frame(batch), CONTRACT)


def test_view_typed_strings_are_read_as_large_strings(tmp_path: Path) -> None:
    frame = TWO_ROWS
    table = frame.to_arrow()
    views = pa.schema([f.with_type(pa.string_view()) if pa.types.is_large_string(f.type) else f for f in table.schema])
    table = table.cast(views)
    binding = ArrowContract(CONTRACT, table.schema)
    batch = binding.normalize(table.to_batches()[0])
    assert pa.types.is_large_string(batch.schema.field("id").type) and binding.check(batch) == {}
    np.testing.assert_array_equal(ArrowContract.matrix(binding.features_table(batch)), feature_matrix(frame, CONTRACT))
    assert batch.select(["id"]).take(pa.array([1])).column(0).to_pylist() == ["q"]


def test_decoding_keeps_field_metadata_such_as_polars_enums(tmp_path: Path) -> None:
    frame = TWO_ROWS.with_columns(pl.col("id").cast(pl.Enum(["p", "q"])))
    batch = _batches(tmp_path, frame, batch_rows=10)[0]
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"))
    assert binding.frame(batch).schema["id"] == pl.from_arrow(pq.read_table(tmp_path / "input.parquet")).schema["id"]


def _polars_warnings_for(frame: pl.DataFrame, contract: object) -> dict[str, int]:
    report = validate(frame, contract)  # type: ignore[arg-type]
    return {c.column: sum(i.count for i in c.issues) for c in report.warnings}
