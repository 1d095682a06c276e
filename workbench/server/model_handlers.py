"""Handlers for models, versions, their governance and their reports.

Every verb calls one service function: the registry (``list_models``,
``alias_history_of``), governance (``version_page`` for the version list's chips,
``review_state`` for the exact button states and reasons, ``decide``, ``promote``,
``run_checks``) and reports (``write_report``; ``scored_drift``, the drift verdicts of a
version's scoring jobs). A version is addressed as ``{name}/versions/{n}``; the reference
parser of the registry validates the name.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import NotFound, ValidationError
from workbench.governance.approvals import decide
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.governance.review import review_state
from workbench.governance.summaries import version_page
from workbench.project.workspace import Workspace
from workbench.registry.aliases import alias_history_of
from workbench.registry.versions import get_version, list_models
from workbench.reports.audit_report import write_report
from workbench.reports.scored_drift import scored_drift
from workbench.server.base import WorkbenchHandler
from workbench.server.cursors import encode_cursor
from workbench.server.requests import DecisionBody, NoBody, PromoteBody, ReportBody
from workbench.server.schemas import ReportResponse

__all__ = [
    "AliasHandler",
    "AliasHistoryHandler",
    "ChecksHandler",
    "DecisionsHandler",
    "DriftReportHandler",
    "ModelsHandler",
    "ReportDownloadHandler",
    "ReportsHandler",
    "VersionHandler",
    "VersionsHandler",
    "model_routes",
]

DEFAULT_ALIAS = "production"
DEFAULT_VERSIONS_PAGE = 100
MAX_VERSIONS_PAGE = 500
VERSIONS_CURSOR = "versions"
REPORTS_DIR = "reports"
# Served reports run their own scripts (Evidently's charts) in a sandbox with a
# unique origin, so they cannot call the API with the user's cookie.
REPORT_CSP = (
    "frame-ancestors 'self'; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox allow-scripts allow-popups"
)


def _ref(name: str, version: str) -> str:
    return f"{name}:{int(version)}"


class ModelsHandler(WorkbenchHandler):
    """``GET /workbench/api/models``: every registered model with its latest version and aliases."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.reply(lambda workspace: {"models": [summary.to_dict() for summary in list_models(workspace)]})


class VersionsHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions?alias=&limit=&cursor=``: versions, newest first,
    with their status chips towards ``alias``, a page at a time; ``next_cursor`` continues."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        alias = self.query_text("alias", DEFAULT_ALIAS) or DEFAULT_ALIAS
        limit = self.query_int("limit", DEFAULT_VERSIONS_PAGE, maximum=MAX_VERSIONS_PAGE) or DEFAULT_VERSIONS_PAGE
        before = self.query_cursor(VERSIONS_CURSOR)

        def load(workspace: Workspace) -> dict:
            page = version_page(workspace, name, alias, limit=limit, before=before)
            following = page.next_before
            return {
                "versions": [chips.to_dict() for chips in page.versions],
                "next_cursor": None if following is None else encode_cursor(VERSIONS_CURSOR, following),
            }

        await self.reply(load)


class VersionHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions/{version}``: the version's review state.

    The version in full (metrics, checks, fairness, explanation, drift, decisions),
    the policy, the gate towards ``?alias=`` (default production), for the acting user
    whether approve, reject and promote are allowed, with the reason when not, and
    ``scored_drift``: the stored drift verdicts of its scoring jobs (``reports.scored_drift``).
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        alias = self.query_text("alias", DEFAULT_ALIAS) or DEFAULT_ALIAS

        def load(workspace: Workspace) -> dict:
            state = review_state(workspace, _ref(name, version), alias, may_load_key=False)
            return {**state.to_dict(), "scored_drift": scored_drift(workspace, state.version).to_dict()}

        await self.reply(load)


class DecisionsHandler(WorkbenchHandler):
    """``POST /workbench/api/models/{name}/versions/{version}/decisions``: approve or reject.

    Body ``{"decision": "approve"|"reject", "comment": "..."}``. One decision per user
    and version: a second click (another tab) is a 409 and records nothing.
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        body = self.body(DecisionBody)
        await self.reply(
            lambda workspace: decide(
                workspace, _ref(name, version), body.decision, body.comment, may_load_key=False
            ).to_dict(),
            201,
        )


class ChecksHandler(WorkbenchHandler):
    """``POST /workbench/api/models/{name}/versions/{version}/checks``: evaluate the policy's checks."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        self.body(NoBody)
        await self.reply(lambda workspace: run_checks(workspace, _ref(name, version)).to_dict(), 201)


