"""The Dask engine on a real LocalCluster (two worker processes): same output as the local engine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.scoring.test_local_engine import run as run_local
from tests.support.scoring import SmallModel, applicants, write
from workbench.core.errors import ContractViolation, JobError
from workbench.scoring.dask_engine import score_dask
from workbench.scoring.sinks import MANIFEST, open_output
from workbench.scoring.sources import open_input
from workbench.scoring.values import ScoreOptions, ScoringOutcome


def run_dask(
    model: SmallModel, source: Path, output: Path, scheduler: str, job_id: str = "jd", **options: object
) -> ScoringOutcome:
    target = open_output(output, folder=True)
    staging = target.staging(job_id)
    outcome = score_dask(
        open_input(source),
        target,
        staging,
        model.bundle(job_id=job_id),
        ScoreOptions(**{"batch_rows": 700, "partition_rows": 1_000, **options}),  # type: ignore[arg-type]
        device="cpu",
        review_path=output.parent / f"review-{job_id}.parquet",
        scheduler=scheduler,
    )
    target.commit(staging, job_id, overwrite=False)
    return outcome


def test_dask_gives_the_same_output_as_local(small_model: SmallModel, tmp_path: Path, dask_scheduler: str) -> None:
    source = write(applicants(4_200), tmp_path / "in.parquet", row_group_size=1_000)
    local = run_local(small_model, source, tmp_path / "local.parquet", job_id="jd", explain="approx")
    distributed = run_dask(small_model, source, tmp_path / "dask", dask_scheduler, explain="approx")
    parts = sorted(p.name for p in (tmp_path / "dask").iterdir())
    assert parts == [f"part-0000{i}.parquet" for i in range(5)] and distributed.partitions == 5
    expected = pl.read_parquet(tmp_path / "local.parquet").sort("applicant_id")
    got = pl.read_parquet(tmp_path / "dask").sort("applicant_id")
    assert got.equals(expected)
    assert distributed.tally.decisions == local.tally.decisions and distributed.tally.routes == local.tally.routes
    assert distributed.tally.rows == 4_200 and distributed.device == "cpu"
    local_review = pl.read_parquet(local.review_path).sort("row_index")  # type: ignore[arg-type]
    dask_review = pl.read_parquet(distributed.review_path).sort("row_index")  # type: ignore[arg-type]
    assert dask_review.drop("reasons").equals(local_review.drop("reasons"))
    assert distributed.drift_sample is not None and distributed.drift_sample.height == 4_200
    # nothing staged is left; the folder's manifest sits beside it
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [MANIFEST.format("dask")]


def test_a_violation_in_a_partition_names_it_and_leaves_no_output(
    small_model: SmallModel, tmp_path: Path, dask_scheduler: str
) -> None:
    frame = applicants(3_000).with_row_index()
    broken = frame.with_columns(
        pl.when(pl.col("index") == 2_345).then(None).otherwise(pl.col("gpa")).alias("gpa")
    ).drop("index")
    source = write(broken, tmp_path / "in.parquet", row_group_size=1_000)
    with pytest.raises(
        ContractViolation, match=r"partition 3 of 3, batch 1 \(input rows 2,001-2,700 of in.parquet\).*'gpa'"
    ):
        run_dask(small_model, source, tmp_path / "out", dask_scheduler)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_an_unreachable_scheduler_is_a_clear_error(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(100), tmp_path / "in.parquet")
    target = open_output(tmp_path / "out", folder=True)
    with pytest.raises(JobError, match=r"Cannot reach the Dask scheduler at tcp://127.0.0.1:9 .*--engine local"):
        score_dask(
            open_input(source),
            target,
            target.staging("x"),
            small_model.bundle(),
            ScoreOptions(),
            device="cpu",
            review_path=tmp_path / "review.parquet",
            scheduler="tcp://127.0.0.1:9",
            timeout_s=1.0,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
