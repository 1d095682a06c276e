"""Every succeeded scoring job keeps its decisions in the artifact store, recorded with the job."""

from __future__ import annotations

import io

import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.scoring import write_input
from workbench.core.errors import ArtifactIntegrityError, ContractViolation
from workbench.jobs import score
from workbench.jobs.decision_log import decision_log_staging, decision_logs_of, read_decision_log
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events
from workbench.store.schema import decision_logs


def _log_frame(workspace: Workspace, job_id: str) -> pl.DataFrame:
    _, data = read_decision_log(workspace, job_id)
    return pl.read_parquet(io.BytesIO(data))


def test_a_job_stores_its_decisions_with_keys_rule_and_sensitive_columns(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, n=2_500)
    job = score(
        scoring_ws, "admissions", "data/applicants.parquet", "out/scores.parquet", batch_rows=1_000, explain="approx"
    )
    log, _ = read_decision_log(scoring_ws, job.id)
    assert log.rows == 2_500 and log.keys == ("applicant_id",) and log.monitored == ("gender",)
    frame = _log_frame(scoring_ws, job.id)
    assert frame.columns[:6] == ["applicant_id", "row", "score", "decision", "route", "rule"]
    assert {"reason_1", "reason_1_value", "model", "model_version", "job_id", "gender"} <= set(frame.columns)
    assert frame["row"].to_list() == list(range(2_500))
    assert set(frame["job_id"].unique()) == {job.id} and set(frame["model_version"].unique()) == {1}
    # The same decisions as the user's output, and the rule that fired on rule-routed rows.
    output = pl.read_parquet(root / "out" / "scores.parquet")
    assert frame.select("applicant_id", "score", "decision", "route").equals(
        output.select("applicant_id", "score", "decision", "route")
    )
    ruled = frame.filter(pl.col("route").str.starts_with("rule:"))
    assert ruled.height and (ruled["route"] == ("rule:" + ruled["rule"])).all()
    assert frame.filter(~pl.col("route").str.starts_with("rule:"))["rule"].null_count() == frame.height - ruled.height
    # The log is in the store under its digest, named by the job's audit event; the staged copy is gone.
    assert scoring_ws.artifacts.exists(log.digest)
    with scoring_ws.read() as conn:
        event = next(e for e in list_events(conn) if e.action == "job.succeed" and e.subject == f"job:{job.id}")
        assert [entry.job_id for entry in decision_logs_of(conn, "admissions")] == [job.id]
    assert event.payload["decision_log"] == {"digest": log.digest, "rows": 2_500}
    assert not decision_log_staging(scoring_ws.project, job.id).exists()


def test_the_log_outlives_the_output_and_a_damaged_log_is_refused(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, n=500)
    job = score(scoring_ws, "admissions", "data/applicants.parquet", "out/scores.parquet")
    (root / "out" / "scores.parquet").unlink()
    assert _log_frame(scoring_ws, job.id).height == 500
    log, _ = read_decision_log(scoring_ws, job.id)
    path = scoring_ws.artifacts.path_for(log.digest)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ArtifactIntegrityError, match="decision log of job"):
        read_decision_log(scoring_ws, job.id)


def test_a_failed_job_records_no_log_and_leaves_nothing_staged(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    frame = pl.read_parquet(write_input(root, n=400)).with_columns(pl.lit("x").alias("gpa"))
    frame.write_parquet(root / "data" / "bad.parquet")
    with pytest.raises(ContractViolation):
        score(scoring_ws, "admissions", "data/bad.parquet", "out/bad.parquet")
    with scoring_ws.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(decision_logs)).scalar() == 0
    assert not list((scoring_ws.project.state_dir / "jobs").glob("*/decisions.parquet"))


def test_a_dask_job_keeps_the_same_log(scoring_ws: Workspace, dask_scheduler: str) -> None:
    root = scoring_ws.project.root
    write_input(root, n=3_000)
    local = score(scoring_ws, "admissions", "data/applicants.parquet", "local.parquet")
    job = score(
        scoring_ws,
        "admissions",
        "data/applicants.parquet",
        "dask-out",
        engine="dask",
        scheduler=dask_scheduler,
        partition_rows=1_000,
    )
    mine = _log_frame(scoring_ws, job.id).drop("job_id").sort("row")
    theirs = _log_frame(scoring_ws, local.id).drop("job_id").sort("row")
    assert mine.height == 3_000 and mine.equals(theirs)
