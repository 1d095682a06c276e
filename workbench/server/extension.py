"""Wiring of the workbench server extension, done once at server start.

:class:`WorkbenchApp` reads its configuration (``c.WorkbenchApp.*``), builds the
services and puts them into the web app's settings, where the handlers find them.
``workspace_provider_class`` is a traitlets ``Type`` so a deployment can swap the
implementation without touching the handlers. The handlers' worker threads
(:class:`~workbench.server.executor.WorkerPool`, ``worker_threads``) are made
here and closed with the server. Once the event loop runs, the
pipelines scheduler starts here when the project enables it, and stops with the
server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, Type, Unicode

from workbench._version import __version__
from workbench.server.base import SERVICES_SETTING, WORKSPACES_SETTING
from workbench.server.executor import DEFAULT_WORKER_THREADS, WorkerPool
from workbench.server.launcher import ProcessLauncher
from workbench.server.routes import default_handlers
from workbench.server.scheduler import ServerScheduler
from workbench.server.workspaces import WorkspaceProvider

__all__ = ["Services", "WorkbenchApp"]


@dataclass
class Services:
    """The server's long-lived helpers, shared by every handler."""

    launcher: ProcessLauncher
    scheduler: ServerScheduler
    pool: WorkerPool


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

    worker_threads = Int(
        DEFAULT_WORKER_THREADS,
        min=1,
        config=True,
        help=(
            "Threads on which workbench handlers run their database and file work (the health check has "
            "one more of its own). More requests than this wait their turn without blocking the server."
        ),
    )

    def initialize_settings(self) -> None:
        assert self.serverapp is not None
        # A relative project_root is taken from the server's root_dir; an absolute one as it is.
        start = (Path(self.serverapp.root_dir).expanduser() / Path(self.project_root).expanduser()).resolve()
        provider = self.workspace_provider_class(start)
        self.settings[WORKSPACES_SETTING] = provider
        pool = WorkerPool(self.worker_threads)
        self.settings[SERVICES_SETTING] = Services(ProcessLauncher(), ServerScheduler(provider, self.log), pool)
        self.log.info("workbench %s: locating the project from %s; %d worker threads", __version__, start, pool.workers)

    def initialize_handlers(self) -> None:
        self.handlers.extend(default_handlers)

    @property
    def services(self) -> Services:
        return self.settings[SERVICES_SETTING]

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # The event loop runs now: the scheduler's periodic task can be created.
        self.services.scheduler.start()

    async def stop_extension(self) -> None:
        services = self.settings.get(SERVICES_SETTING)
        if services is not None:
            await services.scheduler.stop()
            await services.launcher.close()
            services.pool.close()
