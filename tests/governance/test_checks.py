"""Check evaluation on hand-made versions: what each check observes and how it decides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workbench.governance.checks import evaluate
from workbench.governance.policy import load_policy
from workbench.registry.model_version import ModelVersion

POLICY = """\
checks:
  metrics: ["auc >= 0.8", "user.uplift >= 0.1"]
  fairness:
    gender: {demographic_parity_difference: 0.1, equalized_odds_difference: 0.2, demographic_parity_ratio: 0.8}
  min_group_size: 30
  drift: {max_share: 0.3}
"""


def group(name: str, count: int, selection: float, tpr: float, fpr: float) -> dict[str, object]:
    return {"group": name, "count": count, "selection_rate": selection, "tpr": tpr, "fpr": fpr, "positives": 0}


def version(groups: list[dict[str, object]], stored: dict[str, float], metrics: dict[str, float]) -> ModelVersion:
    return ModelVersion(
        name="m",
        version=1,
        author="a",
        created_at=datetime.now(UTC),
        task="classification",
        description="",
        intended_use="",
        artifacts={},
        contract={"columns": [{"name": "x"}]},
        lineage={},
        metrics=metrics,
        explanation={},
        drift={"summary": {"drift_share": 0.25, "n_drifted": 1, "n_columns": 4}},
        fairness={"gender": {"groups": groups, **stored}},
    )


@pytest.fixture
def policy(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return load_policy(path)


def test_metrics_user_metrics_and_drift(policy) -> None:  # type: ignore[no-untyped-def]
    stored = {"demographic_parity_difference": 0.05, "equalized_odds_difference": 0.1, "demographic_parity_ratio": 0.9}
    groups = [group("F", 100, 0.30, 0.7, 0.1), group("M", 100, 0.35, 0.75, 0.12)]
    report = evaluate(version(groups, stored, {"auc": 0.79, "uplift": 0.2}), policy)
    by_check = {r.check: r for r in report.results}
    assert by_check["metric: auc >= 0.8"].status == "fail" and by_check["metric: auc >= 0.8"].observed == 0.79
    assert by_check["metric: user.uplift >= 0.1"].status == "pass"
    assert by_check["drift: share of drifted columns <= 0.3"].status == "pass"
    # With every group large enough, the stored (fairlearn) values are used as they are.
    assert by_check["fairness: gender demographic_parity_difference <= 0.1"].observed == 0.05
    assert not report.passed


def test_small_groups_are_left_out_of_the_comparison(policy) -> None:  # type: ignore[no-untyped-def]
    stored = {"demographic_parity_difference": 0.6, "equalized_odds_difference": 0.9, "demographic_parity_ratio": 0.1}
    groups = [group("F", 400, 0.30, 0.70, 0.10), group("M", 380, 0.36, 0.78, 0.12), group("X", 9, 0.9, 0.1, 0.9)]
    report = evaluate(version(groups, stored, {"auc": 0.9, "uplift": 0.2}), policy)
    fairness = [r for r in report.results if r.check.startswith("fairness")]
    dp, eo, ratio = (next(r for r in fairness if m in r.check) for m in ("parity_difference", "odds", "ratio"))
    assert dp.observed == pytest.approx(0.06) and dp.status == "pass"
    assert eo.observed == pytest.approx(0.08) and eo.status == "pass"
    assert ratio.observed == pytest.approx(0.30 / 0.36) and ratio.status == "pass"
    assert "not compared: X" in dp.message


def test_fewer_than_two_large_groups_is_an_error(policy) -> None:  # type: ignore[no-untyped-def]
    groups = [group("F", 400, 0.30, 0.70, 0.10), group("X", 9, 0.9, 0.1, 0.9)]
    report = evaluate(version(groups, {}, {"auc": 0.9, "uplift": 0.2}), policy)
    fairness = [r for r in report.results if r.check.startswith("fairness")]
    assert {r.status for r in fairness} == {"error"} and not report.passed
