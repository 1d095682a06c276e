"""Where the server extension finds its project and builds each request's workspace.

The server locates the project from a start folder (its ``root_dir``, or
``c.WorkbenchApp.project_root``) on every request, so ``workbench init`` run while
the server is up takes effect without a restart. The identity always comes from
the user the Jupyter server authenticated, never from the environment.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.errors import NotAProjectError
from workbench.core.models import Identity
from workbench.project.config import Project, find_project
from workbench.project.identity import server_identity
from workbench.project.workspace import Workspace

__all__ = ["WorkspaceProvider"]


class WorkspaceProvider:
    """Locates the project and opens workspaces for authenticated users.

    A deployment can swap it with ``c.WorkbenchApp.workspace_provider_class``.
    """

    def __init__(self, start: Path) -> None:
        self.start = start

    def project(self) -> Project | None:
        """The project above ``start``, or None when there is none."""
        return find_project(self.start)

    def require_project(self) -> Project:
        project = self.project()
        if project is None:
            raise NotAProjectError(self.not_a_project_hint())
        return project

    def not_a_project_hint(self) -> str:
        return (
            f"The server's folder {self.start} is not inside a workbench project. "
            f"Run `workbench init {self.start}` in a terminal and reload, or start the server with "
            "--WorkbenchApp.project_root=PATH pointing at a project."
        )

    def identity(self, username: str, project: Project | None) -> Identity:
        if project is None:
            return Identity(name=username, source="server")
        return server_identity(project, username)

    def workspace(self, username: str) -> Workspace:
        project = self.require_project()
        return Workspace(project, self.identity(username, project))
