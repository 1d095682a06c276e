"""The reference automation, fast variant: the repository's own dvc.yaml, params.yaml,
notebooks, feature set and policy, run by a real `dvc repro` (prepare -> features -> train ->
check -> score -> report) on 2k applicants' raw records in a fresh git repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from workbench.project.workspace import open_workspace
from workbench.registry.versions import get_version
from workbench.reports.audit_report import SECTIONS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FAST = {"prepare": {"n_applicants": 2000, "n_incoming": 500}, "train": {"n_rounds": 40}}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "DO_NOT_TRACK": "1"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ruamel.yaml import YAML

    root = tmp_path_factory.mktemp("admissions")
    for item in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(REPO / item, root / item)
    for folder in ("notebooks/admissions", "pipelines/admissions", "features"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "workbench.toml").write_text('[tool.workbench.roles]\napprover = ["reviewer-a", "reviewer-b"]\n')
    yaml = YAML()
    params = yaml.load((root / "params.yaml").read_text())
    for stage, values in FAST.items():
        params[stage].update(values)
    with (root / "params.yaml").open("w") as handle:
        yaml.dump(params, handle)
    _run(["git", "init", "-q"], root)
    _run(["dvc", "init", "-q"], root)
    _run(["git", "add", "-A"], root)
    _run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", "commit", "-qm", "pipeline"], root)
    _run(["dvc", "repro"], root)
    return root


def test_the_pipeline_registers_checks_routes_and_reports(pipeline: Path) -> None:
    workspace = open_workspace(pipeline)
    version = get_version(workspace, "admissions@candidate")
    assert version.version == 1 and version.lineage["run"]["stage"] == "train"
    assert version.lineage["git"]["commit"]
    checks = json.loads((pipeline / "metrics/admissions/checks.json").read_text())
    assert checks["ref"] == "admissions:1" and checks["results"]
    assert {c["check"] for c in version.checks} == {r["check"] for r in checks["results"]}

    incoming = pl.read_parquet(pipeline / "data/admissions/incoming.parquet")
    scored = pl.read_parquet(pipeline / "data/admissions/scored.parquet")
    assert scored.height == incoming.height == 500
    assert scored["applicant_id"].sort().to_list() == incoming["applicant_id"].sort().to_list()
    assert scored["decision"].null_count() == 0
    assert set(scored["decision"].unique()) <= {"auto_accept", "auto_decline", "review"}
    assert any(route.startswith("rule:") for route in scored["route"].unique())
    summary = json.loads((pipeline / "metrics/admissions/score.json").read_text())
    assert sum(summary["decisions"].values()) == 500
    assert "test_score" in summary["drifted_columns"]

    html = (pipeline / "reports/admissions-audit.html").read_text(encoding="utf-8")
    for section_id, title in SECTIONS:
        assert f'<section id="{section_id}">' in html and title in html
    assert "approvals 0/2" in html and "chain verified" in html


def test_the_features_stage_derives_inputs_point_in_time_and_scoring_recomputes_them(pipeline: Path) -> None:
    workspace = open_workspace(pipeline)
    version = get_version(workspace, "admissions@candidate")
    assert version.lineage["feature_set"]["name"] == "admissions"
    training = pl.read_parquet(pipeline / "data/admissions/training.parquet")
    assert training.height == 2000 and {"gpa", "test_score", "transcript_complete"} <= set(training.columns)
    # Retakes after the decision exist in the raw records, and no training row uses one.
    attempts = pl.read_parquet(pipeline / "data/admissions/raw/test_attempts.parquet")
    known = (
        training.select("applicant_id", "decision_time", "test_score")
        .join(attempts, on="applicant_id")
        .with_columns(before=pl.col("recorded_at") < pl.col("decision_time"))
    )
    assert known.filter(~pl.col("before")).height > 0
    best = known.filter("before").group_by("applicant_id").agg(pl.col("score").max(), pl.col("test_score").first())
    assert best.filter(pl.col("score") != pl.col("test_score")).height == 0
    # Scoring computed the incoming cohort's features from the same records and passed the skew check.
    html = (pipeline / "reports/admissions-audit.html").read_text(encoding="utf-8")
    assert 'id="feature-skew"' in html and 'class="pass">match</td>' in html
    assert workspace.verify_audit().ok


def test_a_second_repro_does_nothing(pipeline: Path) -> None:
    result = _run(["dvc", "repro"], pipeline)
    assert "didn't change, skipping" in result.stdout or "Data and pipelines are up to date" in result.stdout
    status = _run(["dvc", "status"], pipeline)
    assert "up to date" in status.stdout
