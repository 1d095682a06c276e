"""The local engine on real Parquet files: output, reasons, review rows, failures that leave nothing behind."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.support.scoring import SmallModel, applicants, write
from workbench.contracts import InputContract, feature_matrix
from workbench.core.errors import ContractViolation
from workbench.scoring.local import score_local
from workbench.scoring.sinks import open_output
from workbench.scoring.sources import open_input
from workbench.scoring.values import ScoreOptions, ScoringCancelled, ScoringOutcome


def run(
    model: SmallModel,
    source: Path | str,
    output: Path | str,
    *,
    job_id: str = "job0",
    routing: dict[str, Any] | None = None,
    contract: InputContract | None = None,
    commit: bool = True,
    **options: Any,
) -> ScoringOutcome:
    target = open_output(str(output))
    staging = target.staging(job_id)
    # Review rows are staged beside a local output; for a URL output, in a fresh temporary folder
    # (never the current folder, which is the repository when the suite runs).
    local = "://" not in str(output)
    review = (Path(str(output)).parent if local else Path(tempfile.mkdtemp())) / f"review-{job_id}.parquet"
    outcome = score_local(
        open_input(str(source)),
        target,
        staging,
        model.bundle(routing, job_id, contract),
        ScoreOptions(**{"batch_rows": 1_000, **options}),
        device="cpu",
        review_path=review,
    )
    if commit:
        target.commit(staging, job_id, overwrite=True)
    return outcome


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_scores_equal_the_booster_and_every_row_is_routed(small_model: SmallModel, tmp_path: Path) -> None:
    frame = applicants(3_500)
    source = write(frame, tmp_path / "in.parquet")
    outcome = run(small_model, source, tmp_path / "out.parquet")
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert out.columns == ["applicant_id", "score", "decision", "route", "model", "model_version", "job_id"]
    assert out["applicant_id"].to_list() == frame["applicant_id"].to_list()  # order kept
    expected = small_model.booster.inplace_predict(feature_matrix(frame, small_model.contract))
    np.testing.assert_allclose(out["score"].to_numpy(), expected, rtol=0, atol=0)
    assert set(out["model"]) == {"admissions"} and set(out["model_version"]) == {1} and set(out["job_id"]) == {"job0"}
    tally = outcome.tally
    assert tally.rows == 3_500 and tally.batches == 4
    assert sum(tally.decisions.values()) == 3_500 == sum(tally.routes.values())
    assert tally.decisions == dict(zip(*np.unique(out["decision"], return_counts=True), strict=True))
    assert {"model", "human", "rule:missing_transcript"} <= set(tally.routes)
    assert tally.review_rows == tally.decisions["review"]
    stats = outcome.stats()
    assert stats["rows_per_s"] > 0 and set(stats["batch_latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert outcome.drift_sample is not None and outcome.drift_sample.columns == list(small_model.contract.features)
    assert leftovers(tmp_path) == []


def test_review_rows_carry_key_score_leaning_rule_and_reasons(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(2_000), tmp_path / "in.parquet")
    outcome = run(small_model, source, tmp_path / "out.parquet", review_reasons=True)
    assert outcome.review_path is not None
    review = pl.read_parquet(outcome.review_path)
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert review.height == outcome.tally.review_rows == (out["decision"] == "review").sum()
    joined = review.join(out, left_on="row_key", right_on="applicant_id")
    assert (joined["score"] - joined["score_right"].cast(pl.Float64)).abs().max() < 1e-6
    assert (
        joined.filter(pl.col("route") == "human")["rule"].null_count()
        == joined.filter(pl.col("route") == "human").height
    )
    ruled = joined.filter(pl.col("route").str.starts_with("rule:"))
    assert (("rule:" + ruled["rule"]) == ruled["route"]).all()
    first = review.row(0, named=True)
    # explain none with review_reasons: the review rows alone get approximate reasons
    assert 1 <= len(first["reasons"]) <= 3 and set(first["reasons"][0]) == {"feature", "contribution"}
    assert first["leaning"] in {"accept", "decline"}
    plain = run(small_model, source, tmp_path / "plain.parquet", job_id="plain")
    assert pl.read_parquet(plain.review_path)["reasons"].list.len().max() == 0  # type: ignore[arg-type]


def test_explain_adds_reason_columns_that_match_contributions(small_model: SmallModel, tmp_path: Path) -> None:
    from workbench.explain import contributions, top_k_reasons

    frame = applicants(1_200)
    source = write(frame, tmp_path / "in.parquet")
    outcome = run(small_model, source, tmp_path / "out.parquet", explain="approx", top_k=2)
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert out.columns[4:8] == ["reason_1", "reason_1_value", "reason_2", "reason_2_value"]
    matrix = feature_matrix(frame, small_model.contract)
    contribs, _ = contributions(
        small_model.booster, matrix, method="approx", feature_names=list(small_model.contract.features)
    )
    expected = top_k_reasons(contribs, list(small_model.contract.features), 2)
    assert out.select(expected.columns).equals(expected)
    assert outcome.explain_device == "cpu"


def test_a_contract_violation_in_batch_3_of_5_fails_and_leaves_nothing(small_model: SmallModel, tmp_path: Path) -> None:
    frame = applicants(5_000).with_row_index()
    broken = frame.with_columns(
        pl.when(pl.col("index").is_between(2_100, 2_199)).then(None).otherwise(pl.col("gpa")).alias("gpa"),
        pl.when(pl.col("index") == 2_500).then(None).otherwise(pl.col("essay_score")).alias("essay_score"),
    ).drop("index")
    source = write(broken, tmp_path / "in.parquet")
    with pytest.raises(ContractViolation) as raised:
        run(small_model, source, tmp_path / "out.parquet", commit=False)
    message = raised.value.message
    assert message.startswith("batch 3 of 5 (input rows 2,001-3,000 of in.parquet)")
    assert "'gpa' (100 row(s) are null/NaN" in message and "'essay_score'" in message
    assert {d["column"] for d in raised.value.details} == {"gpa", "essay_score"}
    assert not (tmp_path / "out.parquet").exists()
    assert leftovers(tmp_path) == [] and not list(tmp_path.glob("review-*"))


def test_missing_contract_columns_fail_on_the_first_batch(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(500).drop("essay_score"), tmp_path / "in.parquet")
    with pytest.raises(ContractViolation, match=r"batch 1 of 1 .*'essay_score' \(column is missing\)"):
        run(small_model, source, tmp_path / "out.parquet", commit=False)
    assert leftovers(tmp_path) == []


def test_stop_removes_the_staged_output(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(3_000), tmp_path / "in.parquet")
    target = open_output(str(tmp_path / "out.parquet"))
    seen: list[int] = []
    with pytest.raises(ScoringCancelled):
        score_local(
            open_input(str(source)),
            target,
            target.staging("j"),
            small_model.bundle(job_id="j"),
            ScoreOptions(batch_rows=500),
            device="cpu",
            review_path=tmp_path / "review.parquet",
            on_progress=seen.append,
            should_stop=lambda: len(seen) >= 2,
        )
    assert seen == [500, 1000]
    assert leftovers(tmp_path) == [] and not (tmp_path / "review.parquet").exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("workbench-score-")]  # reader and writer ended


def test_a_folder_of_files_scores_in_file_order(small_model: SmallModel, tmp_path: Path) -> None:
    first, second = applicants(700, seed=2), applicants(900, seed=3)
    write(first, tmp_path / "in" / "part-0.parquet")
    write(second, tmp_path / "in" / "part-1.parquet")
    (tmp_path / "in" / "_SUCCESS").write_text("")
    (tmp_path / "in" / ".hidden.parquet").write_text("not parquet")
    outcome = run(small_model, tmp_path / "in", tmp_path / "out")
    out = pl.read_parquet(tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["part-00000.parquet"]
    assert out["applicant_id"].to_list() == [*first["applicant_id"], *second["applicant_id"]]
    assert outcome.tally.batches == 2


def test_an_empty_input_gives_an_empty_output_with_the_schema(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(10).head(0), tmp_path / "in.parquet")
    outcome = run(small_model, source, tmp_path / "out.parquet", explain="approx", top_k=1)
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert out.height == 0 and outcome.tally.rows == 0
    assert out.columns == [
        "applicant_id",
        "score",
        "decision",
        "route",
        "reason_1",
        "reason_1_value",
        "model",
        "model_version",
        "job_id",
    ]


def test_rows_without_keys_are_named_by_position(small_model: SmallModel, tmp_path: Path) -> None:
    data = small_model.contract.to_dict()
    data["keys"] = []
    data["columns"] = [c for c in data["columns"] if c["role"] != "key"]
    keyless = InputContract.from_dict(data)
    source = write(applicants(1_500).drop("applicant_id"), tmp_path / "in.parquet")
    outcome = run(small_model, source, tmp_path / "out.parquet", contract=keyless)
    assert pl.read_parquet(tmp_path / "out.parquet").columns[0] == "score"
    review = pl.read_parquet(outcome.review_path)  # type: ignore[arg-type]
    assert review["row_key"].to_list() == [f"row:{i}" for i in review["row_index"]]
    assert review["row_index"].max() >= 1_000  # positions count across batches


def test_fsspec_urls_in_and_out(small_model: SmallModel, tmp_path: Path) -> None:
    import fsspec

    memory = fsspec.filesystem("memory")
    with memory.open("/wb-test/in.parquet", "wb") as handle:
        applicants(1_100).write_parquet(handle)
    run(small_model, "memory://wb-test/in.parquet", "memory://wb-test/out.parquet")
    with memory.open("/wb-test/out.parquet", "rb") as handle:
        out = pl.read_parquet(handle)
    assert out.height == 1_100
    assert sorted(memory.ls("/wb-test", detail=False)) == ["/wb-test/in.parquet", "/wb-test/out.parquet"]
    memory.rm("/wb-test", recursive=True)


@pytest.mark.parametrize(
    ("cores", "options", "width", "nthread"),
    [
        (2, {}, 2, 1),  # two predictions at once, one core each
        (16, {}, 2, 8),  # ... half the cores each
        (1, {}, 1, None),  # one core: one lane, XGBoost's own threads untouched
        (16, {"explain": "approx"}, 1, None),  # explaining: one lane
        (16, {"review_reasons": True}, 1, None),
    ],
)
def test_two_prediction_lanes_on_a_multicore_cpu(
    small_model: SmallModel,
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    options: dict[str, Any],
    width: int,
    nthread: int | None,
) -> None:
    import json

    from workbench.scoring import local
    from workbench.scoring.batch import BatchScorer

    monkeypatch.setattr(local, "_cores", lambda: cores)
    scorer = BatchScorer(small_model.bundle(None, "job0", None), ScoreOptions(**options), device="cpu", total_rows=10)
    lanes = local._Lanes(scorer, "cpu", ScoreOptions(**options))
    try:
        assert lanes.width == width
        config = json.loads(scorer.booster.save_config())["learner"]["generic_param"]
        assert config["nthread"] == str(nthread or 0)
    finally:
        lanes.close()


def test_scores_in_two_lanes_come_back_in_input_order(small_model: SmallModel, tmp_path: Path) -> None:
    frame = applicants(5_000, seed=11)
    out = run(small_model, write(frame, tmp_path / "in.parquet"), tmp_path / "out.parquet", batch_rows=700)
    scored = pl.read_parquet(tmp_path / "out.parquet")
    expected = small_model.booster.inplace_predict(feature_matrix(frame, small_model.contract))
    assert out.tally.batches == 8
    assert scored["applicant_id"].to_list() == frame["applicant_id"].to_list()
    np.testing.assert_allclose(scored["score"].to_numpy(), expected, rtol=1e-6)


def test_view_typed_input_columns_score_like_plain_strings(small_model: SmallModel, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = applicants(1_500, seed=4)
    table = frame.to_arrow()
    views = pa.schema([f.with_type(pa.string_view()) if pa.types.is_large_string(f.type) else f for f in table.schema])
    pq.write_table(table.cast(views), tmp_path / "views.parquet", row_group_size=500)

    run(small_model, tmp_path / "views.parquet", tmp_path / "out.parquet")

    scored = pl.read_parquet(tmp_path / "out.parquet")
    expected = small_model.booster.inplace_predict(feature_matrix(frame, small_model.contract))
    np.testing.assert_allclose(scored["score"].to_numpy(), expected, rtol=1e-6)


def test_the_output_keeps_the_key_types_and_reads_back_text_columns_as_strings(
    small_model: SmallModel, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    frame = applicants(1_200, seed=5).with_columns(
        pl.datetime(2026, 1, 1, time_zone="Europe/Paris")
        .dt.offset_by(pl.format("{}s", pl.int_range(pl.len())))
        .alias("applied_at")
    )
    key_spec = small_model.contract.to_dict()
    key_spec["keys"] = [*key_spec["keys"], "applied_at"]
    key_spec["columns"] = [
        *key_spec["columns"],
        {
            "name": "applied_at",
            "dtype": "Datetime(time_unit='us', time_zone='Europe/Paris')",
            "role": "key",
            "nullable": False,
            "min": None,
            "max": None,
            "categories": None,
        },
    ]
    contract = InputContract.from_dict(key_spec)
    run(small_model, write(frame, tmp_path / "in.parquet"), tmp_path / "out.parquet", contract=contract)

    schema = pq.read_schema(tmp_path / "out.parquet")
    assert str(schema.field("applied_at").type) == "timestamp[us, tz=Europe/Paris]"
    assert {str(schema.field(c).type) for c in ("decision", "route", "model", "job_id")} == {"string"}
    scored = pl.read_parquet(tmp_path / "out.parquet")
    assert scored["applied_at"].to_list() == frame["applied_at"].to_list()
    assert scored.schema["decision"] == pl.String
