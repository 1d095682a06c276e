"""Outside the training range: the Arrow path's row masks equal the polars path's, and key lengths are bounded.

Every batch goes through a real Parquet file read the way scoring reads it (categorical
string features as dictionaries, or as plain strings).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.contracts import ContractOverrides, apply_overrides, derive_contract, enforce, validate
from workbench.contracts.arrow import ArrowContract
from workbench.contracts.training_range import TrainingRange, outside_masks
from workbench.core.errors import ContractViolation, ValidationError
from workbench.scoring.routing import parse_routing

TRAIN = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "gpa": [2.0, 3.0, 3.5, 4.0],
        "credits": [10, 20, None, 40],
        "essay": [0.5, None, 0.7, 0.9],
        "program": ["law", "med", "eng", "law"],
        "first_gen": [True, True, True, True],
        "y": [0, 1, 1, 0],
    }
)
CONTRACT = derive_contract(TRAIN, target="y", keys=["id"])
INF = float("inf")
DRIFTED = pl.DataFrame(
    {
        "id": ["p", "q", "r", "s", "t", "u", "v"],
        "gpa": [100.0, 1.9, INF, -INF, 3.0, 4.1, 2.0],  # above, below, +inf, -inf, in, just above (5%), at min
        "credits": [10, 45, None, 20, 5, 40, 30],  # above, null (nullable: missing), below
        "essay": [0.6, float("nan"), None, 0.6, INF, 0.95, 0.5],  # NaN and null are missing, not outside
        "program": ["law", "art", "med", "med", "eng", "art", "law"],  # an unseen category twice
        "first_gen": [True, True, False, True, True, True, True],  # `false` never seen in training
    },
    schema_overrides={"program": pl.String},
)
GUARDS = [
    TrainingRange(),
    TrainingRange(tolerance=0.05),
    TrainingRange(tolerance=1.0),
    TrainingRange(ignore=("gpa", "credits")),
    TrainingRange(unseen_categories="review"),
    TrainingRange(unseen_categories="review", ignore=("program",)),
]


def _batch(tmp_path: Path, frame: pl.DataFrame, *, dictionary: bool) -> pa.RecordBatch:
    path = tmp_path / "input.parquet"
    frame.write_parquet(path)
    handle = pq.ParquetFile(path, read_dictionary=["program"] if dictionary else None)
    return next(handle.iter_batches(batch_size=100))


def _masks(found: dict[str, np.ndarray]) -> dict[str, list[int]]:
    return {column: np.flatnonzero(mask).tolist() for column, mask in found.items()}


@pytest.mark.parametrize("guard", GUARDS, ids=lambda g: str(g.to_dict()))
@pytest.mark.parametrize("dictionary", [True, False])
def test_the_arrow_masks_equal_the_polars_masks(tmp_path: Path, guard: TrainingRange, dictionary: bool) -> None:
    frame = DRIFTED if guard.allow_unseen else DRIFTED.with_columns(program=pl.lit("law"), first_gen=pl.lit(True))
    batch = _batch(tmp_path, frame, dictionary=dictionary)
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"), guard)

    checked = binding.inspect(batch)

    assert checked is not None
    assert _masks(checked.outside) == _masks(outside_masks(binding.frame(batch), CONTRACT, guard))
    report = enforce(binding.frame(batch), CONTRACT, allow_unseen=guard.allow_unseen)
    assert checked.warnings == {c.column: sum(i.count for i in c.issues) for c in report.warnings}


def test_what_each_guard_marks() -> None:
    def marked(guard: TrainingRange) -> dict[str, list[int]]:
        return _masks(outside_masks(DRIFTED, CONTRACT, guard))

    assert marked(TrainingRange()) == {"gpa": [0, 1, 2, 3, 5], "credits": [1, 4], "essay": [4, 5]}
    # 5% of each range beyond each end: gpa 1.9 and 4.1 sit on the widened ends [1.9, 4.1], so inside;
    # essay 0.95 is beyond 0.9 + 0.02; credits 45 beyond 40 + 1.5.
    assert marked(TrainingRange(tolerance=0.05)) == {"gpa": [0, 2, 3], "credits": [1, 4], "essay": [4, 5]}
    # Exempt columns keep only their non-finite values.
    assert marked(TrainingRange(ignore=("gpa", "credits"))) == {"gpa": [2, 3], "essay": [4, 5]}
    review = marked(TrainingRange(unseen_categories="review"))
    assert review["program"] == [1, 5] and review["first_gen"] == [2]
    assert "program" not in marked(TrainingRange(unseen_categories="review", ignore=("program",)))


def test_an_in_range_batch_builds_no_mask(tmp_path: Path) -> None:
    frame = DRIFTED.filter(pl.col("id").is_in(["v"])).with_columns(first_gen=pl.lit(True), program=pl.lit("law"))
    batch = _batch(tmp_path, frame, dictionary=True)
    checked = ArrowContract(CONTRACT, batch.schema).inspect(batch)
    assert checked is not None and checked.outside == {} and checked.warnings == {}


def test_unseen_categories_refused_by_default_are_left_to_enforce(tmp_path: Path) -> None:
    batch = _batch(tmp_path, DRIFTED, dictionary=True)
    binding = ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet"))
    assert binding.inspect(batch) is None
    with pytest.raises(ContractViolation, match=r"'program' \(2 row\(s\) hold categories not in the contract"):
        enforce(binding.frame(batch), CONTRACT)
    report = validate(binding.frame(batch), CONTRACT, allow_unseen=True)
    assert report.ok and {c.column for c in report.warnings} >= {"program", "first_gen"}


def test_float32_values_at_the_range_ends_are_inside(tmp_path: Path) -> None:
    train = pl.DataFrame({"x": [0.96, 2.0, 4.0], "y": [0, 1, 0]})
    contract = derive_contract(train, target="y")
    frame = pl.DataFrame({"x": [0.96, 4.0, 4.01]}, schema={"x": pl.Float32})
    batch = _batch(tmp_path, frame, dictionary=False)
    checked = ArrowContract(contract, batch.schema).inspect(batch)
    assert checked is not None and _masks(checked.outside) == {"x": [2]}


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ({"tolerance": -0.1}, "finite share >= 0"),
        ({"tolerance": INF}, "finite share >= 0"),
        ({"tolerance": "wide"}, "must be a number"),
        ({"unseen_categories": "allow"}, "refuse, review"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], text: str) -> None:
    with pytest.raises(ValidationError, match=text):
        TrainingRange(**settings)  # type: ignore[arg-type]


def test_bounds_widen_by_a_share_of_the_range() -> None:
    guard = TrainingRange(tolerance=0.5)
    assert guard.bounds(CONTRACT.column("gpa")) == (1.0, 5.0)
    assert TrainingRange().bounds(CONTRACT.column("gpa")) == (2.0, 4.0)
    # What a policy's routing section says is what the guard keeps (routing's to_dict round-trips it).
    assert parse_routing({"outside_training_range": guard.to_dict()}).guard == guard
    assert parse_routing({"outside_training_range": None}).guard == TrainingRange()


# --- key length ------------------------------------------------------------------------------


def _keys(tmp_path: Path, ids: list[str | None]) -> tuple[ArrowContract, pa.RecordBatch]:
    frame = pl.DataFrame(
        {
            "id": ids,
            "gpa": [3.0] * len(ids),
            "credits": [20] * len(ids),
            "essay": [0.6] * len(ids),
            "program": ["law"] * len(ids),
            "first_gen": [True] * len(ids),
        },
        schema_overrides={"id": pl.String},
    )
    batch = _batch(tmp_path, frame, dictionary=True)
    return ArrowContract(CONTRACT, pq.read_schema(tmp_path / "input.parquet")), batch


def test_keys_up_to_256_bytes_pass(tmp_path: Path) -> None:
    binding, batch = _keys(tmp_path, ["x" * 256, "é" * 128, "p"])  # 256 bytes each in UTF-8
    assert binding.check(batch) == {}
    assert validate(binding.frame(batch), CONTRACT).ok


def test_longer_keys_are_a_contract_violation_on_both_paths(tmp_path: Path) -> None:
    binding, batch = _keys(tmp_path, ["x" * 257, "é" * 129, "p", "q" * 1_000_000])
    assert binding.check(batch) is None
    with pytest.raises(ContractViolation) as raised:
        enforce(binding.frame(batch), CONTRACT, context="batch 1")
    message = raised.value.message
    assert message.startswith("batch 1: the input does not satisfy the model's input contract")
    assert "'id' (3 row(s) hold keys longer than the limit of 256 bytes (UTF-8; the longest is 1,000,000 bytes)" in (
        message
    )
    assert "a key's max_bytes" in message
    assert raised.value.details[0] | {"message": ""} == {
        "column": "id",
        "role": "key",
        "kind": "key_too_long",
        "severity": "error",
        "message": "",
        "count": 3,
        "examples": [],
        "expected_dtype": "String",
        "actual_dtype": "String",
    }


def test_sliced_key_arrays_are_measured_from_their_offset() -> None:
    from workbench.contracts.arrow import _longest

    array = pa.array(["x" * 1_000, "ab", None, "abc"])
    assert _longest(array) == 1_000 and _longest(array.slice(1)) == 3
    assert _longest(pa.array([b"\x00" * 300], pa.large_binary())) == 300


def test_binary_keys_are_bounded_too() -> None:
    train = pl.DataFrame({"k": [b"a", b"b"], "x": [1.0, 2.0], "y": [0, 1]})
    contract = derive_contract(train, target="y", keys=["k"])
    with pytest.raises(ContractViolation, match=r"'k' \(1 row\(s\) hold keys longer than the limit of 256 bytes"):
        enforce(pl.DataFrame({"k": [b"a", b"\x01" * 257], "x": [1.0, 1.0]}), contract)
    batch = pa.RecordBatch.from_pydict({"k": pa.array([b"a", b"\x01" * 257]), "x": [1.0, 1.0]})
    assert ArrowContract(contract, batch.schema).check(batch) is None


def test_an_override_file_raises_a_key_limit_and_never_lowers_it(tmp_path: Path) -> None:
    wider = apply_overrides(CONTRACT, ContractOverrides.from_dict({"keys": [{"name": "id", "max_bytes": 2048}]}))
    assert wider.column("id").key_limit == 2048 and wider.keys == ("id",)
    assert wider.to_dict()["columns"][0]["max_bytes"] == 2048
    assert "max_bytes" not in CONTRACT.to_dict()["columns"][0]  # contracts stored before it are unchanged
    assert type(wider).from_dict(wider.to_dict()) == wider
    binding, batch = _keys(tmp_path, ["x" * 2048, "p"])
    assert ArrowContract(wider, binding.schema).check(batch) == {}
    assert validate(binding.frame(batch), wider).ok
    with pytest.raises(ValidationError, match=r"`keys\[0\].max_bytes` = 100 would narrow the key limit of 256"):
        apply_overrides(CONTRACT, ContractOverrides.from_dict({"keys": [{"name": "id", "max_bytes": 100}]}))
    with pytest.raises(ValidationError, match=r"`keys\[0\].max_bytes` must be a whole number of bytes"):
        ContractOverrides.from_dict({"keys": [{"name": "id", "max_bytes": "big"}]})
