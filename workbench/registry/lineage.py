"""Lineage of a version: code, data, pipeline run, environment, author and time.

Data frames are hashed as the sha256 of their uncompressed Arrow IPC stream, which
depends only on the schema and the values, so the same data hashes the same in
every run.
"""

from __future__ import annotations

import io
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.clock import isoformat, utcnow
from workbench.core.hashing import sha256_bytes
from workbench.core.yaml_text import parse_yaml
from workbench.project.config import AUDIT_HEAD_FILE, STATE_DIR, Project

__all__ = ["capture_lineage", "frame_sha256", "git_state"]

_LIBRARIES = ("workbench", "xgboost", "polars", "numpy", "shap", "evidently", "fairlearn", "papermill", "dvc")
# Files workbench itself rewrites; they must not make every run look "dirty".
_OWN_FILES = (AUDIT_HEAD_FILE, f"{STATE_DIR}/")


def frame_sha256(frame: pl.DataFrame) -> str:
    buffer = io.BytesIO()
    frame.write_ipc_stream(buffer, compression="uncompressed")
    return sha256_bytes(buffer.getvalue())


def git_state(root: Path) -> dict[str, Any]:
    """Commit and dirty flag of the project's git checkout (None when not a git repository)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    dirty = any(not path.startswith(_OWN_FILES) for path in changed)
    return {"commit": commit.stdout.strip(), "dirty": dirty}


def _dvc_lock_deps(root: Path, stage: str | None) -> dict[str, Any]:
    if not stage:
        return {}
    lock = root / "dvc.lock"
    if not lock.is_file():
        return {}
    data = parse_yaml(lock.read_text(encoding="utf-8")) or {}
    entry = (data.get("stages") or {}).get(stage) or {}
    return {dep["path"]: dep.get("md5") or dep.get("hash") for dep in entry.get("deps", []) if "path" in dep}


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def capture_lineage(project: Project, *, author: str, frames: dict[str, pl.DataFrame]) -> dict[str, Any]:
    from workbench.pipelines.context import context

    run = context()
    return {
        "git": git_state(project.root),
        "dvc_lock_deps": _dvc_lock_deps(project.root, run.stage),
        "run": {
            "run_id": run.run_id,
            "stage": run.stage,
            "notebook": run.notebook,
            "parameters": run.params,
            "papermill": run.papermill,
        },
        "data": {name: {"sha256": frame_sha256(frame), "rows": frame.height} for name, frame in frames.items()},
        "environment": _versions(),
        "author": author,
        "time": isoformat(utcnow()),
    }
