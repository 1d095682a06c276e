"""The stages of dvc.yaml as the sidebar sees them, with DVC's own changed/up-to-date status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.core.errors import NotFound
from workbench.pipelines.promote import promote
from workbench.pipelines.stages import get_stage, list_stages, stage_statuses
from workbench.project.workspace import Workspace

NotebookFactory = Callable[..., Path]


def test_stages_and_their_status(dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory) -> None:
    assert list_stages(dvc_workspace.project) == [] and stage_statuses(dvc_workspace.project) == {}
    notebook("prepare.ipynb", ["n = 1"])
    promote(dvc_workspace, "prepare.ipynb", outs=["clean.csv"], metrics=["m.json"])
    [info] = list_stages(dvc_workspace.project)
    assert (info.name, info.notebook, info.cmd) == (
        "prepare",
        "prepare.ipynb",
        "workbench run prepare.ipynb --stage prepare",
    )
    assert info.params == ("prepare",) and info.metrics == ("m.json",)
    assert set(info.outs) == {"clean.csv", "runs/prepare/prepare.ipynb"}
    [(name, status)] = stage_statuses(dvc_workspace.project).items()  # never run: dvc repro would run it
    assert name == "prepare" and status.state == "changed"
    assert any("changed outs" in change or "deleted" in change for change in status.changes), status.changes
    assert get_stage(dvc_workspace.project, "prepare") == info
    with pytest.raises(NotFound, match="No stage 'train'"):
        get_stage(dvc_workspace.project, "train")
