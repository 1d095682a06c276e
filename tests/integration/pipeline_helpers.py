"""Helpers for the pipeline integration tests: real git + DVC projects, real processes.

Imported by the ``test_pipeline_*`` modules beside it (pytest puts this folder on
``sys.path``). Each test still writes its notebooks inline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.project.init import init_project


def bin_folder(scratch: Path) -> Path:
    """A folder holding ``workbench``: the installed console script, or a shim for this interpreter."""
    beside = Path(sys.executable).with_name("workbench")
    if beside.exists():
        return beside.parent
    scratch.mkdir(parents=True, exist_ok=True)
    shim = scratch / "workbench"
    shim.write_text(f"#!{sys.executable}\nimport sys\nfrom workbench.cli.main import main\nsys.exit(main())\n")
    shim.chmod(0o755)
    return scratch


def process_env(bin_dir: Path) -> dict[str, str]:
    """The environment for child processes: workbench and dvc on PATH, git identity, no analytics."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        {
            "GIT_AUTHOR_NAME": "Test",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.org",
            "GIT_COMMITTER_EMAIL": "test@example.org",
            "WORKBENCH_USER": "analyst@example.org",
            "DO_NOT_TRACK": "1",
            "DVC_NO_ANALYTICS": "1",
        }
    )
    env.pop("WORKBENCH_DB_URL", None)
    env.pop("WORKBENCH_ARTIFACTS", None)
    return env


def new_project(root: Path) -> Path:
    init_project(root, git=True, dvc=True)
    return root


def sh(root: Path, env: dict[str, str], *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command (an argument list, never a shell string) in the project."""
    result = subprocess.run(list(argv), cwd=root, env=env, capture_output=True, text=True, check=False, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def workbench(root: Path, env: dict[str, str], *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh(root, env, "workbench", *argv, check=check)


def commit(root: Path, env: dict[str, str], message: str) -> None:
    sh(root, env, "git", "add", "-A")
    sh(root, env, "git", "commit", "-q", "-m", message)
