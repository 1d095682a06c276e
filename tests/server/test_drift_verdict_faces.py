"""One drift verdict on every face: the job's record, the version's flag, the CLI, the audit
report, the job's REST answer and the version's REST answer (the Models panel's) all show the
verdict the job stored, drifted columns named, through a real server."""

from __future__ import annotations

import html as html_text
import json
import re
from pathlib import Path
from typing import Any

import pytest

MONITORING = "monitoring:\n  drift_share_limit: 0.1\n"


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    policy = governed_root / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + MONITORING, encoding="utf-8")
    return governed_root


def _text(fragment: str) -> str:
    return html_text.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _report_row(page: str, job_id: str) -> list[str]:
    table = page[page.index("Drift in scored data") :]
    table = table[table.index("<table") :]
    row = table[table.index(job_id) :].split("</tr>", 1)[0]
    return [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


async def test_one_drift_verdict_on_every_face(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Any, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from tests.support.governed import ANALYST
    from tests.support.scoring import applicants, write
    from workbench.cli.main import main
    from workbench.core.values import Identity
    from workbench.drift.verdict import recorded_verdict
    from workbench.jobs import score
    from workbench.project.config import load_project
    from workbench.project.workspace import Workspace
    from workbench.registry.versions import get_version
    from workbench.reports.audit_report import render_report

    root = jp_root_dir
    write(applicants(3_000, seed=7, drift=True), root / "data" / "drifted.parquet")
    write(applicants(3_000, seed=3), root / "data" / "usual.parquet")
    project = load_project(root)
    workspace = Workspace(project, Identity(ANALYST, "env", project.roles_of(ANALYST)))

    drifted_job = score(workspace, "admissions:1", "data/drifted.parquet", "scores/drifted.parquet")
    usual_job = score(workspace, "admissions:1", "data/usual.parquet", "scores/usual.parquet")

    # The job stores the verdict; the version's flag and the record's restatement follow it.
    drifted, usual = recorded_verdict(drifted_job.drift), recorded_verdict(usual_job.drift)
    assert drifted is not None and usual is not None
    assert drifted.retrain_recommended and drifted.drifted_columns and drifted.limit == 0.1
    assert not usual.retrain_recommended and usual.share <= 0.1
    assert drifted_job.drift["exceeded"] is True and usual_job.drift["exceeded"] is False
    assert get_version(workspace, "admissions:1").retrain_recommended is True

    # The CLI prints the stored verdict, word for word.
    monkeypatch.chdir(root)
    monkeypatch.setenv("WORKBENCH_USER", ANALYST)
    for job, verdict in ((drifted_job, drifted), (usual_job, usual)):
        assert main(["jobs", "show", job.id]) == 0
        assert f"  drift: {verdict.describe()}\n" in capsys.readouterr().out

    # The audit report: each job's row, and the version's line naming the job behind the flag.
    page = render_report(workspace, "admissions:1")
    for job, verdict in ((drifted_job, drifted), (usual_job, usual)):
        named = f": {', '.join(verdict.drifted_columns)}" if verdict.drifted_columns else ""
        assert _report_row(page, job.id)[1:5] == [
            f"{verdict.n_drifted}/{verdict.n_columns}{named}",
            f"{verdict.share:.3f}",
            "0.1",
            "yes" if verdict.retrain_recommended else "no",
        ]
    [line] = re.findall(r'<p[^>]*id="retrain-verdict">(.*?)</p>', page, re.S)
    assert _text(line) == f"Retraining recommended: job {drifted_job.id}, {drifted.describe()}."
    scored_section = page[page.index("Drift in scored data") : page.index('<section id="oversight">')]
    assert "dataset drift" not in scored_section

    # REST: the job's record, and the version's answer that the Models panel reads.
    response = await jp_fetch("workbench", "api", "jobs", drifted_job.id)
    assert recorded_verdict(json.loads(response.body)["drift"]) == drifted
    response = await jp_fetch("workbench", "api", "models", "admissions", "versions", "1")
    body = json.loads(response.body)
    api_schema(body["scored_drift"], "ScoredDrift")  # the rest of ReviewState is other tests' business
    scored = body["scored_drift"]
    assert scored["retrain_recommended"] is body["version"]["retrain_recommended"] is True
    assert {k: v for k, v in scored["recommending"].items() if k != "ended_at"} == {
        "job": drifted_job.id,
        **drifted.to_dict(),
    }
    assert scored["latest"]["job"] == usual_job.id and scored["latest"]["text"] == usual.describe()
