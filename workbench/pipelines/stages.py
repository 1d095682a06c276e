"""The stages of ``dvc.yaml`` as :class:`~workbench.pipelines.models.StageInfo` values.

DVC owns the file; this reads it for the faces (the sidebar's Pipelines panel,
``workbench schedule add``) and never writes it.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import NotFound
from workbench.pipelines.dvc import notebook_of_cmd, read_stages
from workbench.pipelines.models import StageInfo
from workbench.project.config import Project

__all__ = ["get_stage", "list_stages", "stage_paths"]


def stage_paths(entries: Any) -> tuple[str, ...]:
    """DVC lists paths either bare or as one-key mappings with options (``m.json: {cache: false}``)."""
    found: list[str] = []
    for entry in entries or []:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict):
            found.extend(str(key) for key in entry)
    return tuple(found)


def _info(name: str, stage: dict[str, Any]) -> StageInfo:
    cmd = stage.get("cmd", "")
    text = " && ".join(cmd) if isinstance(cmd, list) else str(cmd)
    return StageInfo(
        name=name,
        cmd=text,
        notebook=notebook_of_cmd(cmd, name),
        deps=stage_paths(stage.get("deps")),
        outs=stage_paths(stage.get("outs")),
        params=stage_paths(stage.get("params")),
        metrics=stage_paths(stage.get("metrics")),
        plots=stage_paths(stage.get("plots")),
    )


def list_stages(project: Project) -> list[StageInfo]:
    """Every stage in the project's ``dvc.yaml``, in file order."""
    return [_info(name, stage) for name, stage in read_stages(project.root).items()]


def get_stage(project: Project, name: str) -> StageInfo:
    stages = read_stages(project.root)
    if name not in stages:
        known = ", ".join(sorted(stages)) or "none yet"
        raise NotFound(
            f"No stage {name!r} in dvc.yaml (stages: {known}). Promote a notebook with "
            f"`workbench promote NOTEBOOK --stage {name}`."
        )
    return _info(name, stages[name])
