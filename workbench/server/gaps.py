"""Stopgaps: service functions the server needs that their service does not offer yet.

Each function here belongs in a service module, named in its docstring; the
handlers call it exactly as they would call the service, so moving it is a
one-line import change. Nothing else in ``workbench.server`` holds such logic.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.notebooks.parameters import ParamSpec, resolve_values
from workbench.pipelines._files import atomic_write_text
from workbench.pipelines.dvc import run_dvc
from workbench.pipelines.params_file import PARAMS_FILE, _yaml
from workbench.project.config import Project
from workbench.project.workspace import Workspace

__all__ = ["StageStatus", "check_stage_params", "set_stage_params", "stage_statuses"]


@dataclass(frozen=True)
class StageStatus:
    """Whether a stage is up to date with its deps, params and outs (``dvc status``).

    ``state`` is ``up-to-date``, ``changed`` (``changes`` says what, as DVC words it)
    or ``unknown`` (``message`` says why, e.g. DVC is busy with a run).
    """

    state: str
    changes: list[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "changes": list(self.changes), "message": self.message}


def _describe(entries: list[Any]) -> list[str]:
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


def stage_statuses(project: Project, names: list[str]) -> dict[str, StageStatus]:
    """``dvc status --json`` for every stage in ``names``.

    Belongs in ``workbench.pipelines.stages`` (as ``stage_statuses(project)``).
    """
    if not names:
        return {}
    try:
        result = run_dvc(project.root, ["status", "--json"], what="read the pipeline status")
        report = json.loads(result.stdout or "{}")
    except (WorkbenchError, json.JSONDecodeError) as exc:
        message = exc.message if isinstance(exc, WorkbenchError) else f"unreadable dvc status output ({exc})"
        return {name: StageStatus("unknown", message=message) for name in names}
    statuses = {}
    for name in names:
        entries = report.get(name) if isinstance(report, dict) else None
        statuses[name] = StageStatus("changed", _describe(entries)) if entries else StageStatus("up-to-date")
    return statuses


def check_stage_params(specs: list[ParamSpec], values: dict[str, Any]) -> dict[str, Any]:
    """The notebook's values with ``values`` applied, type-checked (ParameterError lists every problem).

    Belongs beside ``set_stage_params`` in the pipelines service.
    """
    return resolve_values(specs, values, base_label="the promotion form")


def set_stage_params(
    workspace: Workspace, stage: str, specs: list[ParamSpec], values: dict[str, Any]
) -> dict[str, Any]:
    """Write analyst-edited parameter values into ``stage``'s section of params.yaml.

    Belongs in ``workbench.pipelines.promote.promote`` as a ``values=`` argument
    (merged by ``merge_stage_params``). Values are checked against the notebook's
    parameter types first (``resolve_values`` raises ParameterError listing every
    problem); comments and other sections survive (ruamel round trip); one audit event.
    """
    checked = check_stage_params(specs, values)
    changed = {key: checked[key] for key in values}
    if not changed:
        return checked
    path = workspace.project.root / PARAMS_FILE
    yaml = _yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    section = document[stage]
    for key, value in changed.items():
        section[key] = value
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    atomic_write_text(path, buffer.getvalue())
    workspace.record("pipeline.params", f"stage:{stage}", {"values": changed})
    return checked
