from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import NotFound, PolicyError
from workbench.governance.policy import find_policy, load_policy
from workbench.project.config import load_project

GOOD = """\
policy: admissions
models: [admissions]
protects: [production]
checks:
  metrics: ["auc >= 0.8", "brier <= 0.2"]
  fairness:
    gender: {demographic_parity_difference: 0.1, equalized_odds_difference: 0.1}
  drift: {max_share: 0.5}
  contract_required: true
approvals:
  required: 2
  roles: [approver]
  allow_self_approval: false
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_full_policy_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.name == "admissions" and policy.protects == ("production",)
    assert [str(t) for t in policy.metric_thresholds] == ["auc >= 0.8", "brier <= 0.2"]
    assert {(f.column, f.measure, f.limit) for f in policy.fairness_limits} == {
        ("gender", "demographic_parity_difference", 0.1),
        ("gender", "equalized_odds_difference", 0.1),
    }
    assert policy.drift_max_share == 0.5 and policy.approvals_required == 2 and not policy.allow_self_approval
    assert len(policy.sha256) == 64


def test_defaults(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "checks: {}\n"))
    assert policy.protects == ("production",)
    assert policy.approvals_required == 2
    assert policy.approver_roles == ("approver",)
    assert policy.allow_self_approval is False


def test_the_hash_changes_with_the_file(tmp_path: Path) -> None:
    first = load_policy(write(tmp_path, GOOD)).sha256
    second = load_policy(write(tmp_path, GOOD.replace("0.8", "0.85"))).sha256
    assert first != second


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy\.yaml:\d+: not valid YAML"):
        load_policy(write(tmp_path, "checks:\n  metrics: [auc >= 0.8\n approvals: 2\n"))


def test_unknown_metric_suggests_the_close_one(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy\.yaml:5: `metrics`: unknown metric 'acu'\. Did you mean 'auc'\?"):
        load_policy(write(tmp_path, GOOD.replace("auc >= 0.8", "acu >= 0.8")))


def test_bad_threshold_syntax(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not a threshold"):
        load_policy(write(tmp_path, GOOD.replace("auc >= 0.8", "auc is high")))


def test_unknown_key_names_the_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy\.yaml:10: `aprovals`.*Did you mean `approvals`"):
        load_policy(write(tmp_path, GOOD.replace("approvals:", "aprovals:")))


def test_unknown_fairness_measure(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="demographic_parity_diff.*Did you mean `demographic_parity_difference`"):
        load_policy(write(tmp_path, GOOD.replace("{demographic_parity_difference", "{demographic_parity_diff")))


def test_wrong_types(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="`required`: must be a whole number"):
        load_policy(write(tmp_path, GOOD.replace("required: 2", "required: two")))
    with pytest.raises(PolicyError, match="`max_share`: must be a number"):
        load_policy(write(tmp_path, GOOD.replace("max_share: 0.5", "max_share: half")))


def test_find_policy_by_model(project_dir: Path) -> None:
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    write(project_dir / "pipelines" / "admissions", GOOD)
    project = load_project()
    assert find_policy(project, "admissions").name == "admissions"
    with pytest.raises(NotFound, match="No policy governs model 'tickets'"):
        find_policy(project, "tickets")


def test_two_policies_for_one_model_is_an_error(project_dir: Path) -> None:
    (project_dir / "policies").mkdir()
    write(project_dir / "policies", GOOD, "a.yaml")
    write(project_dir / "policies", GOOD, "b.yaml")
    with pytest.raises(PolicyError, match="Several policies govern model 'admissions'"):
        find_policy(load_project(), "admissions")
