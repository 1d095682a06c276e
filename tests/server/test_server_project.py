"""How the server finds its project: from its root_dir, or from ``c.WorkbenchApp.project_root``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


class TestOutsideAProject:
    @pytest.fixture
    def jp_root_dir(self, tmp_path: Path) -> Path:
        root = tmp_path / "plain"
        root.mkdir()
        return root

    async def test_health_says_how_to_make_one(self, jp_fetch, jp_root_dir: Path, server_user: str) -> None:
        response = await jp_fetch("workbench", "api", "health")

        assert response.code == 200
        body = json.loads(response.body)
        assert body["project_root"] is None
        assert body["db_backend"] is None
        assert body["user"] == server_user
        assert f"workbench init {jp_root_dir.resolve()}" in body["hint"]
        assert not (jp_root_dir / ".workbench").exists()


class TestProjectRootOverride:
    @pytest.fixture
    def other_project(self, tmp_path: Path, make_project) -> Path:
        return make_project(tmp_path / "elsewhere" / "analysis")

    @pytest.fixture
    def jp_server_config(self, workbench_server_config, other_project: Path) -> dict:
        return workbench_server_config(project_root=str(other_project))

    async def test_the_configured_project_wins_over_root_dir(self, jp_fetch, other_project: Path) -> None:
        body = json.loads((await jp_fetch("workbench", "api", "health")).body)

        assert body["project_root"] == str(other_project.resolve())
        # The server user is an approver in root_dir's project, not in this one.
        assert body["roles"] == []


class TestRelativeProjectRoot:
    @pytest.fixture
    def jp_root_dir(self, tmp_path: Path, make_project) -> Path:
        root = tmp_path / "home"
        make_project(root / "projects" / "credit")
        return root

    @pytest.fixture
    def jp_server_config(self, workbench_server_config) -> dict:
        return workbench_server_config(project_root="projects/credit")

    async def test_is_taken_from_root_dir(self, jp_fetch, jp_root_dir: Path) -> None:
        body = json.loads((await jp_fetch("workbench", "api", "health")).body)

        assert body["project_root"] == str((jp_root_dir / "projects" / "credit").resolve())
