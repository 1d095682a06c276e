"""Decision logs and outcomes read by lazy scans: the same rows as the stored bytes, each file verified
against its digest first (a damaged file is refused, a missing one named), and the newest batch's row
winning for a revised key."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from tests.support.scoring import write_input
from workbench.core.errors import ArtifactIntegrityError, NotFound
from workbench.jobs import score
from workbench.jobs.decision_log import read_decision_log
from workbench.postmarket import add_outcomes, current_outcomes
from workbench.postmarket.decisions import scan_decisions
from workbench.postmarket.report import monitoring_report
from workbench.project.workspace import Workspace
from workbench.store.schema import outcome_batches


def _two_jobs(workspace: Workspace) -> tuple[str, str]:
    root = workspace.project.root
    frame = pl.read_parquet(write_input(root, n=600))
    frame.head(250).write_parquet(root / "data" / "a.parquet")
    frame.slice(250).write_parquet(root / "data" / "b.parquet")
    first = score(workspace, "admissions:1", "data/a.parquet", "out/a.parquet")
    second = score(workspace, "admissions:1", "data/b.parquet", "out/b.parquet")
    return first.id, second.id


def test_the_scan_reads_what_the_store_holds(scoring_ws: Workspace) -> None:
    _, second = _two_jobs(scoring_ws)
    scanned = scan_decisions(scoring_ws, "admissions", job_ids=[second]).collect()
    _, data = read_decision_log(scoring_ws, second)
    stored = pl.read_parquet(io.BytesIO(data))
    assert scanned.height == 350 and set(scanned.get_column("job")) == {second}
    assert scanned.drop("row_key", "version", "job", "decided_at").equals(stored)
    assert scanned.get_column("row_key").equals(stored.get_column("applicant_id").alias("row_key"))
    both = scan_decisions(scoring_ws, "admissions", columns=["score"]).collect()
    assert both.height == 600 and both.columns == [
        "applicant_id",
        "row",
        "score",
        "row_key",
        "version",
        "job",
        "decided_at",
    ]


def _damage(path: Path) -> None:
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-10])


def test_a_damaged_or_missing_log_is_refused(scoring_ws: Workspace) -> None:
    _, second = _two_jobs(scoring_ws)
    log, _ = read_decision_log(scoring_ws, second)
    path = scoring_ws.artifacts.path_for(log.digest)
    _damage(path)
    with pytest.raises(ArtifactIntegrityError, match=f"decision log of job {second[:8]} failed its integrity check"):
        monitoring_report(scoring_ws, "admissions")
    path.unlink()
    with pytest.raises(NotFound, match=f"decision log of job {second[:8]}.*is missing"):
        scan_decisions(scoring_ws, "admissions")


def test_outcomes_newest_batch_wins_and_a_damaged_batch_is_refused(scoring_ws: Workspace) -> None:
    _two_jobs(scoring_ws)
    truth = pl.read_parquet(scoring_ws.project.root / "data" / "applicants.parquet").select("applicant_id", "admit")
    add_outcomes(scoring_ws, "admissions", truth.head(300), keys=["applicant_id"], label="admit")
    flipped = truth.slice(290, 20).with_columns((1 - pl.col("admit")).alias("admit"))
    add_outcomes(scoring_ws, "admissions", flipped, keys=["applicant_id"], label="admit")
    current = current_outcomes(scoring_ws, "admissions")
    assert current.height == 310 and current.get_column("row_key").n_unique() == 310
    expected = pl.concat([truth.head(290), flipped]).rename({"applicant_id": "row_key", "admit": "label"})
    got = current.select("row_key", "label").sort("row_key")
    assert got.equals(expected.cast({"label": pl.Int8}).sort("row_key"))
    revisions = dict(current.select("row_key", "revision").iter_rows())
    assert revisions[flipped.item(0, "applicant_id")] == 2 and revisions[truth.item(0, "applicant_id")] == 1
    with scoring_ws.read() as conn:
        digest = conn.execute(outcome_batches.select().where(outcome_batches.c.seq == 2)).one().digest
    _damage(scoring_ws.artifacts.path_for(digest))
    with pytest.raises(ArtifactIntegrityError, match="outcomes admissions #2 failed its integrity check"):
        current_outcomes(scoring_ws, "admissions")
