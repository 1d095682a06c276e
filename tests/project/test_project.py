from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError, NotAProjectError, ValidationError
from workbench.project.config import find_project, load_project
from workbench.project.identity import current_identity
from workbench.project.init import init_project


def test_discovery_walks_up_from_a_subfolder(project_dir: Path) -> None:
    sub = project_dir / "notebooks" / "deep"
    sub.mkdir(parents=True)
    project = load_project(sub)
    assert project.root == project_dir
    assert project.db_url == f"sqlite:///{project_dir / '.workbench' / 'workbench.db'}"


def test_outside_a_project_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(NotAProjectError, match="workbench init"):
        load_project(tmp_path)


def test_pyproject_tool_table_is_a_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.workbench]\ndb_url = "sqlite:///x.db"\n[tool.workbench.roles]\napprover = ["a@x"]\n'
    )
    project = find_project(tmp_path)
    assert project is not None and project.config.db_url == "sqlite:///x.db"
    assert project.roles_of("a@x") == ("approver",)


def test_env_overrides_the_database(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_DB_URL", "postgresql+psycopg://u@h/db")
    assert load_project().db_url == "postgresql+psycopg://u@h/db"


def test_unknown_config_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "workbench.toml").write_text("[tool.workbench]\ndb_ulr = 'x'\n")
    with pytest.raises(ConfigError, match="unknown .* db_ulr"):
        find_project(tmp_path)


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "workbench.toml").write_text("[tool.workbench\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        find_project(tmp_path)


def test_paths_are_confined_to_the_project(project_dir: Path) -> None:
    project = load_project()
    assert project.resolve_inside("notebooks/a.ipynb") == project_dir / "notebooks" / "a.ipynb"
    for bad in ["../../etc/passwd", "/etc/passwd", "notebooks/../../x"]:
        with pytest.raises(ValidationError, match="outside the project"):
            project.resolve_inside(bad)


def test_identity_order(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert current_identity(load_project()).name == "analyst@example.org"
    monkeypatch.delenv("WORKBENCH_USER")
    identity = current_identity(load_project())
    assert identity.source in {"git", "os"} and identity.name


def test_init_with_git_and_dvc_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "p"
    first = init_project(root)
    assert {"workbench.toml", ".workbench/", "git repository", "dvc repository"} <= set(first.created)
    assert ".workbench/" in (root / ".gitignore").read_text()
    ignored = subprocess.run(["git", "check-ignore", ".workbench/x"], cwd=root, capture_output=True, check=False)
    assert ignored.returncode == 0
    second = init_project(root)
    assert second.created == []


def test_init_into_existing_pyproject_adds_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    result = init_project(tmp_path, git=False, dvc=False)
    assert "pyproject.toml [tool.workbench]" in result.created
    text = (tmp_path / "pyproject.toml").read_text()
    assert '[project]\nname = "x"' in text and "[tool.workbench]" in text
    assert find_project(tmp_path).config_file == tmp_path / "pyproject.toml"  # type: ignore[union-attr]
