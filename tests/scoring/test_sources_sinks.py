"""Opening inputs and staging outputs: bad paths and file types fail early with what to do."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.support.scoring import applicants, write
from workbench.core.errors import Conflict, NotFound, ValidationError
from workbench.scoring.sinks import MANIFEST, open_output
from workbench.scoring.sources import open_input


def test_open_input_reads_footers_only(tmp_path: Path) -> None:
    write(applicants(2_500), tmp_path / "a.parquet", row_group_size=1_000)
    source = open_input(tmp_path / "a.parquet")
    assert source.rows == 2_500 and source.files[0].row_group_rows == (1_000, 1_000, 500)
    assert source.batch_count(1_000) == 3 and source.batch_count(2_000) == 2
    assert [(p.first_row, p.rows, p.row_groups) for p in source.partitions(2_000)] == [
        (0, 2_000, (0, 1)),
        (2_000, 500, (2,)),
    ]
    assert "gpa" in source.column_names


def test_partitions_never_split_row_groups_and_number_rows_across_files(tmp_path: Path) -> None:
    write(applicants(1_500, seed=1), tmp_path / "in" / "a.parquet", row_group_size=1_000)
    write(applicants(800, seed=2), tmp_path / "in" / "b.parquet", row_group_size=1_000)
    parts = open_input(tmp_path / "in").partitions(500)
    assert [(Path(p.path).name, p.first_row, p.rows) for p in parts] == [
        ("a.parquet", 0, 1_000),
        ("a.parquet", 1_000, 500),
        ("b.parquet", 1_500, 800),
    ]
    assert [p.index for p in parts] == [0, 1, 2]


def test_missing_input(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"does not exist"):
        open_input(tmp_path / "nope.parquet")


def test_a_csv_file_is_refused_with_the_conversion(tmp_path: Path) -> None:
    applicants(20).write_csv(tmp_path / "in.csv")
    with pytest.raises(ValidationError, match=r"is a CSV file .*scoring reads Parquet.*polars.read_csv"):
        open_input(tmp_path / "in.csv")


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in.parquet").write_text("applicant_id,gpa\nA1,3.1\n")
    with pytest.raises(ValidationError, match=r"is not a Parquet file \(.*magic"):
        open_input(tmp_path / "in.parquet")


def test_folders_without_parquet_and_files_that_disagree(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="holds no Parquet files .it is empty"):
        open_input(tmp_path / "empty")
    (tmp_path / "csvs").mkdir()
    applicants(5).write_csv(tmp_path / "csvs" / "a.csv")
    with pytest.raises(ValidationError, match=r"holds no Parquet files \(it holds \.csv\)"):
        open_input(tmp_path / "csvs")
    write(applicants(5), tmp_path / "mixed" / "a.parquet")
    write(applicants(5).drop("gpa"), tmp_path / "mixed" / "b.parquet")
    with pytest.raises(ValidationError, match="do not share one schema"):
        open_input(tmp_path / "mixed")


def test_output_kind_follows_the_path(tmp_path: Path) -> None:
    assert not open_output(tmp_path / "scores.parquet").folder
    assert open_output(tmp_path / "scores").folder
    assert open_output(f"{tmp_path / 'scores.parquet'}/").folder
    assert open_output(tmp_path / "scores.parquet", folder=True).folder
    assert open_output(tmp_path / "x.parquet").staging("abc") == str(tmp_path / ".x.parquet.abc.tmp")


def test_folder_commit_swaps_the_whole_folder_and_writes_a_manifest(tmp_path: Path) -> None:
    old = tmp_path / "out"
    target = open_output(old)
    for job, parts in (("j0", 2), ("j1", 1)):
        staging = target.staging(job)
        target.prepare(staging)
        for index in range(parts):
            pl.DataFrame({"a": [index]}).write_parquet(target.part_path(staging, index))
        if job == "j1":
            with pytest.raises(Conflict):
                target.commit(staging, job, overwrite=False)
        target.commit(staging, job, overwrite=True)
    assert sorted(p.name for p in old.iterdir()) == ["part-00000.parquet"]
    assert json.loads((tmp_path / MANIFEST.format("out")).read_text())["job_id"] == "j1"
    assert target.manifest() is not None and target.manifest()["parts"] == ["part-00000.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST.format("out"), "out"]
    assert pl.read_parquet(old).height == 1  # readers see a folder of Parquet only


def test_replacing_a_folder_deletes_only_what_its_manifest_lists(tmp_path: Path) -> None:
    target = open_output(tmp_path / "out")
    for job in ("j0", "j1"):
        staging = target.staging(job)
        target.prepare(staging)
        pl.DataFrame({"a": [1]}).write_parquet(target.part_path(staging, 0))
        if job == "j1":  # something a person put there after the first job (the job's guard refuses this)
            (tmp_path / "out" / "notes.txt").write_text("mine")
        target.commit(staging, job, overwrite=True)
    assert (tmp_path / ".out.j1.old" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / ".out.j1.old").iterdir()) == ["notes.txt"]


def test_an_output_file_names_its_job_in_the_footer(tmp_path: Path) -> None:
    import pyarrow as pa

    target = open_output(tmp_path / "scores.parquet")
    writer = target.writer(str(tmp_path / "scores.parquet"), "zstd")
    job = pa.DictionaryArray.from_arrays(pa.array([0, 0], type=pa.int8()), pa.array(["abc123"]))
    writer.write(pa.table({"score": [0.1, 0.9], "job_id": job}))
    writer.close()
    assert target.file_job_id() == "abc123"
    (tmp_path / "other.parquet").write_bytes(b"not parquet")
    assert open_output(tmp_path / "other.parquet").file_job_id() is None


def test_discard_is_silent_and_complete(tmp_path: Path) -> None:
    target = open_output(tmp_path / "out")
    staging = target.staging("j2")
    target.prepare(staging)
    (Path(staging) / "part-00000.parquet").write_bytes(b"partial")
    target.discard(staging)
    target.discard(staging)
    assert list(tmp_path.iterdir()) == []


def test_overlapping_jobs_restore_the_memory_pool_and_the_collector_whatever_order_they_end_in() -> None:
    import gc

    import pyarrow as pa

    from workbench.scoring.runtime import collector_paused, scoring_memory_pool

    pool_before, gc_before = pa.default_memory_pool().backend_name, gc.isenabled()
    first, second = scoring_memory_pool(), scoring_memory_pool()
    first_gc, second_gc = collector_paused(), collector_paused()
    first.__enter__(), first_gc.__enter__()
    second.__enter__(), second_gc.__enter__()
    assert pa.default_memory_pool().backend_name == "system" and not gc.isenabled()
    first.__exit__(None, None, None), first_gc.__exit__(None, None, None)  # the first job ends first
    assert pa.default_memory_pool().backend_name == "system" and not gc.isenabled()  # the second still runs
    second.__exit__(None, None, None), second_gc.__exit__(None, None, None)
    assert pa.default_memory_pool().backend_name == pool_before and gc.isenabled() == gc_before
