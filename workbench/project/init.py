"""``workbench init``: make a folder a workbench project.

Creates ``.workbench/`` (git-ignored), a ``[tool.workbench]`` table (in
``pyproject.toml`` when the folder has one, else ``workbench.toml``), and runs
``git init`` and ``dvc init`` where they are missing. Safe to run twice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import ConfigError
from workbench.project.config import STATE_DIR, Project, ProjectConfig, find_project

__all__ = ["InitResult", "init_project"]

_DEFAULT_TOML = """\
# workbench project settings. See docs/architecture.md for every key.
[tool.workbench]
# db_url = "postgresql+psycopg://user@host/workbench"   # default: .workbench/workbench.db (SQLite)
# artifacts = "s3://bucket/workbench"                     # default: .workbench/artifacts
require_approved_for_scoring = false

[tool.workbench.roles]
# Users allowed to approve model versions, by role.
approver = []

[tool.workbench.scheduler]
enabled = false
"""


@dataclass
class InitResult:
    project: Project
    created: list[str] = field(default_factory=list)


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(
            f"`{' '.join(command[-2:])}` failed in {cwd}: {result.stderr.strip() or result.stdout.strip()}"
        )


def _dvc_executable() -> list[str]:
    beside = Path(sys.executable).with_name("dvc")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dvc")
    if found:
        return [found]
    return [sys.executable, "-m", "dvc"]


def _ensure_gitignore(root: Path, entries: list[str]) -> bool:
    path = root / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [entry for entry in entries if entry not in lines]
    if not missing:
        return False
    with path.open("a", encoding="utf-8") as handle:
        if lines and lines[-1] != "":
            handle.write("\n")
        handle.write("\n".join(missing) + "\n")
    return True


def init_project(path: str | os.PathLike[str] | None = None, *, git: bool = True, dvc: bool = True) -> InitResult:
    """Initialise (or complete) a project at ``path``; returns what was created."""
    root = Path(path or os.getcwd()).resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file; give `workbench init` a folder.")
    root.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    existing = find_project(root)
    has_config = existing is not None and existing.root == root and existing.config_file is not None
    if not has_config:
        pyproject = root / "pyproject.toml"
        if pyproject.exists():
            import tomlkit

            document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
            tool = document.setdefault("tool", tomlkit.table())
            tool["workbench"] = tomlkit.parse(_DEFAULT_TOML)["tool"]["workbench"]
            pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")
            created.append("pyproject.toml [tool.workbench]")
        else:
            (root / "workbench.toml").write_text(_DEFAULT_TOML, encoding="utf-8")
            created.append("workbench.toml")
    state = root / STATE_DIR
    if not state.exists():
        state.mkdir()
        created.append(f"{STATE_DIR}/")
    if git and not (root / ".git").exists() and shutil.which("git"):
        _run(["git", "init", "-q"], root)
        created.append("git repository")
    if _ensure_gitignore(root, [f"/{STATE_DIR}/"]):
        created.append(".gitignore entry")
    if dvc and not (root / ".dvc").exists():
        command = [*_dvc_executable(), "init", "-q"]
        if not (root / ".git").exists():
            command.append("--no-scm")
        _run(command, root)
        # No usage analytics from a governed project.
        _run([*_dvc_executable(), "config", "core.analytics", "false"], root)
        created.append("dvc repository")
    project = find_project(root) or Project(root, ProjectConfig())
    return InitResult(project, created)
