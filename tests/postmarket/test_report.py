"""``monitor report``: rates, realized performance and fairness per version and window, checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from workbench.cli.main import main
from workbench.core.errors import ValidationError
from workbench.jobs import decide_review_item, list_review_items
from workbench.postmarket import add_outcomes, load_decisions
from workbench.postmarket.report import monitoring_report
from workbench.project.workspace import Workspace


def _by_hand(workspace: Workspace, truth: Path, version: int) -> dict[str, float]:
    decisions = load_decisions(workspace, "admissions", version=version)
    labels = pl.read_parquet(truth).select(pl.col("applicant_id").alias("row_key"), pl.col("enrolled"))
    joined = decisions.join(labels, on="row_key")
    auto = joined.filter(pl.col("decision") != "review")
    gender = {}
    for group, rows in auto.group_by("gender"):
        if rows.height >= 30:  # the policy's checks.min_group_size (default)
            gender[group[0]] = float((rows["decision"] == "auto_accept").mean())
    return {
        "rows": decisions.height,
        "automation": float((decisions["decision"] != "review").mean()),
        "auc": float(roc_auc_score(joined["enrolled"], joined["score"])),
        "brier": float(brier_score_loss(joined["enrolled"], joined["score"].cast(pl.Float64))),
        "accuracy": float(((auto["decision"] == "auto_accept").cast(pl.Int8) == auto["enrolled"]).mean()),
        "selection_gap": max(gender.values()) - min(gender.values()),
    }


def test_the_report_matches_a_hand_computation(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    items = list_review_items(workspace, limit=None)
    declined = [i for i in items if i.leaning == "decline"][:3]
    accepted = [i for i in items if i.leaning == "accept"][:1]
    for item in declined:
        decide_review_item(workspace, item.id, "accept", "context the model lacks")
    for item in accepted:
        decide_review_item(workspace, item.id, "accept")
    report = monitoring_report(workspace, "admissions", window="30d")
    assert [w.version for w in report.windows] == [1, 2]
    for stats in report.windows:
        hand = _by_hand(workspace, truth, stats.version)
        assert stats.rows == hand["rows"] and stats.outcome_coverage == 1.0
        assert stats.automation_rate == pytest.approx(hand["automation"])
        assert stats.review_rate == pytest.approx(1 - hand["automation"])
        assert stats.auc == pytest.approx(hand["auc"], abs=1e-9)
        assert stats.brier == pytest.approx(hand["brier"], rel=1e-5)
        assert stats.automated_accuracy == pytest.approx(hand["accuracy"])
        assert stats.fairness["gender"]["gaps"]["selection_rate"] == pytest.approx(hand["selection_gap"], abs=1e-4)
        assert 0 <= stats.calibration_error <= 1 and sum(b["rows"] for b in stats.reliability) == stats.rows
        assert stats.p99_batch_latency_ms is not None and stats.cpu_seconds_per_1k and stats.rows_per_second
    decided = {**{i.id: True for i in declined}, **{i.id: False for i in accepted}}
    by_job = {}
    for item in items:
        if item.id in decided:
            by_job.setdefault(item.job_id, []).append(decided[item.id])
    overrides = sum(sum(v) for v in by_job.values())
    assert sum(w.overrides for w in report.windows) == overrides == 3
    assert sum(w.reviewed for w in report.windows) == 4
    per_job = monitoring_report(workspace, "admissions", window="job")
    assert len(per_job.windows) == 2 and per_job.frame().height == 2


def test_through_the_cli_as_json_and_a_table(
    two_versions: tuple[Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, truth = two_versions
    assert main(["outcomes", "add", "admissions", str(truth), "--key", "applicant_id", "--label", "enrolled"]) == 0
    out = capsys.readouterr().out
    assert "2,002 added" in out and "2 key(s) match no logged decision" in out
    assert main(["monitor", "report", "admissions", "--window", "7d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["version"] for w in data["windows"]] == [1, 2] and data["window"] == "7d"
    assert all(np.isfinite(w["auc"]) for w in data["windows"])
    assert main(["monitor", "report", "admissions"]) == 0
    assert "AUC" in capsys.readouterr().out
    assert main(["monitor", "report", "admissions", "--window", "soon"]) != 0
    assert "Unknown window 'soon'" in capsys.readouterr().err


def test_a_model_without_outcomes_reports_rates_only(two_versions: tuple[Workspace, Path]) -> None:
    workspace, _ = two_versions
    stats = monitoring_report(workspace, "admissions").windows[0]
    assert stats.rows == 1_200 and stats.auc is None and stats.outcome_coverage == 0.0 and stats.override_rate is None
    with pytest.raises(ValidationError):
        monitoring_report(workspace, "admissions", window="0d")
