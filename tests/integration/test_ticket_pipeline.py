"""The ticket-triage pipeline, fast variant: the repository's pipelines/tickets (its own dvc.yaml,
params and policy), notebooks and feature set, run by a real `dvc repro` (prepare -> features ->
train -> check -> score -> report) on 2k tickets' raw records in a fresh git repo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from pipeline_helpers import bin_folder, process_env, sh

from workbench.drift import recorded_verdict
from workbench.jobs.listing import get_job
from workbench.jobs.values import job_dir
from workbench.project.workspace import open_workspace
from workbench.registry.versions import get_version
from workbench.reports.audit_report import SECTIONS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PIPELINE = "pipelines/tickets/dvc.yaml"
FAST = {"prepare": {"n_tickets": 2000, "n_incoming": 400}, "train": {"n_rounds": 40}}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from ruamel.yaml import YAML

    root = tmp_path_factory.mktemp("tickets")
    env = process_env(bin_folder(tmp_path_factory.mktemp("bin")))
    for folder in ("notebooks/ticket_triage", "pipelines/tickets"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "features").mkdir()
    shutil.copy(REPO / "features/tickets.py", root / "features/tickets.py")
    shutil.copy(REPO / ".dvcignore", root / ".dvcignore")
    (root / "workbench.toml").write_text('[tool.workbench.roles]\napprover = ["reviewer-a"]\n')
    yaml = YAML()
    params_file = root / "pipelines" / "tickets" / "params.yaml"
    params = yaml.load(params_file.read_text())
    for stage, values in FAST.items():
        params[stage].update(values)
    with params_file.open("w") as handle:
        yaml.dump(params, handle)
    sh(root, env, "git", "init", "-q")
    sh(root, env, "dvc", "init", "-q")
    sh(root, env, "git", "add", "-A")
    sh(root, env, "git", "commit", "-qm", "ticket pipeline")
    sh(root, env, "dvc", "repro", PIPELINE)
    return root, env


def test_the_pipeline_registers_checks_routes_and_reports(pipeline: tuple[Path, dict[str, str]]) -> None:
    root, _ = pipeline
    workspace = open_workspace(root)
    version = get_version(workspace, "tickets@candidate")
    assert version.version == 1 and version.lineage["git"]["commit"]
    checks = json.loads((root / "metrics/tickets/checks.json").read_text())
    assert checks["ref"] == "tickets:1" and checks["results"]
    assert all(result["status"] == "pass" for result in checks["results"])
    assert json.loads((root / "metrics/tickets/train.json").read_text())["auc"] == version.metrics["auc"]

    incoming = pl.read_parquet(root / "data/tickets/incoming.parquet")
    scored = pl.read_parquet(root / "data/tickets/scored.parquet")
    assert scored.height == incoming.height == 400
    assert scored["ticket_id"].sort().to_list() == incoming["ticket_id"].sort().to_list()
    assert set(scored["decision"].unique()) <= {"same_day", "standard_queue", "triage"}
    assert "rule:refund_request" in set(scored["route"].unique())

    summary = json.loads((root / "metrics/tickets/score.json").read_text())
    assert sum(summary["decisions"].values()) == 400
    job = get_job(workspace, summary["job"])
    verdict = recorded_verdict(job.drift)
    assert verdict is not None and summary["drift"] == verdict.to_dict()  # the job's one verdict
    assert version.retrain_recommended is verdict.retrain_recommended

    html = (root / "reports/tickets-audit.html").read_text(encoding="utf-8")
    for section_id, title in SECTIONS:
        assert f'<section id="{section_id}">' in html and title in html
    assert "chain verified" in html and job.id in html
    assert workspace.verify_audit().ok


def test_the_features_stage_counts_only_what_was_known_and_scoring_recomputes_it(
    pipeline: tuple[Path, dict[str, str]],
) -> None:
    root, _ = pipeline
    workspace = open_workspace(root)
    version = get_version(workspace, "tickets@candidate")
    assert version.lineage["feature_set"]["name"] == "tickets"
    training = pl.read_parquet(root / "data/tickets/training.parquet")
    assert training.height == 2000
    assert {"text_length", "prior_tickets", "days_as_customer", "orders", "reopen_count"} <= set(training.columns)
    # Each ticket is reopened only after it opened: its own reopen is never counted, the customer's earlier ones are.
    reopens = pl.read_parquet(root / "data/tickets/raw/reopens.parquet")
    known = (
        training.select("ticket_id", "customer_id", "created_at", "reopen_count")
        .join(reopens.select("customer_id", "reopened_at"), on="customer_id", how="left")
        .group_by("ticket_id")
        .agg(
            pl.col("reopen_count").first(),
            (pl.col("reopened_at") < pl.col("created_at")).sum().alias("before"),
            (pl.col("reopened_at") > pl.col("created_at")).sum().alias("after"),
        )
    )
    assert known["after"].sum() > 0
    assert known.filter(pl.col("reopen_count").fill_null(0) != pl.col("before")).height == 0
    # The score stage computed the incoming tickets' features from the same records and found no skew.
    summary = json.loads((root / "metrics/tickets/score.json").read_text())
    assert summary["feature_skew"]["status"] == "match"
    computed = pl.read_parquet(job_dir(workspace.project, summary["job"]) / "features.parquet")
    assert computed.height == 400 and computed["text_length"].null_count() == 0


def test_a_second_repro_does_nothing(pipeline: tuple[Path, dict[str, str]]) -> None:
    root, env = pipeline
    result = sh(root, env, "dvc", "repro", PIPELINE)
    assert "didn't change, skipping" in result.stdout or "Data and pipelines are up to date" in result.stdout
    assert "up to date" in sh(root, env, "dvc", "status", PIPELINE).stdout
