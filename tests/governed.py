"""Fixtures (a pytest plugin): a project with a policy, an approver role and one registered version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.conftest import Trained, train_model
from workbench.core.models import Identity
from workbench.project.config import load_project
from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register

POLICY = """\
policy: admissions
models: [admissions]
protects: [production]
checks:
  metrics: ["auc >= 0.6"]
  fairness:
    gender: {demographic_parity_difference: 0.9}
  drift: {max_share: 0.9}
  contract_required: true
approvals:
  required: 2
  roles: [approver]
"""

ROLES = """
[tool.workbench.roles]
approver = ["reviewer-a", "reviewer-b", "reviewer-c", "analyst@example.org"]
"""


@pytest.fixture(scope="session")
def trained_small() -> Trained:
    return train_model(rows=1500, rounds=15)


@pytest.fixture
def governed(project_dir: Path, trained_small: Trained) -> Workspace:
    config = project_dir / "workbench.toml"
    text = config.read_text().replace(
        "[tool.workbench.roles]\n# Users allowed to approve model versions, by role.\napprover = []\n", ""
    )
    config.write_text(text + ROLES)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(POLICY)
    project = load_project(project_dir)
    author = Workspace(project, Identity("analyst@example.org", "env", project.roles_of("analyst@example.org")))
    register(
        author,
        trained_small.booster,
        name="admissions",
        train=trained_small.train,
        valid=trained_small.valid,
        target="admit",
        sensitive=["gender"],
        keys=["applicant_id"],
        description="Admissions <script>alert('x')</script> triage",
        options=RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20),
    )
    return author


def as_user(workspace: Workspace, name: str) -> Workspace:
    return workspace.with_identity(Identity(name, "env", workspace.project.roles_of(name)))
