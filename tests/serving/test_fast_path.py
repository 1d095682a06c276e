"""The service's fast paths give what the general paths give: Arrow rows, small-batch prediction, micro-batches."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.scoring import ROUTING, SmallModel, applicants
from tests.support.training import FEATURES, train_model
from workbench.contracts import InputContract, derive_contract
from workbench.contracts.arrow import ArrowContract
from workbench.core.errors import ContractViolation
from workbench.scoring.batch import BatchScorer
from workbench.scoring.device import DENSE_BELOW, predict
from workbench.scoring.values import ScoreOptions
from workbench.serving.batcher import _split
from workbench.serving.decide import Decided, time_ordered_ids
from workbench.serving.fast_rows import arrow_rows
from workbench.serving.rows import present_columns, rows_frame, rows_table


@pytest.fixture(scope="module")
def small() -> SmallModel:
    trained = train_model(rows=1500, rounds=15)
    contract = derive_contract(trained.train, target="admit", keys=["applicant_id"], features=FEATURES)
    return SmallModel(trained.booster, contract, bytes(trained.booster.save_raw(raw_format="ubj")))


def _rows(n: int) -> list[dict[str, object]]:
    return applicants(n, seed=5).drop("admit").to_dicts()


def _wanted(contract: InputContract, rows: list[dict[str, object]]) -> tuple[str, ...]:
    return present_columns(rows, list(dict.fromkeys([*contract.names, "first_generation", "transcript_complete"])))


def test_arrow_rows_equal_the_polars_frame(small: SmallModel) -> None:
    for rows in (_rows(1), _rows(40)):
        names = _wanted(small.contract, rows)
        fast = arrow_rows(rows, small.contract, names)
        assert fast is not None
        assert fast.equals(rows_frame(rows, small.contract, names).to_arrow(compat_level=_oldest()))
    rows = _rows(3)
    rows[1]["gpa"] = None
    names = _wanted(small.contract, rows)
    assert arrow_rows(rows, small.contract, names).equals(  # type: ignore[union-attr]
        rows_frame(rows, small.contract, names).to_arrow(compat_level=_oldest())
    )


def test_values_of_another_type_take_the_polars_path(small: SmallModel) -> None:
    data = small.contract.to_dict()
    for column in data["columns"]:
        if column["name"] == "extracurricular_count":
            column["dtype"] = "Int64"
    contract = InputContract.from_dict(data)
    rows = [{**r, "extracurricular_count": int(r["extracurricular_count"])} for r in _rows(3)]  # type: ignore[call-overload]
    names = _wanted(contract, rows)
    assert arrow_rows(rows, contract, names).equals(  # type: ignore[union-attr]
        rows_frame(rows, contract, names).to_arrow(compat_level=_oldest())
    )
    for column, value in (("extracurricular_count", 3.0), ("extracurricular_count", True), ("gpa", "high"),
                          ("extracurricular_count", 2**70), ("first_generation", "yes")):  # fmt: skip
        odd = [dict(r) for r in rows]
        odd[0][column] = value
        assert arrow_rows(odd, contract, names) is None, (column, value)
    odd = [dict(r) for r in rows]
    odd[0]["gpa"] = "high"
    with pytest.raises(ContractViolation, match="gpa"):  # rows_table falls back: polars names the column (422)
        rows_table(odd, contract, names)


def test_small_batches_predict_exactly_as_arrow_columns(small: SmallModel) -> None:
    scorer = BatchScorer(small.bundle(ROUTING), ScoreOptions(drift_rows=0, batch_drift_rows=0), device="cpu",
                         total_rows=0, nthread=1)  # fmt: skip
    rows = _rows(500)
    table = rows_table(rows, small.contract, _wanted(small.contract, rows))
    prepared = scorer.prepare(table, context="test")
    columnar = predict(scorer.booster, prepared.features, "cpu")  # 500 rows: the Arrow columns
    assert prepared.features.num_rows >= DENSE_BELOW
    dense = predict(scorer.booster, ArrowContract.matrix(prepared.features), "cpu")
    one_by_one = np.concatenate([predict(scorer.booster, prepared.features.slice(i, 1), "cpu") for i in range(500)])
    assert np.array_equal(columnar, dense) and np.array_equal(columnar, one_by_one)


def test_the_services_lean_path_decides_as_a_batch_jobs_score(small: SmallModel) -> None:
    """BatchScorer.decide (the service's path) gives score()'s scores, decisions, routes, rules and review rows."""
    import polars as pl

    scorer = BatchScorer(small.bundle(ROUTING), ScoreOptions(drift_rows=0, batch_drift_rows=0), device="cpu",
                         total_rows=0, nthread=1)  # fmt: skip
    frame = applicants(300, seed=7).drop("admit")
    beyond = pl.when(pl.int_range(pl.len()) % 40 == 0).then(pl.col("gpa") * 10).otherwise(pl.col("gpa"))
    table = frame.with_columns(beyond.alias("gpa")).to_arrow(compat_level=pl.CompatLevel.oldest())
    full = scorer.score(table, first_row=0, context="test")
    scores, routed, review = scorer.decide(table, context="test")
    routing = scorer.routing
    assert scores.tolist() == full.table.column("score").to_pylist()
    assert [routing.decision_labels[c] for c in routed.decision] == full.table.column("decision").to_pylist()
    assert [routing.route_labels[c] for c in routed.route] == full.table.column("route").to_pylist()
    rules = [routing.rule_names[c] if c >= 0 else None for c in routed.rule]
    assert rules == full.log.column("rule").to_pylist()
    assert "outside_training_range" in rules and "missing_transcript" in rules
    assert review is not None and full.review is not None and review.equals(full.review)
    explaining = BatchScorer(small.bundle(ROUTING), ScoreOptions(explain="approx"), device="cpu", total_rows=0)
    with pytest.raises(ValueError, match="score"):
        explaining.decide(table, context="test")


def test_a_shadow_shares_the_champions_check_only_under_an_equal_contract(small: SmallModel) -> None:
    """A shadow's would-be decisions are its own route()'s, whether it reuses the champion's prepared batch
    (equal contract) or checks the rows against its own, narrower training range."""
    import polars as pl

    from workbench.serving.decide import decide_rows
    from workbench.serving.rollout import RolloutSpec
    from workbench.serving.served import Arm, ServedModel

    def arm(role: str, contract: InputContract, version: int) -> Arm:
        bundle = small.bundle(ROUTING, job_id=f"job{version}", contract=contract)
        scorer = BatchScorer(bundle, ScoreOptions(drift_rows=0, batch_drift_rows=0), device="cpu", total_rows=0,
                             nthread=1)  # fmt: skip
        return Arm(role, "admissions", version, f"job{version}", scorer.contract, bundle, scorer)

    table = applicants(300, seed=8).drop("admit").to_arrow(compat_level=pl.CompatLevel.oldest())
    data = small.contract.to_dict()
    for column in data["columns"]:
        if column["name"] == "gpa":
            column["max"] = float(np.median(table.column("gpa").to_numpy()))
    narrow = InputContract.from_dict(data)
    champion = arm("champion", small.contract, 1)
    rules_by_case = {}
    for case, contract in (("equal", small.contract), ("narrow", narrow)):
        shadow = arm("shadow", contract, 2)
        served = ServedModel("admissions", champion, (), RolloutSpec("shadow", challenger="admissions:2"), shadow)
        logged = decide_rows(served, table).records["shadow"]
        scores, routed = shadow.scorer.route(table, context="alone")  # nothing shared
        names = shadow.scorer.routing.rule_names
        assert [s["score"] for s in logged] == scores.tolist()
        assert [s["rule"] for s in logged] == [names[c] if c >= 0 else None for c in routed.rule]
        rules_by_case[case] = [s["rule"] for s in logged]
    outside = "outside_training_range"
    assert rules_by_case["narrow"].count(outside) > rules_by_case["equal"].count(outside) + 50


def test_decision_ids_are_uuid7_unique_and_time_ordered() -> None:
    import time
    import uuid

    first = time_ordered_ids(2000)
    time.sleep(0.002)
    later = time_ordered_ids(3)
    assert len(set(first + later)) == 2003 and all(len(i) == 32 for i in first)
    assert {uuid.UUID(i).version for i in first + later} == {7}
    assert {uuid.UUID(i).variant for i in first} == {uuid.RFC_4122}
    assert max(first) < min(later)  # a later request's ids sort after an earlier one's: the index grows at its end
    assert abs(int(first[0][:12], 16) - time.time_ns() // 1_000_000) < 60_000


def test_a_merged_batch_splits_back_into_each_requests_share() -> None:
    answers = [{"decision_id": str(i)} for i in range(5)]
    records = {"id": [str(i) for i in range(5)], "row": list(range(5)), "score": [0.1, 0.2, 0.3, 0.4, 0.5]}
    reviews = [("job", [{"row_index": 1, "detail": {}}, {"row_index": 3, "detail": {}}])]
    decided = Decided(answers, records, reviews)
    mine_answers, mine_records, mine_reviews = _split(decided, 2, 5)
    assert [a["decision_id"] for a in mine_answers] == ["2", "3", "4"]
    assert mine_records == {"id": ["2", "3", "4"], "row": [0, 1, 2], "score": [0.3, 0.4, 0.5]}
    assert mine_reviews == [("job", [{"row_index": 1, "detail": {}}])]
    assert _split(decided, 0, 1)[2] == []


def _oldest() -> object:
    import polars as pl

    return pl.CompatLevel.oldest()


def test_the_rollout_report_groups_sensitive_values_of_any_type_as_text() -> None:
    import polars as pl

    from workbench.serving.report import _with_inputs

    frame = pl.DataFrame({"row_key": ["a", "b", "c"]})
    inputs = [{"first_generation": True}, {"first_generation": False}, None]
    assert _with_inputs(frame, inputs, ["first_generation"])["first_generation"].to_list() == ["true", "false", None]


def test_a_shadow_scored_for_several_batches_at_once_gives_each_rows_own_records(small: SmallModel) -> None:
    """The shadow lane scores the batches of a window as one (pyarrow.concat_batches): each row's would-be
    decision is what scoring its own batch gives, and the champion's answers carry no shadow meanwhile."""
    import polars as pl
    import pyarrow as pa

    from workbench.serving.decide import decide_rows, shadow_records
    from workbench.serving.rollout import RolloutSpec
    from workbench.serving.served import Arm, ServedModel

    def arm(role: str, contract: InputContract, version: int) -> Arm:
        bundle = small.bundle(ROUTING, job_id=f"job{version}", contract=contract)
        scorer = BatchScorer(bundle, ScoreOptions(drift_rows=0, batch_drift_rows=0), device="cpu", total_rows=0,
                             nthread=1)  # fmt: skip
        return Arm(role, "admissions", version, f"job{version}", scorer.contract, bundle, scorer)

    table = applicants(90, seed=12).drop("admit").to_arrow(compat_level=pl.CompatLevel.oldest())
    data = small.contract.to_dict()
    for column in data["columns"]:
        if column["name"] == "gpa":
            column["max"] = float(np.median(table.column("gpa").to_numpy()))
    for contract in (small.contract, InputContract.from_dict(data)):
        served = ServedModel("admissions", arm("champion", small.contract, 1), (),
                             RolloutSpec("shadow", challenger="admissions:2"), arm("shadow", contract, 2))  # fmt: skip
        parts = [decide_rows(served, table.slice(a, b - a), shadow=False) for a, b in ((0, 1), (1, 40), (40, 90))]
        assert all(r is None for part in parts for r in part.records["shadow"])
        together = shadow_records(served, pa.concat_batches([part.table for part in parts]))
        alone = [r for part in parts for r in shadow_records(served, part.table)]
        assert together == alone == decide_rows(served, table).records["shadow"]


def _inspect_column_by_column(binding: ArrowContract, batch: object) -> object:
    """``inspect`` with every column through ``_check_column`` (no float features cleared together)."""
    plain = binding._plain
    binding._plain = ([], plain[1][:0], plain[2][:0])
    try:
        return binding.inspect(batch)
    finally:
        binding._plain = plain


def test_float_features_cleared_together_check_as_column_by_column() -> None:
    import pyarrow as pa

    from workbench.contracts.model import ColumnSpec
    from workbench.contracts.training_range import TrainingRange

    contract = InputContract(
        columns=(
            ColumnSpec("id", "String", role="key"),
            ColumnSpec("a", "Float64", minimum=0.0, maximum=10.0),
            ColumnSpec("b", "Float64", nullable=True, minimum=-1.0, maximum=1.0),
            ColumnSpec("c", "Float64"),  # no range: only inf or NaN can say anything
            ColumnSpec("d", "Float64", minimum=2**60 + 1, maximum=2**61),  # bounds float64 cannot hold exactly
            ColumnSpec("e", "Float64", minimum=0.0, maximum=1.0),
        ),
        features=("a", "b", "c", "d", "e"),
        keys=("id",),
    )
    base = {"a": [1.0, 5.0, 9.0], "b": [0.0, 0.5, -0.5], "c": [0.0, 1e300, -3.0], "d": [2.0**60 + 2**9] * 3,
            "e": [0.1, 0.2, 0.3]}  # fmt: skip
    variants: list[dict[str, list[float | None]]] = [
        {},
        {"a": [1.0, 10.0, 0.0]},  # the range's own ends
        {"a": [1.0, 10.5, 9.0]},  # above the contract's range
        {"a": [-1e-300, 5.0, 9.0]},  # below it, barely
        {"b": [0.0, None, 0.5]},  # a null where nulls are allowed
        {"b": [0.0, float("nan"), 0.5]},  # NaN where nulls are allowed
        {"a": [1.0, float("nan"), 2.0]},  # NaN where they are not
        {"c": [float("inf"), 0.0, 1.0]},
        {"c": [0.0, -float("inf"), 1.0]},
        {"d": [2.0**60, 2.0**60, 2.0**61]},
        {"e": [1.05, 0.5, -0.04]},  # inside a 10% tolerance, outside the range itself
        {"e": [1.2, 0.5, 0.5]},
    ]
    guards = [TrainingRange(), TrainingRange(tolerance=0.1), TrainingRange(ignore=("a", "e"))]
    for guard in guards:
        for change in variants:
            values = {**base, **change}
            batch = pa.RecordBatch.from_pydict(
                {"id": ["x", "y", "z"], **{k: pa.array(v, type=pa.float64()) for k, v in values.items()}}
            )
            binding = ArrowContract(contract, batch.schema, guard)
            fast, slow = binding.inspect(batch), _inspect_column_by_column(binding, batch)
            assert (fast is None) == (slow is None), (guard, change)
            if fast is None or slow is None:
                continue
            assert fast.warnings == slow.warnings, (guard, change)
            assert list(fast.outside) == list(slow.outside), (guard, change)
            for name, mask in slow.outside.items():
                assert np.array_equal(fast.outside[name], mask), (guard, change, name)
    batch = pa.RecordBatch.from_pydict(
        {"id": ["x"], **{k: pa.array(v[:1], type=pa.float64()) for k, v in base.items()}}
    )
    cleared = ArrowContract(contract, batch.schema, TrainingRange())._cleared(batch)
    assert cleared == {"a", "b", "c", "e"}  # d's bounds are not float64 values: checked on its own


def test_review_keys_of_one_text_key_equal_the_polars_frame() -> None:
    import pyarrow as pa

    from workbench.contracts.model import ColumnSpec
    from workbench.scoring.batch import _review_keys

    for key_type, values in (
        (pa.string(), ["a", "b", None, "é"]),
        (pa.large_string(), ["a", "b", "c", "d"]),
        (pa.int64(), [1, 2, 3, 4]),
    ):
        contract = InputContract(
            columns=(ColumnSpec("id", "String", role="key", nullable=True), ColumnSpec("x", "Float64")),
            features=("x",),
            keys=("id",),
        )
        batch = pa.RecordBatch.from_pydict({"id": pa.array(values, type=key_type), "x": [1.0, 2.0, 3.0, 4.0]})
        binding = ArrowContract(contract, batch.schema)
        rows = np.asarray([3, 0, 2])
        expected = binding.frame(batch.select(["id"]).take(pa.array(rows)))
        got = _review_keys(binding, batch, ["id"], rows)
        assert got.equals(expected) and got.schema == expected.schema, key_type
