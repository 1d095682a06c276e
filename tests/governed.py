"""Fixtures (a pytest plugin, see tests/conftest.py) for governed projects used across folders:
``governed`` (a policy, an approver role and one registered version), ``scoring_ws`` and
``slow_ws`` (the scoring project of tests/jobs), their trained models, and a Dask cluster.
Helpers live in tests/support."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.governed import ANALYST, GOVERNED_POLICY, SCORING_POLICY, configure, open_as, write_policy
from tests.support.training import Trained, register_admissions, train_model
from workbench.project.workspace import Workspace

ROLES = """
[tool.workbench.roles]
approver = ["reviewer-a", "reviewer-b", "reviewer-c", "analyst@example.org"]
"""


@pytest.fixture(scope="session")
def trained_small() -> Trained:
    return train_model(rows=1500, rounds=15)


@pytest.fixture(scope="session")
def trained_slow() -> Trained:
    """Deep trees: exact reasons run at a few hundred rows/s, so a job lasts long enough to cancel or kill."""
    return train_model(rows=2000, rounds=300, max_depth=8, eta=0.05)


@pytest.fixture
def governed(project_dir: Path, trained_small: Trained) -> Workspace:
    config = project_dir / "workbench.toml"
    text = config.read_text().replace(
        "[tool.workbench.roles]\n# Users allowed to approve model versions, by role.\napprover = []\n", ""
    )
    config.write_text(text + ROLES)
    write_policy(project_dir, GOVERNED_POLICY)
    author = open_as(project_dir, ANALYST)
    register_admissions(author, trained_small, description="Admissions <script>alert('x')</script> triage")
    return author


def _scoring_project(root: Path, trained: Trained) -> Workspace:
    configure(root)
    write_policy(root, SCORING_POLICY)
    workspace = open_as(root, ANALYST)
    register_admissions(workspace, trained)
    return workspace


@pytest.fixture
def scoring_ws(project_dir: Path, trained_small: Trained) -> Workspace:
    """The project as the analyst who registered admissions:1 (not approved for scoring yet)."""
    return _scoring_project(project_dir, trained_small)


@pytest.fixture
def slow_ws(project_dir: Path, trained_slow: Trained) -> Workspace:
    return _scoring_project(project_dir, trained_slow)


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """A real LocalCluster of two worker processes, shared by every Dask test of the session."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},  # 8787 may be taken
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address
