"""Where the server extension finds its project and builds each request's workspace.

The server locates the project from a start folder (its ``root_dir``, or
``c.WorkbenchApp.project_root``) on every request, so ``workbench init`` run while
the server is up takes effect without a restart.

The identity comes from the user the Jupyter server authenticated (JupyterHub, a
configured identity provider), never from the environment. The one exception is a
single-user lab on jupyter_server's default identity provider, where a token login
gets a generated name ("Anonymous Io") that names nobody: there the person running
the server is the actor, found like the CLI finds it (``WORKBENCH_USER``, git's
``user.email``, the OS login), so audit events name a person.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.errors import NotAProjectError
from workbench.core.values import Identity
from workbench.project.config import Project, find_project
from workbench.project.identity import current_identity, server_identity
from workbench.project.workspace import Workspace

__all__ = ["WorkspaceProvider"]


class WorkspaceProvider:
    """Locates the project and opens workspaces for authenticated users.

    A deployment can swap it with ``c.WorkbenchApp.workspace_provider_class``.
    """

    def __init__(self, start: Path) -> None:
        self.start = start
        self._local_names: dict[Path | None, Identity] = {}

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

    def identity(self, username: str, project: Project | None, *, local: bool = False) -> Identity:
        """Who acts for a request by ``username``; ``local`` when the server's user names nobody."""
        if local:
            return self.local_identity(project)
        if project is None:
            return Identity(name=username, source="server")
        return server_identity(project, username)

    def local_identity(self, project: Project | None) -> Identity:
        """The server process's own user, as the CLI would name it.

        The name is cached per project (finding it asks git); the roles are read from
        the project's current config on every call, so editing the roles needs no restart.
        """
        key = project.root if project is not None else None
        if key not in self._local_names:
            self._local_names[key] = current_identity(project)
        found = self._local_names[key]
        roles = project.roles_of(found.name) if project is not None else ()
        return Identity(name=found.name, source=found.source, roles=roles)

    def workspace(self, username: str, *, local: bool = False) -> Workspace:
        project = self.require_project()
        return Workspace(project, self.identity(username, project, local=local))
