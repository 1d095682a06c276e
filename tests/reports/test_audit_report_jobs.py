"""The audit report with scoring jobs in every state: each shown with its status, the rest intact.

Job rows are written straight into the store's ``jobs`` table, as each state (and each
older release) leaves them: a failed, cancelled, killed (reaped) or detached job has no
stats or drift; rows from before a stats key existed lack it.
"""

from __future__ import annotations

import html as html_text
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.support.scoring import applicants, write
from workbench.core.clock import utcnow
from workbench.core.errors import ContractViolation
from workbench.project.workspace import Workspace
from workbench.reports.audit_report import SECTIONS, render_report
from workbench.reports.operations import report_jobs
from workbench.store.schema import jobs

SUCCEEDED_STATS = {
    "decisions": {"admit": 700, "review": 200, "reject": 100},
    "overrides": 2,
    "batch_drift": {"checked": 3, "over_limit": 1, "first_over_limit_row": 2000, "limit": 0.3, "batches": []},
}
DRIFTED = ("gpa", "test_score", "region", "essay_length")
COLUMNS = [{"column": name, "drifted": name in DRIFTED} for name in (*DRIFTED, "a", "b", "c", "d", "e")]
# As jobs stored it before the verdict was: Evidently's dataset_drift beside the policy's limit.
LEGACY_DRIFT = {
    "summary": {"n_columns": 9, "n_drifted": 4, "drift_share": 0.444, "dataset_drift": False},
    "columns": COLUMNS,
    "limit": 0.3,
    "exceeded": True,
}
SUCCEEDED_DRIFT = {
    "verdict": {
        "n_columns": 9,
        "n_drifted": 2,
        "drifted_columns": ["gpa", "test_score"],
        "share": 2 / 9,
        "limit": 0.2,
        "retrain_recommended": True,
    },
    "summary": {"n_columns": 9, "n_drifted": 2, "drift_share": 2 / 9},
    "columns": [{**c, "drifted": c["column"] in ("gpa", "test_score")} for c in COLUMNS],
    "limit": 0.2,
    "exceeded": True,
}

KILLED = {"rows_done": 300, "pid": 999_999, "error": "The process ended", "error_type": "ProcessVanished"}
PARTIAL = {"rows_done": 60, "stats": {"batch_drift": {"over_limit": 2}}, "drift": {"summary": {"n_columns": 9}}}
NO_REFERENCE = {"rows_done": 70, "drift": {"error": "admissions:1 has no training reference artifact"}}
LEGACY_STATS = {"rows_done": 800, "stats": {"decisions": {"admit": 800}}, "drift": LEGACY_DRIFT}

# name: (status, columns beyond the defaults)
STATES: dict[str, tuple[str, dict[str, Any]]] = {
    "succeeded": ("succeeded", {"rows_done": 1000, "stats": SUCCEEDED_STATS, "drift": SUCCEEDED_DRIFT}),
    "failed": (
        "failed",
        {"rows_done": 2000, "error": "Scoring job stopped: column 'gpa' has nulls", "error_type": "ContractViolation"},
    ),
    "cancelled": ("cancelled", {"rows_done": 500, "error": "cancelled by analyst@example.org"}),
    "killed": ("failed", KILLED),
    "detached": ("queued", {"pid": 999_998, "host": "elsewhere"}),
    "running": ("running", {"rows_done": 100, "stats": {}, "drift": {}}),
    "before batch checks": ("succeeded", LEGACY_STATS),
    "before any stats": ("succeeded", {"rows_done": 50, "stats": None, "drift": None, "device": None, "engine": None}),
    "partial summary": ("succeeded", PARTIAL),
    "drift not checked": ("succeeded", NO_REFERENCE),
    "future status": ("paused", {"rows_done": 10}),
}  # fmt: skip


def _insert(workspace: Workspace, status: str, offset: int, **columns: Any) -> str:
    job_id = uuid.uuid4().hex
    values: dict[str, Any] = {
        "id": job_id,
        "kind": "score",
        "name": "admissions",
        "version": 1,
        "ref": "admissions:1",
        "input": "data/in.parquet",
        "output": "out/scores.parquet",
        "device": "cpu",
        "engine": "local",
        "options": {},
        "status": status,
        "created_at": utcnow() + timedelta(seconds=offset),
        "actor": "analyst@example.org",
        **columns,
    }
    with workspace.transaction() as tx:
        tx.conn.execute(jobs.insert().values(**values))
    return job_id


