"""A governed project for scoring jobs: roles, a policy with routing and monitoring, one registered version."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from tests.registry.conftest import Trained, train_model
from tests.scoring.conftest import applicants, dask_scheduler, write
from workbench.core.models import Identity
from workbench.project.config import load_project
from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register

POLICY = """\
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

__all__ = ["dask_scheduler"]  # the session LocalCluster, for the Dask job tests

FAST = RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20)


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


def as_user(root: Path, name: str) -> Workspace:
    project = load_project(root)
    return Workspace(project, Identity(name, "env", project.roles_of(name)))


def register_model(workspace: Workspace, trained: Trained) -> None:
    register(
        workspace,
        trained.booster,
        name="admissions",
        train=trained.train,
        valid=trained.valid,
        target="admit",
        sensitive=["gender"],
        keys=["applicant_id"],
        options=FAST,
    )


def on_postgres(project_dir: Path, trained: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The scoring project on a real PostgreSQL database, as the analyst, with admissions:1 registered."""
    monkeypatch.setenv("WORKBENCH_DB_URL", pg_url)
    configure(project_dir)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(POLICY)
    workspace = as_user(project_dir, "analyst@example.org")
    assert workspace.store.backend == "postgresql"
    register_model(workspace, trained)
    return workspace


def write_input(root: Path, name: str = "data/applicants.parquet", n: int = 3_000, **kwargs: object) -> Path:
    return write(applicants(n, **kwargs), root / name)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def trained_small() -> Trained:
    return train_model(rows=1500, rounds=15)


@pytest.fixture
def scoring_ws(project_dir: Path, trained_small: Trained) -> Workspace:
    """The project as the analyst who registered admissions:1 (not approved for scoring yet)."""
    configure(project_dir)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(POLICY)
    workspace = as_user(project_dir, "analyst@example.org")
    register_model(workspace, trained_small)
    return workspace


def read_output(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path).sort("applicant_id")


@pytest.fixture(scope="session")
def trained_slow() -> Trained:
    """Deep trees: exact reasons run at a few hundred rows/s, so a job lasts long enough to cancel or kill."""
    import xgboost as xgb

    from tests.registry.conftest import FEATURES

    small = train_model(rows=2000, rounds=1)
    matrix = xgb.DMatrix(
        small.train.select(FEATURES).to_numpy(), label=small.train["admit"].to_numpy(), feature_names=FEATURES
    )
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 8, "eta": 0.05, "nthread": 1, "seed": 0},
        matrix,
        num_boost_round=300,
    )
    return Trained(booster, small.train, small.valid, FEATURES)


@pytest.fixture
def slow_ws(project_dir: Path, trained_slow: Trained) -> Workspace:
    configure(project_dir)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(POLICY)
    workspace = as_user(project_dir, "analyst@example.org")
    register_model(workspace, trained_slow)
    return workspace
