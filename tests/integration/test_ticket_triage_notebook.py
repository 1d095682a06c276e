"""The second example runs unattended under papermill: register, check and score tickets."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.project.init import init_project
from workbench.project.workspace import open_workspace
from workbench.registry.versions import get_version

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_ticket_triage_notebook(tmp_path: Path) -> None:
    import papermill

    root = tmp_path / "tickets"
    init_project(root, git=False, dvc=False)
    shutil.copytree(REPO / "notebooks" / "ticket_triage", root / "notebooks" / "ticket_triage")
    shutil.copytree(REPO / "policies", root / "policies")
    notebook = root / "notebooks" / "ticket_triage" / "triage.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / "out.ipynb"),
        parameters={"n_tickets": 2000, "n_incoming": 400},
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    workspace = open_workspace(root)
    version = get_version(workspace, "tickets@candidate")
    assert version.checks and all(c["status"] == "pass" for c in version.checks)
    scored = pl.read_parquet(root / "data" / "tickets" / "scored.parquet")
    assert scored.height == 400
    assert set(scored["decision"].unique()) <= {"same_day", "standard_queue", "triage"}
    assert "rule:refund_request" in set(scored["route"].unique())
