"""Scoring jobs through the service: the job record, approval, bad input, and nothing left by failures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.governed import configure, open_as
from tests.support.scoring import read_output, write_input
from workbench.core.errors import (
    Conflict,
    ContractViolation,
    DeviceUnavailable,
    InvalidReference,
    JobError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from workbench.explain import device as device_module
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.jobs import get_job, list_jobs, score
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events
from workbench.store.schema import jobs, review_items


def count(workspace: Workspace, table: sa.Table) -> int:
    with workspace.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def actions(workspace: Workspace, subject: str) -> list[str]:
    with workspace.read() as conn:
        return [e.action for e in list_events(conn) if e.subject == subject]


def test_a_job_records_version_device_routes_latency_and_drift(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, n=3_000)
    seen: list[tuple[int, int | None]] = []
    job = score(
        scoring_ws,
        "admissions",
        "data/applicants.parquet",
        "out/scores.parquet",
        batch_rows=1_000,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert job.status == "succeeded" and job.model_ref == "admissions:1" and job.ref == "admissions"
    assert job.input == str(root / "data" / "applicants.parquet") and job.output == str(root / "out" / "scores.parquet")
    assert job.device == "cpu" and job.engine == "local" and job.pid is not None and job.host
    assert job.rows_done == job.rows_total == 3_000
    assert seen[0] == (0, 3_000) and seen[-1] == (3_000, 3_000)
    assert job.started_at and job.ended_at and job.ended_at >= job.started_at
    stats = job.stats
    assert sum(stats["decisions"].values()) == 3_000 and stats["overrides"] == 0
    assert stats["review_items"] == stats["decisions"]["review"] == count(scoring_ws, review_items)
    assert stats["batches"] == 3 and stats["rows_per_s"] > 0
    assert set(stats["batch_latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert job.options["routing"]["thresholds"] == {"accept": 0.7, "decline": 0.3, "lean": 0.5}
    assert job.options["policy"]["path"] == "pipelines/admissions/policy.yaml"
    assert set(job.drift["summary"]) == {"n_columns", "n_drifted", "drift_share"}
    assert job.drift["verdict"]["limit"] == 0.1 and job.drift["verdict"]["share"] == job.drift["summary"]["drift_share"]
    assert job.drift["sample_rows"] == 3_000 and job.drift["limit"] == 0.1 and job.drift["reference_rows"] == 1_200
    out = read_output(root / "out" / "scores.parquet")
    assert out.height == 3_000 and set(out["job_id"]) == {job.id}
    assert sorted(p.name for p in (root / "out").iterdir()) == ["scores.parquet"]
    assert actions(scoring_ws, f"job:{job.id}") == ["job.submit", "job.start", "job.succeed"]
    assert [j.id for j in list_jobs(scoring_ws)] == [job.id]
    assert get_job(scoring_ws, job.id[:6]).status == "succeeded"


def test_an_unapproved_version_scores_with_a_warning(scoring_ws: Workspace) -> None:
    write_input(scoring_ws.project.root, n=500)
    job = score(scoring_ws, "admissions:1", "data/applicants.parquet", "out.parquet")
    assert job.status == "succeeded" and job.stats["approved"] is False
    assert len(job.warnings) == 1 and "not approved for scoring" in job.warnings[0]
    assert "require_approved_for_scoring" in job.warnings[0]


def test_require_approved_refuses_unapproved_versions_and_allows_production(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, n=500)
    configure(root, require_approved=True)
    analyst = open_as(root, "analyst@example.org")
    with pytest.raises(PermissionDenied, match=r"Scoring admissions:1 is refused.*require_approved_for_scoring = true"):
        score(analyst, "admissions:1", "data/applicants.parquet", "out.parquet")
    assert count(analyst, jobs) == 0
    run_checks(analyst, "admissions:1")
    approve(open_as(root, "reviewer-a"), "admissions:1", "fine")
    promote(open_as(root, "reviewer-a"), "admissions:1", "production")
    job = score(analyst, "admissions@production", "data/applicants.parquet", "out.parquet")
    assert job.status == "succeeded" and job.model_ref == "admissions:1" and job.warnings == []
    assert "protected alias 'production'" in job.options["approval"]


@pytest.mark.parametrize(
    ("ref", "error", "text"),
    [
        ("nonexistent", NotFound, "No model named 'nonexistent'"),
        ("admissions:7", NotFound, "has no version 7"),
        ("admissions@staging", NotFound, "has no alias 'staging'"),
        ("admissions::2", InvalidReference, "Unknown model reference"),
    ],
)
def test_unknown_refs_create_no_job(scoring_ws: Workspace, ref: str, error: type[Exception], text: str) -> None:
    write_input(scoring_ws.project.root, n=100)
    with pytest.raises(error, match=text):
        score(scoring_ws, ref, "data/applicants.parquet", "out.parquet")
    assert count(scoring_ws, jobs) == 0


def test_bad_inputs_and_outputs_are_refused_before_a_job_starts(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    with pytest.raises(NotFound, match="does not exist"):
        score(scoring_ws, "admissions", "data/missing.parquet", "out.parquet")
    write_input(root, n=200)
    pl.read_parquet(root / "data" / "applicants.parquet").write_csv(root / "data" / "applicants.csv")
    with pytest.raises(ValidationError, match="is a CSV file"):
        score(scoring_ws, "admissions", "data/applicants.csv", "out.parquet")
    pl.read_parquet(root / "data" / "applicants.parquet").drop("gpa").write_parquet(root / "data" / "nogpa.parquet")
    with pytest.raises(ContractViolation, match=r"the input .*nogpa.parquet.*'gpa' \(column is missing\)"):
        score(scoring_ws, "admissions", "data/nogpa.parquet", "out.parquet")
    pl.read_parquet(root / "data" / "applicants.parquet").drop("first_generation").write_parquet(
        root / "data" / "nofg.parquet"
    )
    with pytest.raises(ValidationError, match=r"'first_generation_borderline'.*\['first_generation'\]"):
        score(scoring_ws, "admissions", "data/nofg.parquet", "out.parquet")
    with pytest.raises(ValidationError, match="outside the project"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "/tmp/elsewhere.parquet")
    (root / "out.parquet").write_bytes(b"precious")
    with pytest.raises(Conflict, match="exists already. Pass --overwrite"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet")
    assert (root / "out.parquet").read_bytes() == b"precious"
    with pytest.raises(ValidationError, match="explain"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "o2.parquet", explain="full")
    with pytest.raises(ValidationError, match="--scheduler needs --engine dask"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "o2.parquet", scheduler="tcp://x:1")
    with pytest.raises(ValidationError, match="not a Parquet file"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", overwrite=True)
    assert (root / "out.parquet").read_bytes() == b"precious"
    assert count(scoring_ws, jobs) == 0
    (root / "out.parquet").unlink()
    score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet")
    job = score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", overwrite=True)
    assert read_output(root / "out.parquet").height == 200 and job.options["overwrite"] is True


def test_cuda_without_a_gpu_is_refused(scoring_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    device_module.cuda_available.cache_clear()
    monkeypatch.setattr(device_module, "_probe_cuda", lambda: False)
    try:
        write_input(scoring_ws.project.root, n=100)
        with pytest.raises(DeviceUnavailable, match="cannot use a CUDA GPU"):
            score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", device="cuda")
        assert count(scoring_ws, jobs) == 0
        assert score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", device="auto").device == "cpu"
    finally:
        device_module.cuda_available.cache_clear()


def test_a_violation_in_batch_3_of_5_fails_the_job_without_output_or_queue_rows(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    frame = pl.read_parquet(write_input(root, n=5_000)).with_row_index()
    frame.with_columns(
        pl.when(pl.col("index").is_between(2_400, 2_409))
        .then(None)
        .otherwise(pl.col("course_difficulty"))
        .alias("course_difficulty"),
        pl.when(pl.col("index") == 2_999).then(None).otherwise(pl.col("gpa")).alias("gpa"),
    ).drop("index").write_parquet(root / "data" / "broken.parquet", row_group_size=1_000)
    with pytest.raises(ContractViolation) as raised:
        score(scoring_ws, "admissions", "data/broken.parquet", "out/scores.parquet", batch_rows=1_000)
    message = raised.value.message
    assert "batch 3 of 5 (input rows 2,001-3,000 of broken.parquet)" in message
    assert "'gpa'" in message and "'course_difficulty'" in message and message.startswith("Scoring job ")
    [job] = list_jobs(scoring_ws)
    assert job.status == "failed" and job.error_type == "ContractViolation" and job.rows_done == 2_000
    assert {d["column"] for d in job.error_details} == {"gpa", "course_difficulty"}
    assert not (root / "out").exists() or list((root / "out").iterdir()) == []
    assert count(scoring_ws, review_items) == 0
    assert actions(scoring_ws, f"job:{job.id}") == ["job.submit", "job.start", "job.fail"]


def test_cancel_during_a_run_leaves_status_cancelled_and_no_output(scoring_ws: Workspace) -> None:
    import time

    from workbench.jobs import cancel_job

    root = scoring_ws.project.root
    write_input(root, n=3_000)
    asked: list[str] = []

    def progress(done: int, total: int | None) -> None:
        if done and not asked:
            [running] = list_jobs(scoring_ws, status="running")
            asked.append(cancel_job(scoring_ws, running.id).status)
            time.sleep(0.6)  # past the job's cancel-flag poll interval

    with pytest.raises(JobError, match="was cancelled after 500 rows; no output was written"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", batch_rows=500, progress=progress)
    [job] = list_jobs(scoring_ws)
    assert asked == ["running"] and job.status == "cancelled" and job.cancel_requested
    assert not (root / "out.parquet").exists() and not list(root.glob(".out.parquet*"))
    assert count(scoring_ws, review_items) == 0
    assert actions(scoring_ws, f"job:{job.id}")[-2:] == ["job.cancel_request", "job.cancel"]
    with pytest.raises(Conflict, match="already cancelled"):
        cancel_job(scoring_ws, job.id)


def test_a_queued_job_cancels_at_once(scoring_ws: Workspace) -> None:
    from workbench.jobs import cancel_job, run_job, submit_score_job
    from workbench.jobs.request import ScoreRequest

    write_input(scoring_ws.project.root, n=100)
    job = submit_score_job(scoring_ws, ScoreRequest("admissions", "data/applicants.parquet", "out.parquet"))
    assert job.status == "queued" and job.rows_total == 100
    assert cancel_job(scoring_ws, job.id).status == "cancelled"
    with pytest.raises(Conflict, match="only a queued job can be run"):
        run_job(scoring_ws, job.id)


def test_review_items_reach_the_queue_only_from_succeeded_jobs(scoring_ws: Workspace, tmp_path: Path) -> None:
    from workbench.jobs import list_review_items

    write_input(scoring_ws.project.root, n=1_500)
    job = score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", review_reasons=True)
    items = list_review_items(scoring_ws, job=job.id[:8], limit=None)
    assert len(items) == job.stats["review_items"] > 0
    out = read_output(scoring_ws.project.root / "out.parquet").filter(pl.col("decision") == "review")
    assert sorted(i.row_key for i in items) == out["applicant_id"].to_list()
    item = items[0]
    assert item.model == "admissions" and item.version == 1 and item.status == "open"
    assert (
        item.leaning in {"accept", "decline"} and item.reasons and {"feature", "contribution"} == set(item.reasons[0])
    )
    rules = {i.rule for i in items}
    assert None in rules and "missing_transcript" in rules  # between thresholds, and a rule that fired