def _row(html: str, job_id: str, table_heading: str) -> list[str]:
    """The cells after the job id in the job's row of the table under ``table_heading``."""
    table = html[html.index(table_heading) :]
    table = table[table.index("<table") :]
    row = table[table.index(job_id) :].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [html_text.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def _assert_intact(html: str) -> None:
    for section_id, title in SECTIONS:
        assert f'<section id="{section_id}">' in html and f"<h2>{title}</h2>" in html
    assert "chain verified" in html and html.rstrip().endswith("</html>")


@pytest.mark.parametrize("state", list(STATES), ids=list(STATES))
def test_report_renders_a_job_in_each_state(governed: Workspace, state: str) -> None:
    status, columns = STATES[state]
    job_id = _insert(governed, status, 0, **columns)

    html = render_report(governed, "admissions:1")

    _assert_intact(html)
    oversight = _row(html, job_id, "Automated decisions and human review")
    assert oversight[1].startswith(status if status != "queued" else "queued (not started)")
    if columns.get("error"):
        assert columns["error"] in oversight[1]
    assert oversight[2] == str(columns.get("rows_done", 0))
    drift = _row(html, job_id, "Drift in scored data")
    assert drift[0] == str(columns.get("rows_done", 0))


def test_every_state_in_one_report(governed: Workspace) -> None:
    ids = {
        state: _insert(governed, status, offset, **columns)
        for offset, (state, (status, columns)) in enumerate(STATES.items())
    }

    html = render_report(governed, "admissions:1")

    _assert_intact(html)
    drift = {state: _row(html, job_id, "Drift in scored data") for state, job_id in ids.items()}
    assert drift["succeeded"] == ["1000", "2/9: gpa, test_score", "0.222", "0.2", "yes", "3", "1 (from row 2001)"]
    assert drift["failed"] == ["2000", "no result: the job failed before its drift check", "–", "–"]
    assert drift["killed"][1] == "no result: the job failed before its drift check"
    assert drift["cancelled"][1] == "no result: the job was cancelled before its drift check"
    assert drift["detached"] == ["0", "not scored yet", "–", "–"]
    assert drift["running"][1] == "still scoring"
    assert drift["before batch checks"] == [
        "800",
        "4/9: gpa, test_score, region, essay_length",
        "0.444",
        "0.3",
        "yes",
        "–",
        "–",
    ]
    assert drift["before any stats"] == ["50", "no drift check recorded", "–", "–"]
    assert drift["partial summary"] == ["60", "drift record incomplete: no verdict to show", "0", "2"]
    assert drift["drift not checked"][1] == "not checked: admissions:1 has no training reference artifact"
    assert drift["future status"][1] == "no drift check recorded (job paused)"
    oversight = _row(html, ids["succeeded"], "Automated decisions and human review")
    assert oversight == ["admissions:1", "succeeded", "1000", "admit: 700, reject: 100, review: 200", "0", "0", "2"]
    assert _row(html, ids["before any stats"], "Automated decisions and human review")[3] == "–"


def test_report_without_jobs_has_no_job_tables(governed: Workspace) -> None:
    html = render_report(governed, "admissions:1")
    _assert_intact(html)
    assert "Drift in scored data" not in html and "Automated decisions and human review" not in html


def test_jobs_are_normalised_into_one_shape(governed: Workspace) -> None:
    _insert(governed, "failed", 0, stats={"decisions": {"admit": "many", "review": 3.0}, "overrides": None})
    with governed.read() as conn:
        [job] = report_jobs(conn, "admissions", 1)
    assert (job.decisions, job.overrides, job.drift, job.batch_checks) == ({"review": 3}, 0, None, None)


def test_a_real_failed_job_is_in_the_report(governed: Workspace) -> None:
    from workbench.jobs import score
    from workbench.jobs.listing import list_jobs

    root = governed.project.root
    frame = applicants(1_500, seed=4)
    frame = frame.with_columns(frame["gpa"].scatter(1_200, None))
    write(frame, root / "data" / "broken.parquet")
    with pytest.raises(ContractViolation):
        score(governed, "admissions:1", "data/broken.parquet", "out/scores.parquet", batch_rows=1_000)
    [job] = list_jobs(governed)
    assert job.status == "failed"

    html = render_report(governed, "admissions:1")

    _assert_intact(html)
    oversight = _row(html, job.id, "Automated decisions and human review")
    assert oversight[1].startswith("failed: batch 2 of 2 (input rows 1,001-1,500 of broken.parquet)")
    assert _row(html, job.id, "Drift in scored data")[1] == "no result: the job failed before its drift check"
