"""A git + DVC workbench project per test, notebooks written inline, and ``workbench`` on PATH."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.notebooks import write_notebook
from workbench.project.init import init_project
from workbench.project.workspace import Workspace, open_workspace
from workbench.store.engine import open_store

NotebookFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised git + DVC project with a migrated database, copied for each test (init costs seconds)."""
    root = tmp_path_factory.mktemp("template") / "proj"
    init_project(root, git=True, dvc=True)
    store = open_store(f"sqlite:///{root / '.workbench' / 'workbench.db'}", cached=False)
    store.dispose()
    return root


@pytest.fixture
def dvc_project(project_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised project with git and DVC, as the current folder."""
    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "Test")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "test@example.org")
    root = tmp_path / "proj"
    shutil.copytree(project_template, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def dvc_workspace(dvc_project: Path) -> Workspace:
    return open_workspace(dvc_project)


@pytest.fixture
def notebook(dvc_project: Path) -> NotebookFactory:
    """Write a notebook at a project-relative path."""

    def make(relative: str, cells: list[str], **options: object) -> Path:
        return write_notebook(dvc_project / relative, cells, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def workbench_on_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make ``workbench`` (as DVC stage commands call it) resolve to this interpreter's workbench."""
    beside = Path(sys.executable).with_name("workbench")
    if beside.exists():
        folder = beside.parent
    else:
        folder = tmp_path_factory.mktemp("bin")
        shim = folder / "workbench"
        shim.write_text(f"#!{sys.executable}\nimport sys\nfrom workbench.cli.main import main\nsys.exit(main())\n")
        shim.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), str(Path(sys.executable).parent), os.environ["PATH"]]))
    return folder
