"""The Jupyter server extension: workbench's REST API under ``/workbench/api/``.

``workbench._jupyter_server_extension_points`` names this module; Jupyter Server
calls :func:`_load_jupyter_server_extension` here, which hands over to
:class:`~workbench.server.extension.WorkbenchApp`. That class wires the services
once; handlers (``workbench.server.routes``) read them from ``self.settings``.

This face never imports ipywidgets; the kernel API never imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

__all__ = ["_load_jupyter_server_extension"]


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Called by Jupyter Server when the ``workbench`` server extension is enabled."""
    from workbench.server.extension import WorkbenchApp

    WorkbenchApp._load_jupyter_server_extension(serverapp)
