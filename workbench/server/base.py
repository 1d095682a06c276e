"""The base of every workbench REST handler.

It owns the three things each handler would otherwise repeat:

- errors: a :class:`~workbench.core.errors.WorkbenchError` becomes its class's
  ``http_status`` (400/403/404/409) with the JSON body ``{error, message, details}``;
  every other error keeps its HTTP status and gets the same body shape, and an
  unexpected exception is a 500 whose body hides the traceback (the log has it);
- identity: the user the Jupyter server authenticated, with roles from the project
  (a single-user lab's generated token user is replaced by the local identity, see
  :meth:`WorkspaceProvider.identity`);
- the project and workspace, from the :class:`WorkspaceProvider` in ``self.settings``;
- input: the JSON body (:mod:`workbench.server.requests`), query arguments, and
  paths confined to the project;
- blocking work: :meth:`WorkbenchHandler.reply` and :meth:`~WorkbenchHandler.run_blocking`
  run it on the extension's bounded worker threads (:mod:`workbench.server.executor`),
  never on the event loop. Locating the project reads files and naming the local user
  may ask git, so ``self.project``, ``self.identity`` and ``self.workspace()`` are only
  used inside that work.

Subclasses decorate each verb method with ``@tornado.web.authenticated`` then
``@authorized`` and set ``auth_resource`` (``workbench:models`` ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from http.client import responses
from pathlib import Path
from typing import Any, TypeVar

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from workbench.core.clock import isoformat
from workbench.core.errors import ValidationError, WorkbenchError
from workbench.core.values import Identity
from workbench.project.config import Project
from workbench.project.workspace import Workspace
from workbench.server.cursors import MAX_CURSOR_LENGTH, decode_cursor
from workbench.server.requests import S, parse_body
from workbench.server.schemas import ErrorBody
from workbench.server.workspaces import WorkspaceProvider

__all__ = ["SERVICES_SETTING", "WORKSPACES_SETTING", "WorkbenchHandler", "encode_json", "error_body"]

# The keys under which extension.py puts the WorkspaceProvider and the other
# long-lived services (the process launcher) into the web app's settings.
WORKSPACES_SETTING = "workbench_workspaces"
SERVICES_SETTING = "workbench_services"

# jupyter_server's own providers, which give a token login a generated user name.
_GENERATED_USER_PROVIDERS = (IdentityProvider, PasswordIdentityProvider)

T = TypeVar("T")


def _exception_of(kwargs: dict[str, Any]) -> BaseException | None:
    exc_info = kwargs.get("exc_info")
    return exc_info[1] if exc_info else None


def _json_default(value: Any) -> Any:
    """Datetimes as ISO-8601 UTC (the store hands SQLite's back naive, always UTC); paths as text."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(body: Any) -> str:
    """The JSON text of an answer (datetimes, paths and sets as :func:`_json_default` says)."""
    return json.dumps(body, default=_json_default)


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

    @property
    def generated_user(self) -> bool:
        """True when the server's identity provider is jupyter_server's default one, whose
        token login names the user with a generated id (a single-user lab)."""
        return type(self.identity_provider) in _GENERATED_USER_PROVIDERS

    @cached_property
    def identity(self) -> Identity:
        """The acting user, with roles from the project (see WorkspaceProvider.identity)."""
        return self.workspaces.identity(self.username, self.project, local=self.generated_user)

    def workspace(self) -> Workspace:
        """The workspace for this request; raises NotAProjectError (400) outside a project."""
        return Workspace(self.require_project(), self.identity)

    @property
    def services(self) -> Any:
        """The server's long-lived services (``workbench.server.extension.Services``)."""
        return self.settings[SERVICES_SETTING]

    # -- input --------------------------------------------------------------------

    def body(self, shape: type[S]) -> S:
        """The request's JSON body as its declared ``shape`` (workbench.server.requests); unknown keys,
        wrong types, bad JSON and oversize bodies are a 400 naming the field."""
        return parse_body(self.request.body or b"", shape)

    def query_text(self, name: str, default: str | None = None, *, max_length: int = 500) -> str | None:
        value = self.get_query_argument(name, default)
        if value is not None and len(value) > max_length:
            raise ValidationError(f"The query argument `{name}` is longer than {max_length} characters.")
        return value if value != "" else default

    def query_int(
        self, name: str, default: int | None = None, *, minimum: int = 1, maximum: int = 10_000
    ) -> int | None:
        text = self.get_query_argument(name, None)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError as exc:
            raise ValidationError(f"The query argument `{name}` must be a whole number, not {text!r}.") from exc
        if not minimum <= value <= maximum:
            raise ValidationError(f"The query argument `{name}` must be between {minimum} and {maximum}.")
        return value

    def query_cursor(self, kind: str) -> int | None:
        """The key that ``?cursor=`` (a ``next_cursor`` of the ``kind`` list) continues after, or None."""
        text = self.query_text("cursor", max_length=MAX_CURSOR_LENGTH)
        return None if text is None else decode_cursor(kind, text)

    def project_path(self, path: str, what: str = "path") -> Path:
        """``path`` (relative to the project root) resolved, refusing anything outside the project (400)."""
        if not isinstance(path, str) or not path.strip() or "\x00" in path:
            raise ValidationError(f"The {what} must be a non-empty path relative to the project.")
        return self.require_project().resolve_inside(path, what)

    def lab_path(self, project_relative: str | None) -> str | None:
        """The same file as a path under the server's root_dir (for JupyterLab's file browser), or None."""
        if not project_relative:
            return None
        root_dir = Path(self.settings.get("server_root_dir", ".")).expanduser().resolve()
        target = (self.require_project().root / project_relative).resolve()
        try:
            return target.relative_to(root_dir).as_posix()
        except ValueError:
            return None

    # -- answers ------------------------------------------------------------------

    async def run_blocking(self, func: Callable[[], T]) -> T:
        """Run ``func`` (database or file work) on a worker thread, off the server's event loop."""
        return await self.services.pool.run(func)

    async def reply(self, work: Callable[[Workspace], Any], status: int = 200) -> None:
        """Answer ``work(workspace)`` as JSON; the workspace, the work and the encoding all run
        on one worker thread, so the event loop only sends the bytes."""
        payload = await self.run_blocking(lambda: encode_json(work(self.workspace())))
        self.set_status(status)
        self.finish(payload)

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(encode_json(body))

    def write_html(self, data: bytes, filename: str, *, download: bool) -> None:
        """An HTML document (a report), shown inline or as a download named ``filename``."""
        disposition = "attachment" if download else "inline"
        self.set_header("Content-Disposition", f'{disposition}; filename="{filename}"')
        self.finish(data, set_content_type="text/html; charset=utf-8")

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
