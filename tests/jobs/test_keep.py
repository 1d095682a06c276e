"""``--keep``: input columns carried through to the scoring output, checked at submission, on both engines."""

from __future__ import annotations

import polars as pl
import pytest

from tests.support.scoring import applicants, write, write_input
from workbench.cli.main import main
from workbench.core.errors import ValidationError
from workbench.jobs import list_jobs, score
from workbench.project.workspace import Workspace


def test_keep_carries_columns_through_the_cli(scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    root = scoring_ws.project.root
    write_input(root, n=1_500)
    code = main(
        ["score", "admissions", "data/applicants.parquet", "-o", "out/scores.parquet", "--keep", "region", "admit"]
    )
    assert code == 0, capsys.readouterr().err
    out = pl.read_parquet(root / "out/scores.parquet")
    assert out.columns[:4] == ["applicant_id", "region", "admit", "score"]  # keys, kept, then the output's own
    source = pl.read_parquet(root / "data/applicants.parquet").select("applicant_id", "region", "admit")
    assert out.select("applicant_id", "region", "admit").equals(source)
    [job] = list_jobs(scoring_ws)
    assert job.options["keep"] == ["region", "admit"]


def test_keep_names_missing_columns_before_a_job_is_recorded(
    scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    write_input(scoring_ws.project.root, n=200)
    code = main(["score", "admissions", "data/applicants.parquet", "-o", "o.parquet", "--keep", "region", "nope"])
    err = capsys.readouterr().err
    assert code == ValidationError.exit_code
    assert "--keep names column(s) ['nope'] that the input" in err and "its columns are: applicant_id" in err
    assert list_jobs(scoring_ws) == [] and not (scoring_ws.project.root / "o.parquet").exists()


@pytest.mark.parametrize("column", ["score", "route", "reason_1_value"])
def test_keep_refuses_a_column_that_would_clash_with_the_output(scoring_ws: Workspace, column: str) -> None:
    root = scoring_ws.project.root
    write(applicants(200).with_columns(pl.lit(1).alias(column)), root / "data/applicants.parquet")
    with pytest.raises(ValidationError, match=rf"--keep column\(s\) \['{column}'\] would clash with the output"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "o.parquet", keep=[column])
    assert list_jobs(scoring_ws) == []


def test_a_key_named_in_keep_appears_once(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, n=300)
    score(scoring_ws, "admissions", "data/applicants.parquet", "o.parquet", keep=["applicant_id", "gender"])
    assert pl.read_parquet(root / "o.parquet").columns[:3] == ["applicant_id", "gender", "score"]


def test_keep_on_the_dask_engine_matches_the_local_engine(scoring_ws: Workspace, dask_scheduler: str) -> None:
    root = scoring_ws.project.root
    write_input(root, n=2_000)
    keep = ["region", "admit"]
    score(scoring_ws, "admissions", "data/applicants.parquet", "local.parquet", keep=keep)
    job = score(
        scoring_ws,
        "admissions",
        "data/applicants.parquet",
        "dask-out",
        engine="dask",
        scheduler=dask_scheduler,
        partition_rows=1_000,
        keep=keep,
    )
    assert job.status == "succeeded"
    mine = pl.read_parquet(root / "dask-out/*.parquet").drop("job_id").sort("applicant_id")
    theirs = pl.read_parquet(root / "local.parquet").drop("job_id").sort("applicant_id")
    assert mine.columns[:3] == ["applicant_id", "region", "admit"] and mine.equals(theirs)
