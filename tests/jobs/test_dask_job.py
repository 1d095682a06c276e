"""Scoring jobs on the Dask engine: a folder of parts committed at once, and a scheduler that is not there."""

from __future__ import annotations

import polars as pl
import pytest

from tests.support.scoring import write_input
from workbench.core.errors import JobError
from workbench.jobs import list_jobs, score
from workbench.project.workspace import Workspace


def test_a_dask_job_writes_a_folder_and_matches_a_local_job(scoring_ws: Workspace, dask_scheduler: str) -> None:
    root = scoring_ws.project.root
    write_input(root, n=3_000)
    local = score(scoring_ws, "admissions", "data/applicants.parquet", "local.parquet", explain="approx")
    job = score(
        scoring_ws,
        "admissions",
        "data/applicants.parquet",
        "dask-out",
        engine="dask",
        scheduler=dask_scheduler,
        explain="approx",
        partition_rows=1_000,
    )
    assert job.status == "succeeded" and job.engine == "dask" and job.device == "cpu"
    assert job.stats["partitions"] == 3 and job.rows_done == 3_000
    assert (
        job.stats["decisions"] == local.stats["decisions"] and job.stats["review_items"] == local.stats["review_items"]
    )
    assert sorted(p.name for p in (root / "dask-out").iterdir()) == [f"part-0000{i}.parquet" for i in range(3)]
    mine = pl.read_parquet(root / "dask-out").drop("job_id").sort("applicant_id")
    theirs = pl.read_parquet(root / "local.parquet").drop("job_id").sort("applicant_id")
    assert mine.equals(theirs)
    assert job.drift["summary"] == local.drift["summary"]
    # Every partition's batches are checked for drift on the workers, in input order.
    checks = job.stats["batch_drift"]
    assert checks["checked"] == 3 and [b["first_row"] for b in checks["batches"]] == [0, 1_000, 2_000]
    assert local.stats["batch_drift"]["checked"] == 1


def test_an_unreachable_scheduler_fails_the_job_clearly(scoring_ws: Workspace) -> None:
    write_input(scoring_ws.project.root, n=200)
    with pytest.raises(JobError, match="Cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        score(
            scoring_ws,
            "admissions",
            "data/applicants.parquet",
            "out",
            engine="dask",
            scheduler="tcp://127.0.0.1:9",
            connect_timeout_s=1.0,
        )
    [job] = list_jobs(scoring_ws)
    assert job.status == "failed" and job.error_type == "JobError"
    assert not (scoring_ws.project.root / "out").exists()
