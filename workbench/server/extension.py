"""Wiring of the workbench server extension, done once at server start.

:class:`WorkbenchApp` reads its configuration (``c.WorkbenchApp.*``), builds the
services and puts them into the web app's settings, where the handlers find them.
``workspace_provider_class`` is a traitlets ``Type`` so a deployment can swap the
implementation without touching the handlers.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Type, Unicode

from workbench._version import __version__
from workbench.server.base import WORKSPACES_SETTING
from workbench.server.handlers import default_handlers
from workbench.server.workspaces import WorkspaceProvider

__all__ = ["WorkbenchApp"]


class WorkbenchApp(ExtensionApp):
    """The ``workbench`` Jupyter server extension."""

    name = "workbench"
    description = "workbench: governed, reproducible ML automation in JupyterLab"

    project_root = Unicode(
        "",
        config=True,
        help=(
            "Folder from which to locate the workbench project (walking up), absolute or relative to the "
            "server's root_dir. Default: the root_dir itself."
        ),
    )

    workspace_provider_class = Type(
        default_value=WorkspaceProvider,
        klass=WorkspaceProvider,
        config=True,
        help="Locates the project and opens a workspace per authenticated user.",
    )

    def initialize_settings(self) -> None:
        assert self.serverapp is not None
        # A relative project_root is taken from the server's root_dir; an absolute one as it is.
        start = (Path(self.serverapp.root_dir).expanduser() / Path(self.project_root).expanduser()).resolve()
        provider = self.workspace_provider_class(start)
        self.settings[WORKSPACES_SETTING] = provider
        self.log.info("workbench %s: locating the project from %s", __version__, start)

    def initialize_handlers(self) -> None:
        self.handlers.extend(default_handlers)
