"""Run a promoted stage the way DVC would, with edited parameters: ``dvc repro`` for one stage.

A run started from a face (the sidebar's Run button) is a ``dvc repro --single-item
--force STAGE``: DVC runs the stage's own command (``workbench run NOTEBOOK --stage
STAGE``) and then writes ``dvc.lock``, so after a successful run the stage is up to
date, which a bare ``workbench run`` never makes it. Edited parameters are written to
the stage's section of ``params.yaml`` first (checked against the notebook's defaults,
comments kept), because that is where DVC reads and locks them; a value passed only
to the run would leave the stage *changed*.

``--single-item`` runs this stage alone, as the button says, with the inputs on disk;
``--force`` runs it even when DVC finds nothing changed. The run records itself under
the id the caller chose: :data:`LAUNCH_RUN_ENV` names it (``STAGE:ID``), and
:func:`launched_run_id` hands it to that stage's ``workbench run`` only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import NotebookError, ValidationError
from workbench.notebooks.parameters import ParamSpec, read_parameters, resolve_values
from workbench.notebooks.reading import load_notebook
from workbench.pipelines._files import atomic_write_text
from workbench.pipelines.dvc import check_stage_name, dvc_command, stage_notebook
from workbench.pipelines.params_file import PARAMS_FILE, merge_stage_params, read_stage_params
from workbench.project.config import Project

if TYPE_CHECKING:
    from workbench.project.workspace import Workspace

__all__ = [
    "LAUNCH_RUN_ENV",
    "StageParameters",
    "launched_run_id",
    "repro_command",
    "set_stage_params",
    "stage_parameters",
]

LAUNCH_RUN_ENV = "WORKBENCH_LAUNCH_RUN"


@dataclass(frozen=True)
class StageParameters:
    """A notebook stage's parameters: the notebook's declared specs and the values a run uses now."""

    stage: str
    notebook: str
    parameters: tuple[ParamSpec, ...]
    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "notebook": self.notebook,
            "parameters": [spec.to_dict() for spec in self.parameters],
            "values": dict(self.values),
        }


def _specs(project: Project, stage: str) -> tuple[str, list[ParamSpec]]:
    notebook = stage_notebook(project.root, stage)
    specs, problems = read_parameters(load_notebook(project.root / notebook, notebook))
    if problems:
        raise NotebookError(f"{notebook} cannot be run: its parameters cell has problems.", details=list(problems))
    return notebook, specs


def stage_parameters(project: Project, stage: str) -> StageParameters:
    """The parameters of ``stage`` with the values ``params.yaml`` gives them (defaults where it has none)."""
    notebook, specs = _specs(project, stage)
    base = read_stage_params(project.root, stage)
    values = resolve_values(specs, base, None, base_label=f"{PARAMS_FILE} `{stage}`")
    return StageParameters(stage, notebook, tuple(specs), values)


def set_stage_params(workspace: Workspace, stage: str, values: Mapping[str, Any]) -> StageParameters:
    """Write ``values`` (typed, as JSON gives them) to ``stage``'s section of ``params.yaml``.

    Every value is checked against the notebook's declared type first; one bad value
    changes nothing and the error lists every problem. An audit event names what changed.
    """
    project = workspace.project
    notebook, specs = _specs(project, stage)
    merge = merge_stage_params(project.root / PARAMS_FILE, stage, specs, values)
    if merge.problems:
        raise ValidationError(
            f"The parameters of {stage!r} were not changed: {len(merge.problems)} value(s) to fix.",
            details=list(merge.problems),
        )
    if merge.changed:
        atomic_write_text(project.root / PARAMS_FILE, merge.text)
        changed = sorted({*merge.updated, *merge.added})
        workspace.record(
            "pipeline.params",
            f"stage:{stage}",
            {"notebook": notebook, "changed": changed, "values": {key: merge.values[key] for key in changed}},
        )
    return StageParameters(stage, notebook, tuple(specs), dict(merge.values))


def repro_command(stage: str, run_id: str) -> tuple[list[str], dict[str, str]]:
    """The command that reproduces ``stage`` alone and locks it, and the environment that names its run."""
    check_stage_name(stage)
    return [*dvc_command(), "repro", "--single-item", "--force", stage], {
        LAUNCH_RUN_ENV: f"{stage}:{run_id}",
        "DVC_NO_ANALYTICS": "1",
    }


def launched_run_id(stage: str | None) -> str | None:
    """The run id a launcher chose for ``stage``'s run (None for any other stage or notebook)."""
    named = os.environ.get(LAUNCH_RUN_ENV, "")
    wanted, _, run_id = named.rpartition(":")
    return run_id if stage is not None and wanted == stage and run_id else None
