"""Fixtures for the server extension tests: a real Jupyter server (pytest-jupyter)
with the workbench extension enabled, authentication required, a fixed user
name, and a workbench project as its root folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.serverapp import ServerApp

from workbench.project.init import init_project

SERVER_USER = "reviewer@example.org"


class NamedUserIdentityProvider(IdentityProvider):
    """Token authentication as usual, but the token's user has a stable name (not a random one)."""

    def generate_anonymous_user(self, handler: Any) -> User:
        return User(username=SERVER_USER, name="Reviewer")


def workbench_server_config(**workbench_app: Any) -> dict[str, Any]:
    """Server config enabling only the workbench extension, with ``c.WorkbenchApp`` traits."""
    server: dict[str, Any] = {
        "jpserver_extensions": {"workbench": True},
        "identity_provider_class": NamedUserIdentityProvider,
    }
    if "allow_unauthenticated_access" in ServerApp.class_trait_names():
        # Jupyter Server >= 2.13: every endpoint must be authenticated, else the server refuses it.
        server["allow_unauthenticated_access"] = False
    return {"ServerApp": server, "WorkbenchApp": workbench_app}


def make_project(root: Path, approvers: tuple[str, ...] = ()) -> Path:
    """A workbench project at ``root`` (no git, no dvc: fast) with the given approvers."""
    root.mkdir(parents=True, exist_ok=True)
    names = ", ".join(f'"{name}"' for name in approvers)
    (root / "workbench.toml").write_text(f"[tool.workbench.roles]\napprover = [{names}]\n", encoding="utf-8")
    init_project(root, git=False, dvc=False)
    return root


@pytest.fixture
def server_user() -> str:
    """The name the test server gives every token-authenticated request."""
    return SERVER_USER


@pytest.fixture(name="make_project")
def make_project_fixture() -> Callable[..., Path]:
    return make_project


@pytest.fixture(name="workbench_server_config")
def workbench_server_config_fixture() -> Callable[..., dict[str, Any]]:
    return workbench_server_config


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return workbench_server_config()


@pytest.fixture
def jp_root_dir(tmp_path: Path) -> Path:
    """The server's root folder: a workbench project where the server user is an approver."""
    return make_project(tmp_path / "root_dir", approvers=(SERVER_USER,))
