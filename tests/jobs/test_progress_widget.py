"""The notebook progress bar: an IntProgress that follows a scoring job."""

from __future__ import annotations

import pytest

from tests.support.scoring import write_input
from workbench.core.errors import NotFound
from workbench.jobs.request import ScoreRequest
from workbench.project.workspace import Workspace
from workbench.widgets.progress import JobProgressBar, score_with_progress


def test_the_bar_moves_with_rows_and_shows_the_outcome(scoring_ws: Workspace) -> None:
    write_input(scoring_ws.project.root, n=2_000)
    seen: list[tuple[int, int]] = []
    bar = JobProgressBar()
    bar.bar.observe(lambda change: seen.append((change["new"], bar.bar.max)), names="value")
    from workbench.jobs import score

    job = score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet", batch_rows=500, progress=bar)
    assert seen == [(500, 2_000), (1_000, 2_000), (1_500, 2_000), (2_000, 2_000)]
    bar.finish(job)
    assert bar.bar.bar_style == "success" and "succeeded: 2,000 rows" in bar.label.value


def test_score_with_progress_and_follow(scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_input(scoring_ws.project.root, n=300)
    job = score_with_progress(scoring_ws, ScoreRequest("admissions", "data/applicants.parquet", "out.parquet"))
    assert job.status == "succeeded"
    follower = JobProgressBar()
    follower.follow(scoring_ws, job.id, interval_s=0.05).join(timeout=30)
    assert follower.bar.value == 300 and follower.bar.bar_style == "success"
    failing = JobProgressBar()
    with pytest.raises(NotFound):
        score_with_progress(scoring_ws, ScoreRequest("admissions", "data/none.parquet", "o.parquet"))
    failing.fail(NotFound("gone"))
    assert failing.bar.bar_style == "danger" and "gone" in failing.label.value
    capsys.readouterr()
