"""Monitoring: drift per job, the retrain flag with its audit event, and ``monitor --act``."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.support.governed import SCORING_POLICY, open_as
from tests.support.scoring import applicants, write, write_input
from workbench.core.errors import WorkbenchError
from workbench.jobs import list_jobs, monitor, score
from workbench.jobs.monitor import retrain_command
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.audit import list_events


def events(workspace: Workspace, action: str) -> list[dict[str, object]]:
    with workspace.read() as conn:
        return [e.payload | {"subject": e.subject} for e in list_events(conn) if e.action == action]


def drifted_job(workspace: Workspace) -> str:
    write_input(workspace.project.root, "data/drifted.parquet", n=3_000, seed=7, drift=True)
    return score(workspace, "admissions", "data/drifted.parquet", "out/drifted.parquet").id


@pytest.fixture
def fake_dvc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `dvc` first on PATH that writes its arguments and folder to a marker file."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    marker = tmp_path / "dvc-called.txt"
    script = bin_dir / "dvc"
    script.write_text(f'#!/bin/sh\necho "$@" > "{marker}"\npwd >> "{marker}"\nexit 0\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return marker


def test_input_like_the_training_data_raises_no_flag(scoring_ws: Workspace) -> None:
    write_input(scoring_ws.project.root, n=3_000, seed=3)
    job = score(scoring_ws, "admissions", "data/applicants.parquet", "out.parquet")
    assert job.drift["exceeded"] is False and job.drift["summary"]["n_drifted"] == 0
    assert get_version(scoring_ws, "admissions:1").retrain_recommended is False
    assert events(scoring_ws, "model.retrain_recommended") == []


def test_drift_over_the_limit_flags_the_version_with_an_audit_event(scoring_ws: Workspace) -> None:
    job_id = drifted_job(scoring_ws)
    report = monitor(scoring_ws)
    [entry] = report.entries
    assert entry.job_id == job_id and entry.exceeded and entry.retrain_recommended
    assert entry.drift_share is not None and entry.drift_share > 0.1 and entry.limit == 0.1
    assert get_version(scoring_ws, "admissions:1").retrain_recommended is True
    [event] = events(scoring_ws, "model.retrain_recommended")
    assert event["subject"] == "model:admissions:1" and event["job"] == job_id
    assert report.flagged == ["admissions:1"] and report.actions == ()


def test_monitor_act_runs_dvc_repro_once_per_drift(scoring_ws: Workspace, fake_dvc: Path) -> None:
    job_id = drifted_job(scoring_ws)
    report = monitor(scoring_ws, act=True)
    [action] = report.actions
    assert report.ok and action.exit_code == 0 and action.jobs == (job_id,)
    assert action.command[1:] == ("repro", "train") and Path(action.command[0]).parent.name == "fakebin"
    args, cwd = fake_dvc.read_text().splitlines()
    assert args == "repro train" and Path(cwd).resolve() == scoring_ws.project.root.resolve()
    [event] = events(scoring_ws, "monitor.retrain")
    assert event["subject"] == "model:admissions:1" and event["exit_code"] == 0 and event["jobs"] == [job_id]
    assert report.entries[0].action is not None and report.entries[0].action["status"] == "succeeded"
    fake_dvc.unlink()
    again = monitor(scoring_ws, act=True)
    assert again.actions == () and not fake_dvc.exists()


def test_retrain_mode_run_calls_workbench_run_and_reports_failure(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    (root / "pipelines" / "admissions" / "policy.yaml").write_text(
        SCORING_POLICY.replace("retrain_mode: repro", "retrain_mode: run")
    )
    analyst = open_as(root, "analyst@example.org")
    drifted_job(analyst)
    report = monitor(analyst, act=True)
    [action] = report.actions
    assert list(action.command) == [sys.executable, "-m", "workbench.cli.main", "run", "train"]
    assert action.exit_code != 0 and not report.ok  # the project has no stage `train`
    [event] = events(analyst, "monitor.retrain")
    assert event["status"] == "failed"


def test_without_a_retrain_stage_nothing_runs_and_the_drift_stays_unhandled(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    policy = SCORING_POLICY.replace("  retrain_stage: train\n", "")
    (root / "pipelines" / "admissions" / "policy.yaml").write_text(policy)
    analyst = open_as(root, "analyst@example.org")
    drifted_job(analyst)
    [action] = monitor(analyst, act=True).actions
    assert action.skipped is not None and "names no monitoring.retrain_stage" in action.skipped
    assert monitor(analyst).entries[0].action is None
    assert events(analyst, "monitor.retrain") == []


def test_retrain_commands_are_argument_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    assert retrain_command("train", "run") == [sys.executable, "-m", "workbench.cli.main", "run", "train"]
    monkeypatch.setenv("PATH", "/nonexistent")
    assert retrain_command("train", "repro") == [sys.executable, "-m", "dvc", "repro", "train"]


def test_the_audit_report_shows_the_scoring_job(scoring_ws: Workspace) -> None:
    from workbench.jobs import decide_review_item, list_review_items
    from workbench.reports.audit_report import build_context

    job_id = drifted_job(scoring_ws)
    item = next(i for i in list_review_items(scoring_ws, limit=None) if i.leaning == "decline")
    decide_review_item(scoring_ws, item.id, "accept", "override for the report")
    [operation] = build_context(scoring_ws, "admissions:1")["operations"]
    assert operation.id == job_id and operation.overrides == 1 and operation.review_decided == 1
    assert sum(operation.decisions.values()) == 3_000
    assert operation.drift is not None and operation.drift.n_columns == 7


def test_monitored_columns_are_compared_too(project_dir: Path, trained_small: object) -> None:
    """`register(monitor=["region"])` keeps a non-feature in the reference; a new region is caught."""
    from tests.support.governed import configure
    from tests.support.training import FAST
    from workbench.project.workspace import open_workspace
    from workbench.registry.register import register

    configure(project_dir)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(SCORING_POLICY)
    workspace = open_workspace(project_dir)
    register(
        workspace,
        trained_small.booster,
        name="admissions",
        train=trained_small.train,  # type: ignore[attr-defined]
        valid=trained_small.valid,
        target="admit",
        keys=["applicant_id"],
        monitor=["region"],  # type: ignore[attr-defined]
        options=FAST,
    )
    job = score(
        workspace,
        "admissions",
        str(write_input(project_dir, "data/d.parquet", n=3_000, seed=7, drift=True)),
        "o.parquet",
    )
    by_column = {c["column"]: c for c in job.drift["columns"]}
    assert "region" in by_column and by_column["region"]["drifted"] is True
    assert "applicant_id" not in by_column


def test_every_batch_is_checked_and_the_drifted_batches_are_named(scoring_ws: Workspace) -> None:
    """Three clean batches then three drifted ones: the batch checks find where the drift starts."""
    root = scoring_ws.project.root
    clean = applicants(3_000, seed=3)
    drifted = applicants(3_000, seed=7, drift=True).with_columns(pl.col("applicant_id") + "-d")
    write(pl.concat([clean, drifted]), root / "data/mixed.parquet")

    job = score(scoring_ws, "admissions", "data/mixed.parquet", "out/mixed.parquet", batch_rows=1_000)

    checks = job.stats["batch_drift"]
    assert checks["checked"] == 6 and checks["failed"] == 0 and checks["limit"] == 0.1
    assert [b["first_row"] for b in checks["batches"]] == [0, 1_000, 2_000, 3_000, 4_000, 5_000]
    shares = [b["drift_share"] for b in checks["batches"]]
    assert all(share <= 0.1 for share in shares[:3]) and all(share > 0.1 for share in shares[3:])
    assert checks["over_limit"] == 3 and checks["first_over_limit_row"] == 3_000
    assert checks["max_share"] == max(shares)
    # A batch is sampled for its own check (up to batch_drift_rows), here all its 1,000 rows.
    assert {b["sample_rows"] for b in checks["batches"]} == {1_000}
    # The drifted batches name their drifted columns, the same ones the job-wide check finds.
    job_drifted = {c["column"] for c in job.drift["columns"] if c["drifted"]}
    assert all(b["drifted"] and set(b["drifted"]) <= job_drifted for b in checks["batches"][3:])
    # The job-wide check still decides the flag, on its own uniform sample of the input.
    assert job.drift["exceeded"] is True and job.drift["sample_rows"] == 6_000


@pytest.mark.parametrize("damage", ["missing", "tampered"])
def test_a_missing_or_damaged_reference_fails_the_job_closed(scoring_ws: Workspace, damage: str) -> None:
    """The drift reference is verified like the model (issue 13): scoring never runs unchecked on a
    reference that is gone or changed; the job fails, records why, and writes nothing."""
    write_input(scoring_ws.project.root, n=1_500, seed=3)
    version = get_version(scoring_ws, "admissions:1")
    path = scoring_ws.artifacts.path_for(version.artifact("reference").digest)
    if damage == "missing":
        path.unlink()
    else:
        path.chmod(0o644)
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")

    with pytest.raises(WorkbenchError, match="reference"):
        score(scoring_ws, "admissions", "data/applicants.parquet", "out/scores.parquet")
    [job] = list_jobs(scoring_ws)
    assert job.status == "failed" and "reference" in (job.error or "")
    assert not (scoring_ws.project.root / "out" / "scores.parquet").exists()
