"""Service levels: objectives parsed from the policy, evaluated against a hand computation, breaches
audited and exiting non-zero, and ``monitor --act`` retraining once on an accuracy breach."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from tests.support.governed import SCORING_POLICY, write_policy
from workbench.cli.main import main
from workbench.core.errors import PolicyError
from workbench.postmarket import add_outcomes, load_decisions
from workbench.postmarket.act import act_on_breaches
from workbench.postmarket.slo import check_slos, evaluate_slos, parse_objectives
from workbench.project.workspace import Workspace
from workbench.store import audit

SLOS = """\
  slos:
    - realized_auc >= 0.999
    - review_rate <= 0.9
    - override_rate <= 0.1
    - fairness_gap <= 1
"""


def _with_slos(workspace: Workspace, slos: str = SLOS) -> None:
    write_policy(workspace.project.root, SCORING_POLICY + slos)


def test_objectives_are_parsed_and_bad_ones_named() -> None:
    parsed = parse_objectives(["realized_auc >= 0.8", "p99_batch_latency_ms<=2000"], "p.yaml")
    assert [str(o) for o in parsed] == ["realized_auc >= 0.8", "p99_batch_latency_ms <= 2000"]
    with pytest.raises(PolicyError, match=r"p.yaml: `monitoring.slos\[1\]`: unknown metric 'accuracy'"):
        parse_objectives(["review_rate <= 0.3", "accuracy >= 0.9"], "p.yaml")
    with pytest.raises(PolicyError, match=r"slos\[0\]`: 'auc is high' is not an objective"):
        parse_objectives(["auc is high"], "p.yaml")
    with pytest.raises(PolicyError, match="must be a list"):
        parse_objectives("realized_auc >= 0.8", "p.yaml")


def test_evaluation_matches_a_hand_computation(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    _with_slos(workspace)
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    check = evaluate_slos(workspace, "admissions")
    assert check.window == "30d" and {s.version for s in check.statuses} == {1, 2}
    labels = pl.read_parquet(truth).select(pl.col("applicant_id").alias("row_key"), "enrolled")
    for version in (1, 2):
        mine = {s.metric: s for s in check.statuses if s.version == version}
        joined = load_decisions(workspace, "admissions", version=version).join(labels, on="row_key")
        hand_auc = float(roc_auc_score(joined["enrolled"], joined["score"]))
        assert mine["realized_auc"].observed == pytest.approx(hand_auc, abs=1e-9)
        assert mine["realized_auc"].status == ("met" if hand_auc >= 0.999 else "breached")
        review = float((joined["decision"] == "review").mean())
        assert mine["review_rate"].observed == pytest.approx(review)
        assert mine["review_rate"].status == "met"
        # Nobody decided a review item: the override rate has no data yet, which is not a breach.
        assert mine["override_rate"].status == "no_data" and mine["override_rate"].observed is None
        assert mine["fairness_gap"].status == "met"
        assert mine["realized_auc"].evidence["rows"] == joined.height
        assert mine["realized_auc"].evidence["outcomes"] == joined.height
        assert len(mine["realized_auc"].evidence["jobs"]) == 1


def test_a_breach_is_an_audit_event_and_exits_non_zero(
    two_versions: tuple[Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, truth = two_versions
    _with_slos(workspace)
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    assert main(["slo", "check", "admissions"]) == 1
    out = capsys.readouterr().out
    assert "realized_auc >= 0.999" in out and "BREACHED" in out and "NO DATA" in out
    with workspace.read() as conn:
        events = audit.list_events(conn, action="slo.breach")
    assert sorted(e.subject for e in events) == ["model:admissions:1", "model:admissions:2"]
    payload = events[0].payload
    assert payload["objective"] == "realized_auc >= 0.999" and payload["window"] == "30d"
    assert payload["kind"] == "accuracy" and payload["observed"] < 0.999 and payload["evidence"]["jobs"]
    assert main(["slo", "check", "admissions", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data[0]["ok"] is False and len(data[0]["events"]) == 2  # every check records what it found
    # Objectives that hold exit 0 and record nothing new.
    _with_slos(workspace, "  slos: ['realized_auc >= 0.1', 'drift_share <= 1']\n")
    assert main(["slo", "check"]) == 0
    with workspace.read() as conn:
        assert len(audit.list_events(conn, action="slo.breach")) == 4
    assert check_slos(workspace, "admissions")[0].ok


def test_without_objectives_or_outcomes_nothing_breaches(two_versions: tuple[Workspace, Path]) -> None:
    workspace, _ = two_versions
    assert evaluate_slos(workspace, "admissions").statuses == ()
    _with_slos(workspace)
    check = evaluate_slos(workspace, "admissions")
    assert check.ok and {s.status for s in check.statuses if s.metric == "realized_auc"} == {"no_data"}


def test_monitor_act_retrains_once_per_accuracy_breach(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    _with_slos(workspace, "  slos: ['realized_auc >= 0.999', 'review_rate <= 0.0001']\n")
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    ran: list[list[str]] = []

    def runner(command: Sequence[str], cwd: Path) -> int:
        ran.append(list(command))
        return 0

    actions = act_on_breaches(workspace, "admissions", runner=runner)
    # The review-rate breach is a service level: it does not retrain; the AUC breach does, once per version.
    assert [(a.version, a.stage, a.exit_code) for a in actions] == [(1, "train", 0), (2, "train", 0)]
    assert all(c[-2:] == ["repro", "train"] for c in ran)
    assert act_on_breaches(workspace, "admissions", runner=runner) == [] and len(ran) == 2
    with workspace.read() as conn:
        retrains = audit.list_events(conn, action="monitor.retrain")
    assert {e.payload["trigger"] for e in retrains} == {"slo"}
    assert retrains[0].payload["objectives"] == ["realized_auc >= 0.999"]


def test_metrics_textfile_through_the_cli(two_versions: tuple[Workspace, Path], tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    workspace, truth = two_versions
    _with_slos(workspace)
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    root = workspace.project.root
    assert main(["metrics", "--textfile", "metrics/workbench.prom"]) == 0
    text = (root / "metrics" / "workbench.prom").read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {s.labels["version"] for s in families["workbench_rows_scored"].samples} == {"1", "2"}
    breached = [s for s in families["workbench_slo_status"].samples if s.labels["status"] == "breached" and s.value]
    assert {s.labels["objective"] for s in breached} == {"realized_auc >= 0.999"}
    assert sorted(p.name for p in (root / "metrics").iterdir()) == ["workbench.prom"]  # no temporary left
    assert main(["metrics", "--textfile", str(tmp_path / "outside.prom")]) == 2
    assert not (tmp_path / "outside.prom").exists()
