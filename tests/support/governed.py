"""Governed projects for tests: their policies, the people who act in them, and the settings
scoring jobs read. Each policy serves one group of tests and differs in what they exercise:
``GOVERNED_POLICY`` (governance, registry, reports: two approvals, fairness and drift limits),
``SCORING_POLICY`` (scoring jobs: one approval, routing rules and monitoring) and
``SERVER_POLICY`` (the REST API: one approval, one routing rule)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.training import Trained, register_admissions
from workbench.core.values import Identity
from workbench.project.config import load_project
from workbench.project.workspace import Workspace

__all__ = [
    "ANALYST",
    "GOVERNED_POLICY",
    "SCORING_POLICY",
    "SERVER_POLICY",
    "SERVER_USER",
    "as_user",
    "configure",
    "on_postgres",
    "open_as",
    "write_policy",
]

ANALYST = "analyst@example.org"
# The user the test Jupyter server authenticates.
SERVER_USER = "reviewer@example.org"

GOVERNED_POLICY = """\
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

SCORING_POLICY = """\
policy: admissions
models: [admissions]
protects: [production]
checks:
  metrics: ["auc >= 0.5"]
  drift: {max_share: 0.9}
approvals:
  required: 1
  roles: [approver]
routing:
  thresholds: {accept: 0.7, decline: 0.3}
  rules:
    - name: missing_transcript
      when: "transcript_complete = 0"
    - name: first_generation_borderline
      when: "score < 0.5 AND first_generation = 1"
monitoring:
  drift_share_limit: 0.1
  retrain_stage: train
  retrain_mode: repro
"""

SERVER_POLICY = """\
policy: admissions
models: [admissions]
protects: [production]
checks:
  metrics: ["auc >= 0.6"]
approvals:
  required: 1
  roles: [approver]
routing:
  thresholds: {accept: 0.7, decline: 0.3}
  rules:
    - name: missing_transcript
      when: "transcript_complete = 0"
"""


def write_policy(root: Path, text: str) -> Path:
    """``text`` as the admissions pipeline's policy, ``pipelines/admissions/policy.yaml``."""
    path = root / "pipelines" / "admissions" / "policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def as_user(workspace: Workspace, name: str) -> Workspace:
    """The same project as ``name``, with the roles the project gives them."""
    return workspace.with_identity(Identity(name, "env", workspace.project.roles_of(name)))


def open_as(root: Path, name: str) -> Workspace:
    """The project at ``root``, loaded afresh, as ``name``."""
    project = load_project(root)
    return Workspace(project, Identity(name, "env", project.roles_of(name)))


def configure(root: Path, *, require_approved: bool = False, reviewers: Sequence[str] = ()) -> None:
    """Rewrite the project's settings: approvers, optional reviewers, the approval rule for scoring."""
    config = root / "workbench.toml"
    text = config.read_text()
    text = text.replace('approver = ["reviewer-a", "analyst@example.org"]', "approver = []")
    text = text.replace("approver = []", 'approver = ["reviewer-a", "analyst@example.org"]')
    lines = [line for line in text.splitlines() if not line.startswith("reviewer = ")]
    text = "\n".join(lines) + "\n"
    if reviewers:
        text = text.replace(
            "[tool.workbench.roles]\n", f"[tool.workbench.roles]\nreviewer = {json.dumps(list(reviewers))}\n"
        )
    value = "true" if require_approved else "false"
    text = text.replace("require_approved_for_scoring = false", f"require_approved_for_scoring = {value}")
    text = text.replace("require_approved_for_scoring = true", f"require_approved_for_scoring = {value}")
    config.write_text(text)


def on_postgres(project_dir: Path, trained: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The scoring project on a real PostgreSQL database, as the analyst, with admissions:1 registered."""
    monkeypatch.setenv("WORKBENCH_DB_URL", pg_url)
    configure(project_dir)
    write_policy(project_dir, SCORING_POLICY)
    workspace = open_as(project_dir, ANALYST)
    assert workspace.store.backend == "postgresql"
    register_admissions(workspace, trained)
    return workspace
