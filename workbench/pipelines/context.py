"""``workbench.context()``: what a notebook knows about the run it is part of.

``workbench run`` starts the kernel with a few environment variables
(``WORKBENCH_RUN_ID``, ``WORKBENCH_STAGE``, ``WORKBENCH_PARAMS`` as JSON,
``WORKBENCH_NOTEBOOK``, ``WORKBENCH_PROJECT``, ``WORKBENCH_TRIGGER`` and
``WORKBENCH_PAPERMILL``); :func:`context` reads them. In an interactive
JupyterLab session none are set and the context says so: no run id, no stage,
``interactive`` True. A kernel started by the plain ``papermill`` command is
recognised from its parent process, so code can tell a batch run from a person.

Reading the context is cheap and has no side effects; later services attach
model versions to ``context().run_id``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunContext", "context"]


@dataclass(frozen=True)
class RunContext:
    """The run a piece of notebook code executes in (all None when interactive)."""

    run_id: str | None = None
    stage: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None
    project_root: Path | None = None
    trigger: str | None = None
    papermill: bool = False

    @property
    def interactive(self) -> bool:
        """True when no workbench run (and no papermill) is executing this code."""
        return self.run_id is None and not self.papermill

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "params": self.params,
            "notebook": self.notebook,
            "project_root": str(self.project_root) if self.project_root else None,
            "trigger": self.trigger,
            "papermill": self.papermill,
            "interactive": self.interactive,
        }


def _parent_is_papermill() -> bool:
    """A kernel's parent process is what started it: the ``papermill`` command shows in its command line."""
    try:
        import psutil

        parent = psutil.Process(os.getppid())
        return any("papermill" in Path(part).name for part in parent.cmdline()[:3])
    except Exception:  # no psutil, no permission, the parent already gone: not papermill as far as we know
        return False


def context() -> RunContext:
    """The current run context, read from the environment ``workbench run`` gives the kernel."""
    env = os.environ
    run_id = env.get("WORKBENCH_RUN_ID") or None
    try:
        params = json.loads(env.get("WORKBENCH_PARAMS") or "{}")
    except json.JSONDecodeError:
        params = {}
    if not isinstance(params, dict):
        params = {}
    project = env.get("WORKBENCH_PROJECT")
    papermill = env.get("WORKBENCH_PAPERMILL") == "1" or _parent_is_papermill()
    return RunContext(
        run_id=run_id,
        stage=env.get("WORKBENCH_STAGE") or None,
        params=params,
        notebook=env.get("WORKBENCH_NOTEBOOK") or None,
        project_root=Path(project) if project else None,
        trigger=env.get("WORKBENCH_TRIGGER") or None,
        papermill=papermill,
    )
