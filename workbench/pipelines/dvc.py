"""Talking to DVC and to the ``workbench`` command from the pipeline service.

Stages are added with DVC's own CLI (``dvc stage add``), always with an argument
list, never a shell string; ``dvc.yaml`` is only ever *read* here. A promoted
stage's command has one shape, ``workbench run NOTEBOOK --stage NAME``, which
:func:`stage_notebook` parses back.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, NotebookError, NotFound, ValidationError
from workbench.core.yaml_text import YamlSyntaxError, parse_yaml
from workbench.processes import workbench_command

__all__ = [
    "STAGE_NAME_PATTERN",
    "check_stage_name",
    "dvc_command",
    "notebook_of_cmd",
    "read_stages",
    "run_dvc",
    "stage_command",
    "stage_notebook",
    "workbench_command",
]

STAGE_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
_STAGE_NAME = re.compile(rf"^{STAGE_NAME_PATTERN}$")


def check_stage_name(name: str) -> str:
    """Return ``name`` if it is a legal stage name; it doubles as a params.yaml key and a folder name."""
    if not isinstance(name, str) or not _STAGE_NAME.match(name):
        raise ValidationError(
            f"Invalid stage name {name!r}: use a letter first, then letters, digits, '_' or '-' (at most 64); "
            "no path separators, dots, spaces or shell characters. Pass one with --stage NAME."
        )
    return name


def _beside_python(name: str) -> str | None:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else None


def dvc_command() -> list[str]:
    """How to call DVC: the ``dvc`` beside this Python, on PATH, or ``python -m dvc``."""
    found = _beside_python("dvc") or shutil.which("dvc")
    return [found] if found else [sys.executable, "-m", "dvc"]


def run_dvc(root: Path, args: Sequence[str], *, what: str) -> subprocess.CompletedProcess[str]:
    """Run ``dvc ARGS`` in ``root``; a failure raises with DVC's own message."""
    if not (root / ".dvc").is_dir():
        raise ConfigError(f"{root} is not a DVC repository; run `dvc init` (or `workbench init`) there first.")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run([*dvc_command(), *args], cwd=root, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().replace("ERROR: ", "")
        raise NotebookError(f"DVC could not {what}: {message}")
    return result


def read_stages(root: Path) -> dict[str, dict[str, Any]]:
    """The stages of ``root/dvc.yaml`` as plain data (empty when there is no file)."""
    path = root / "dvc.yaml"
    if not path.is_file():
        return {}
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix it or restore it from git.") from exc
    stages = (data or {}).get("stages") or {}
    if not isinstance(stages, dict):
        raise ConfigError(f"{path}: `stages` must be a mapping of stage names to stages.")
    return {str(name): stage for name, stage in stages.items() if isinstance(stage, dict)}


def stage_command(notebook: str, stage: str) -> str:
    """The DVC ``cmd`` of a promoted stage, quoted for the shell DVC runs it with."""
    return shlex.join(["workbench", "run", notebook, "--stage", stage])


def stage_notebook(root: Path, stage: str) -> str:
    """The notebook (project-relative) that ``stage`` runs; raises when it is not a promoted stage."""
    stages = read_stages(root)
    if stage not in stages:
        known = ", ".join(sorted(stages)) or "none yet"
        raise NotFound(
            f"No stage {stage!r} in dvc.yaml (stages: {known}). Promote the notebook first: "
            f"`workbench promote NOTEBOOK --stage {stage}`."
        )
    notebook = notebook_of_cmd(stages[stage].get("cmd"), stage)
    if notebook is None:
        raise ValidationError(
            f"Stage {stage!r} does not run a notebook through workbench (its cmd is not "
            f"`workbench run NOTEBOOK --stage {stage}`); run it with `dvc repro {stage}` instead."
        )
    return notebook


def notebook_of_cmd(cmd: Any, stage: str) -> str | None:
    if isinstance(cmd, list) and len(cmd) == 1:
        cmd = cmd[0]
    if not isinstance(cmd, str):
        return None
    try:
        parts = shlex.split(cmd)
    except ValueError:
        return None
    if len(parts) == 5 and parts[:2] == ["workbench", "run"] and parts[3:] == ["--stage", stage]:
        return parts[2]
    return None
