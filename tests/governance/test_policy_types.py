"""Policy and project settings read booleans as booleans, and production stays protected.

A quoted "false" is a non-empty string, which Python reads as true: such a value is
refused with the file, line and key, never taken as its opposite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import ConfigError, PolicyError
from workbench.governance.policy import load_policy
from workbench.project.config import load_project

BASE = """\
policy: admissions
checks:
  metrics: ["auc >= 0.8"]
  contract_required: {contract}
approvals:
  required: 2
  allow_self_approval: {self_approval}
"""


@pytest.mark.parametrize(
    ("contract", "self_approval", "key", "line"),
    [
        ("true", '"false"', "allow_self_approval", 7),
        ("true", "'no'", "allow_self_approval", 7),
        ("true", "0", "allow_self_approval", 7),
        ('"false"', "false", "contract_required", 4),
        ("yes please", "false", "contract_required", 4),
    ],
)
def test_quoted_or_non_boolean_flags_are_refused(
    tmp_path: Path, contract: str, self_approval: str, key: str, line: int
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BASE.format(contract=contract, self_approval=self_approval))
    with pytest.raises(PolicyError, match=rf"policy.yaml:{line}: `{key}`: must be true or false \(unquoted\)"):
        load_policy(path)


def test_real_booleans_load(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BASE.format(contract="false", self_approval="true"))
    policy = load_policy(path)
    assert policy.contract_required is False and policy.allow_self_approval is True


@pytest.mark.parametrize("protects", ["[staging]", "[]", "staging"])
def test_production_is_protected_whatever_the_policy_says(tmp_path: Path, protects: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(f"policy: lax\nprotects: {protects}\n")
    policy = load_policy(path)
    assert policy.protects[0] == "production"
    assert ("staging" in policy.protects) == ("staging" in protects)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ('require_approved_for_scoring = "false"\n', "require_approved_for_scoring"),
        ("require_approved_for_scoring = 1\n", "require_approved_for_scoring"),
        ('[tool.workbench.scheduler]\nenabled = "no"\n', "enabled"),
    ],
)
def test_project_flags_must_be_booleans(tmp_path: Path, settings: str, key: str) -> None:
    (tmp_path / "workbench.toml").write_text(f"[tool.workbench]\n{settings}")
    with pytest.raises(ConfigError, match=rf"{key} must be true or false \(unquoted\)"):
        load_project(tmp_path)
