"""The stages of ``dvc.yaml`` as :class:`~workbench.pipelines.values.StageInfo` values.

DVC owns the file; this reads it for the faces (the sidebar's Pipelines panel,
``workbench schedule add``) and never writes it. :func:`stage_status` asks DVC
which stages ``dvc repro`` would run, and why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from workbench.core.errors import NotFound, WorkbenchError
from workbench.pipelines.dvc import notebook_of_cmd, read_stages, run_dvc
from workbench.pipelines.values import StageInfo, StageStatus
from workbench.project.config import Project

__all__ = ["get_stage", "list_stages", "stage_paths", "stage_statuses"]


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


def _describe(entries: list[Any]) -> list[str]:
    """DVC's reasons, as it words them (``changed deps: data/raw.csv modified``)."""
    changes: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            changes.append(entry)
        elif isinstance(entry, dict):
            for kind, paths in entry.items():
                if isinstance(paths, dict):
                    changes.extend(f"{kind}: {path} {how}" for path, how in paths.items())
                else:
                    changes.append(str(kind))
    return changes


def stage_statuses(project: Project, names: Sequence[str] | None = None) -> dict[str, StageStatus]:
    """``dvc status`` for the stages in ``names`` (default: all): would ``dvc repro`` run them, and why.

    DVC being unavailable (busy with a run, broken dvc.yaml) gives ``unknown`` with DVC's
    message rather than an error, so a status panel can still show the stages.
    """
    wanted = list(names) if names is not None else list(read_stages(project.root))
    if not wanted:
        return {}
    try:
        result = run_dvc(project.root, ["status", "--json"], what="read the pipeline status")
        report = json.loads(result.stdout or "{}")
    except (WorkbenchError, json.JSONDecodeError) as exc:
        message = exc.message if isinstance(exc, WorkbenchError) else f"unreadable `dvc status` output ({exc})"
        return {name: StageStatus("unknown", message=message) for name in wanted}
    report = report if isinstance(report, dict) else {}
    found = {key.split(":")[-1]: entries for key, entries in report.items()}
    return {
        name: StageStatus("changed", tuple(_describe(found[name]))) if found.get(name) else StageStatus("up-to-date")
        for name in wanted
    }
