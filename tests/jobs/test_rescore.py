"""Scoring the same rows again supersedes their open review items; the queue filters and counts truly."""

from __future__ import annotations

import json
import warnings

import pytest

from tests.support.scoring import write_input
from workbench.cli.main import main
from workbench.core.errors import Conflict
from workbench.jobs import decide_review_item, list_review_items, score
from workbench.jobs.review_queue import count_review_items, review_page
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scoring_the_same_input_twice_leaves_one_open_item_per_applicant(
    scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    write_input(scoring_ws.project.root, n=1_500)
    for output in ("first.parquet", "second.parquet"):
        code, _, err = cli(capsys, "score", "admissions", "data/applicants.parquet", "-o", output)
        assert code == 0, err
    code, out, _ = cli(capsys, "jobs", "list", "--json")
    second, first = json.loads(out)  # newest first
    per_job = first["stats"]["review_items"]
    assert per_job > 0 and second["stats"]["review_items"] == per_job
    assert second["stats"]["superseded_review_items"] == per_job and first["stats"]["superseded_review_items"] == 0

    code, out, _ = cli(capsys, "queue", "list", "--limit", "5000", "--json")
    open_items = json.loads(out)
    assert len(open_items) == per_job and {i["job_id"] for i in open_items} == {second["id"]}
    assert len({i["row_key"] for i in open_items}) == per_job
    old = list_review_items(scoring_ws, job=first["id"], status=None, limit=None)
    assert {i.status for i in old} == {"superseded"} and len(old) == per_job

    with scoring_ws.read() as conn:
        [event] = list_events(conn, action="review.supersede")
    assert event.subject == f"job:{second['id']}" and event.payload["superseded"] == {first["id"]: per_job}
    assert scoring_ws.verify_audit().ok

    code, _, err = cli(capsys, "queue", "decide", str(old[0].id), "--decision", "accept", "-m", "late")
    assert code == Conflict.exit_code and f"Review item {old[0].id} was superseded" in err
    code, out, _ = cli(capsys, "queue", "list", "--status", "superseded", "--limit", "3")
    assert f"Showing 3 of {per_job:,} superseded items" in out


def test_a_decided_item_stays_decided_and_the_row_gets_one_new_open_item(scoring_ws: Workspace) -> None:
    write_input(scoring_ws.project.root, n=1_200)
    first = score(scoring_ws, "admissions", "data/applicants.parquet", "a.parquet")
    item = next(i for i in list_review_items(scoring_ws, job=first.id, limit=None) if i.leaning == "accept")
    decide_review_item(scoring_ws, item.id, "accept")
    second = score(scoring_ws, "admissions", "data/applicants.parquet", "b.parquet")
    assert second.stats["superseded_review_items"] == first.stats["review_items"] - 1
    assert count_review_items(scoring_ws) == second.stats["review_items"]
    assert count_review_items(scoring_ws, status="decided") == 1
    again = [i for i in list_review_items(scoring_ws, limit=None) if i.row_key == item.row_key]
    assert [i.job_id for i in again] == [second.id]


def test_keyed_rows_are_the_same_applicants_whatever_the_input_file(scoring_ws: Workspace) -> None:
    import polars as pl

    root = scoring_ws.project.root
    write_input(root, n=600)
    frame = pl.read_parquet(root / "data/applicants.parquet")
    frame.write_parquet(root / "data/copy.parquet")
    first = score(scoring_ws, "admissions", "data/applicants.parquet", "a.parquet")
    second = score(scoring_ws, "admissions", "data/copy.parquet", "b.parquet")
    # Keyed rows (applicant_id) are the same applicants in any file; rows without keys (row:<index>)
    # would be the same row only within the same input location.
    assert second.stats["superseded_review_items"] == first.stats["review_items"]


def test_the_queue_filters_by_job_and_version_and_counts_the_true_total(
    scoring_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_input(scoring_ws.project.root, n=1_500)
    job = score(scoring_ws, "admissions", "data/applicants.parquet", "a.parquet")
    total = job.stats["review_items"]
    assert total > 5

    code, out, _ = cli(capsys, "queue", "list", "--limit", "5")
    assert code == 0 and f"Showing 5 of {total:,} open items" in out
    code, out, _ = cli(capsys, "queue", "list", "--model", "admissions", "--version", "1", "--limit", "5000")
    assert f"{total:,} open items." in out
    code, out, _ = cli(capsys, "queue", "list", "--version", "2", "--job", job.id[:8])
    assert "(queue empty)" in out

    page = review_page(scoring_ws, limit=5, version=1)
    assert len(page.items) == 5 and page.total == total
    assert review_page(scoring_ws, version=2).total == 0

    import workbench.api as wb

    monkeypatch.chdir(scoring_ws.project.root)
    monkeypatch.setenv("WORKBENCH_USER", "analyst@example.org")
    with pytest.warns(UserWarning, match=f"Showing 5 of {total:,} open review items"):
        frame = wb.queue(limit=5, job=job.id, version=1)
    assert frame.height == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wb.queue(limit=None, version=1).height == total
        assert wb.queue(version=2).height == 0
