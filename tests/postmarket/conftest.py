"""The scoring project of tests/jobs (a policy with routing, admissions:1 registered), for monitoring tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.support.scoring import write_input
from tests.support.training import Trained, register_admissions
from workbench.jobs import score
from workbench.project.workspace import Workspace


@pytest.fixture
def two_versions(scoring_ws: Workspace, trained_small: Trained) -> tuple[Workspace, Path]:
    """admissions:1 scores applicants 0-1199, admissions:2 scores 1000-1999 (200 keys decided by both)."""
    root = scoring_ws.project.root
    frame = pl.read_parquet(write_input(root, n=2_000))
    frame.head(1_200).write_parquet(root / "data" / "first.parquet")
    frame.slice(1_000).write_parquet(root / "data" / "second.parquet")
    score(scoring_ws, "admissions:1", "data/first.parquet", "out/first.parquet")
    register_admissions(scoring_ws, trained_small)
    score(scoring_ws, "admissions:2", "data/second.parquet", "out/second.parquet")
    truth = frame.select("applicant_id", pl.col("admit").alias("enrolled"))
    truth = pl.concat(
        [truth, pl.DataFrame({"applicant_id": ["nobody-1", "nobody-2"], "enrolled": [1, 0]})], how="vertical_relaxed"
    )
    truth.write_parquet(root / "data" / "truth.parquet")
    return scoring_ws, root / "data" / "truth.parquet"
