"""The base of every workbench REST handler.

It owns the three things each handler would otherwise repeat:

- errors: a :class:`~workbench.core.errors.WorkbenchError` becomes its class's
  ``http_status`` (400/403/404/409) with the JSON body ``{error, message, details}``;
  every other error keeps its HTTP status and gets the same body shape, and an
  unexpected exception is a 500 whose body hides the traceback (the log has it);
- identity: the user the Jupyter server authenticated, with roles from the project;
- the project and workspace, from the :class:`WorkspaceProvider` in ``self.settings``.

Subclasses decorate each verb method with ``@tornado.web.authenticated`` then
``@authorized`` and set ``auth_resource`` (``workbench:models`` ...).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import cached_property
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from workbench.core.errors import WorkbenchError
from workbench.core.models import Identity
from workbench.project.config import Project
from workbench.project.workspace import Workspace
from workbench.server.models import ErrorBody
from workbench.server.workspaces import WorkspaceProvider

__all__ = ["WORKSPACES_SETTING", "WorkbenchHandler", "error_body"]

# The key under which extension.py puts the WorkspaceProvider into the web app's settings.
WORKSPACES_SETTING = "workbench_workspaces"

T = TypeVar("T")


def _exception_of(kwargs: dict[str, Any]) -> BaseException | None:
    exc_info = kwargs.get("exc_info")
    return exc_info[1] if exc_info else None


def error_body(status_code: int, exc: BaseException | None) -> ErrorBody:
    """The JSON body for an error answer with ``status_code``, caused by ``exc``."""
    if isinstance(exc, WorkbenchError):
        return ErrorBody(type(exc).__name__, exc.message, exc.details)
    reason = responses.get(status_code, "Error")
    name = "".join(reason.title().split()) or "Error"
    if isinstance(exc, HTTPError):
        return ErrorBody(name, exc.log_message or exc.reason or reason)
    if status_code >= 500:
        return ErrorBody(name, "The workbench server extension failed unexpectedly; the server log has the details.")
    return ErrorBody(name, reason)


class WorkbenchHandler(ExtensionHandlerMixin, APIHandler):
    """Base handler: error mapping, identity, project and workspace."""

    auth_resource = "workbench"

    # -- services -----------------------------------------------------------------

    @property
    def workspaces(self) -> WorkspaceProvider:
        return self.settings[WORKSPACES_SETTING]

    @cached_property
    def project(self) -> Project | None:
        """The project the server works on, or None outside one (located once per request)."""
        return self.workspaces.project()

    def require_project(self) -> Project:
        project = self.project
        if project is None:
            return self.workspaces.require_project()
        return project

    @property
    def username(self) -> str:
        user = self.current_user
        if not user:
            # Only reachable from a method that forgot @tornado.web.authenticated.
            raise HTTPError(403, "Authentication required.")
        return user.username

    @cached_property
    def identity(self) -> Identity:
        """The acting user: the server's authenticated user, with roles from the project."""
        return self.workspaces.identity(self.username, self.project)

    def workspace(self) -> Workspace:
        """The workspace for this request; raises NotAProjectError (400) outside a project."""
        return Workspace(self.require_project(), self.identity)

    # -- answers ------------------------------------------------------------------

    async def run_blocking(self, func: Callable[[], T]) -> T:
        """Run ``func`` (database or file work) in a thread, off the server's event loop."""
        return await asyncio.to_thread(func)

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    # -- errors -------------------------------------------------------------------

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = _exception_of(kwargs)
        if isinstance(exc, WorkbenchError):
            status_code = exc.http_status
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        body = error_body(status_code, _exception_of(kwargs))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body.to_dict()))

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, WorkbenchError):
            # An expected refusal, already explained to the client: one line, no traceback.
            self.log.warning(
                "%s %s -> %s %s: %s", self.request.method, self.request.path, value.http_status, typ.__name__, value
            )
            return
        super().log_exception(typ, value, tb)