class AliasHandler(WorkbenchHandler):
    """``PUT /workbench/api/models/{name}/aliases/{alias}``: promote a version through the gate.

    Body ``{"version": 3, "reason": "..."}``. A refusal is a 409 ``PromotionBlocked``
    whose ``details`` lists every unmet condition.
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def put(self, name: str, alias: str) -> None:
        body = self.body(PromoteBody)
        await self.reply(
            lambda workspace: promote(
                workspace, f"{name}:{body.version}", alias, reason=body.reason, may_load_key=False
            ).to_dict()
        )


class AliasHistoryHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/alias-history?alias=``: who moved which alias where, newest first."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        alias = self.query_text("alias")
        await self.reply(
            lambda workspace: {"history": [move.to_dict() for move in alias_history_of(workspace, name, alias)]}
        )


class DriftReportHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions/{version}/drift-report``: Evidently's HTML report.

    ``?download=1`` asks the browser to save it; otherwise it is shown inline (a
    JupyterLab tab). The bytes are verified against the version's artifact digest.
    """

    auth_resource = "workbench:reports"

    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        ref = _ref(name, version)

        def load() -> bytes:
            workspace = self.workspace()
            found = get_version(workspace, ref)
            if "drift_report" not in found.artifacts:
                raise NotFound(
                    f"{found.ref} has no drift report: it was registered without one "
                    "(register with evidently_report=True to keep it)."
                )
            artifact = found.artifact("drift_report")
            return workspace.artifacts.get_bytes(artifact.digest, name=f"{found.ref} drift report")

        data = await self.run_blocking(load)
        download = bool(self.get_query_argument("download", ""))
        self.write_html(data, f"{name}-v{int(version)}-drift-report.html", download=download)


class ReportsHandler(WorkbenchHandler):
    """``POST /workbench/api/models/{name}/versions/{version}/reports``: write the audit report.

    Body ``{"path": "reports/x.html"}`` (optional, inside the project; default
    ``reports/NAME-vN-audit-report.html``). Answers where it went and how to download it.
    """

    auth_resource = "workbench:reports"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        default = f"{REPORTS_DIR}/{name}-v{int(version)}-audit-report.html"
        requested = self.body(ReportBody).path or default
        if not requested.endswith(".html"):
            raise ValidationError(f"The report path {requested!r} must end with .html.")
        ref = _ref(name, version)
        api = f"{self.base_url.rstrip('/')}/workbench/api"

        def write(workspace: Workspace) -> dict:
            target = self.project_path(requested, "report path")
            relative = workspace.project.relative(write_report(workspace, ref, target))
            url = f"{api}/reports?path={tornado.escape.url_escape(relative)}"
            return ReportResponse(ref, relative, self.lab_path(relative), url).to_dict()

        await self.reply(write, 201)


class ReportDownloadHandler(WorkbenchHandler):
    """``GET /workbench/api/reports?path=reports/x.html``: download a generated HTML report."""

    auth_resource = "workbench:reports"

    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        requested = self.query_text("path") or ""

        def read() -> tuple[str, bytes]:
            target = self.project_path(requested, "report path")
            if target.suffix != ".html":
                raise ValidationError(f"Only HTML reports are served here, not {requested!r}.")
            if not target.is_file():
                raise NotFound(f"No report at {requested!r}; generate it with Export audit report first.")
            return target.name, target.read_bytes()

        filename, data = await self.run_blocking(read)
        self.write_html(data, filename, download=True)


def model_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    version = rf"{prefix}/models/([^/]+)/versions/([0-9]{{1,9}})"
    return [
        (rf"{prefix}/models", ModelsHandler),
        (rf"{prefix}/models/([^/]+)/versions", VersionsHandler),
        (version, VersionHandler),
        (rf"{version}/decisions", DecisionsHandler),
        (rf"{version}/checks", ChecksHandler),
        (rf"{version}/drift-report", DriftReportHandler),
        (rf"{version}/reports", ReportsHandler),
        (rf"{prefix}/models/([^/]+)/aliases/([^/]+)", AliasHandler),
        (rf"{prefix}/models/([^/]+)/alias-history", AliasHistoryHandler),
        (rf"{prefix}/reports", ReportDownloadHandler),
    ]
