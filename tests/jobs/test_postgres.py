"""A scoring job, its review items, a decision and monitoring on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.governed import on_postgres
from tests.support.scoring import write_input
from tests.support.training import Trained
from workbench.jobs import decide_review_item, get_job, list_review_items, monitor, score


@pytest.mark.postgres
def test_a_job_and_its_queue_on_postgresql(
    project_dir: Path, trained_small: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    write_input(project_dir, n=1_500)
    job = score(workspace, "admissions", "data/applicants.parquet", "out.parquet", review_reasons=True)
    items = list_review_items(workspace, job=job.id, limit=None)
    assert len(items) == job.stats["review_items"] > 0 and items[0].reasons
    assert items[0].created_at is not None and items[0].created_at.tzinfo is not None
    declined = next(i for i in items if i.leaning == "decline")
    assert decide_review_item(workspace, declined.id, "accept", "context").override is True
    assert get_job(workspace, job.id).stats["overrides"] == 1
    assert monitor(workspace).entries[0].job_id == job.id
