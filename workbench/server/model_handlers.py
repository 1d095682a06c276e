"""Handlers for models, versions, their governance and their reports.

Every verb calls one service function: the registry (``list_models``,
``list_versions``, ``alias_history_of``), governance (``review_state`` for the
exact button states and reasons, ``decide``, ``promote``, ``run_checks``) and
reports (``write_report``). A version is addressed as ``{name}/versions/{n}``;
the reference parser of the registry validates the name.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import NotFound, ValidationError
from workbench.governance.approvals import decide
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.governance.review import review_state
from workbench.registry.aliases import alias_history_of
from workbench.registry.versions import get_version, list_models, list_versions
from workbench.reports.audit_report import write_report
from workbench.server.base import WorkbenchHandler
from workbench.server.models import ReportResponse, VersionSummary

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
        workspace = self.workspace()
        summaries = await self.run_blocking(lambda: list_models(workspace))
        self.write_json({"models": [summary.to_dict() for summary in summaries]})


class VersionsHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions``: versions, newest first, with their status chips."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        workspace = self.workspace()
        alias = self.query_text("alias", DEFAULT_ALIAS) or DEFAULT_ALIAS

        def load() -> list[dict]:
            return [
                VersionSummary.from_review(review_state(workspace, version.ref, alias).to_dict()).to_dict()
                for version in list_versions(workspace, name)
            ]

        self.write_json({"versions": await self.run_blocking(load)})


class VersionHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions/{version}``: the version's review state.

    The version in full (metrics, checks, fairness, explanation, drift, decisions),
    the policy, the gate towards ``?alias=`` (default production) and, for the
    acting user, whether approve, reject and promote are allowed, with the reason when not.
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        workspace = self.workspace()
        alias = self.query_text("alias", DEFAULT_ALIAS) or DEFAULT_ALIAS
        state = await self.run_blocking(lambda: review_state(workspace, _ref(name, version), alias))
        self.write_json(state.to_dict())


class DecisionsHandler(WorkbenchHandler):
    """``POST /workbench/api/models/{name}/versions/{version}/decisions``: approve or reject.

    Body ``{"decision": "approve"|"reject", "comment": "..."}``. One decision per user
    and version: a second click (another tab) is a 409 and records nothing.
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        body = self.json_body("decision", "comment")
        decision = body.required_text("decision", max_length=20)
        comment = body.text("comment")
        workspace = self.workspace()
        made = await self.run_blocking(lambda: decide(workspace, _ref(name, version), decision, comment))
        self.write_json(made.to_dict(), status=201)


class ChecksHandler(WorkbenchHandler):
    """``POST /workbench/api/models/{name}/versions/{version}/checks``: evaluate the policy's checks."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        self.json_body()
        workspace = self.workspace()
        report = await self.run_blocking(lambda: run_checks(workspace, _ref(name, version)))
        self.write_json(report.to_dict(), status=201)


class AliasHandler(WorkbenchHandler):
    """``PUT /workbench/api/models/{name}/aliases/{alias}``: promote a version through the gate.

    Body ``{"version": 3, "reason": "..."}``. A refusal is a 409 ``PromotionBlocked``
    whose ``details`` lists every unmet condition.
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def put(self, name: str, alias: str) -> None:
        body = self.json_body("version", "reason")
        number = body.number("version", minimum=1)
        if number is None or number != int(number):
            raise ValidationError("`version` is required: the whole version number to promote.")
        reason = body.text("reason")
        workspace = self.workspace()
        move = await self.run_blocking(lambda: promote(workspace, f"{name}:{int(number)}", alias, reason=reason))
        self.write_json(move.to_dict())


class AliasHistoryHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/alias-history?alias=``: who moved which alias where, newest first."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        workspace = self.workspace()
        alias = self.query_text("alias")
        moves = await self.run_blocking(lambda: alias_history_of(workspace, name, alias))
        self.write_json({"history": [move.to_dict() for move in moves]})


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
        workspace = self.workspace()
        ref = _ref(name, version)

        def load() -> bytes:
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
        body = self.json_body("path")
        default = f"{REPORTS_DIR}/{name}-v{int(version)}-audit-report.html"
        requested = body.text("path", default, max_length=500) or default
        if not requested.endswith(".html"):
            raise ValidationError(f"The report path {requested!r} must end with .html.")
        target = self.project_path(requested, "report path")
        workspace = self.workspace()
        ref = _ref(name, version)
        written = await self.run_blocking(lambda: write_report(workspace, ref, target))
        relative = workspace.project.relative(written)
        url = f"{self.base_url.rstrip('/')}/workbench/api/reports?path={tornado.escape.url_escape(relative)}"
        self.write_json(ReportResponse(ref, relative, self.lab_path(relative), url).to_dict(), status=201)


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
        target = self.project_path(requested, "report path")
        if target.suffix != ".html":
            raise ValidationError(f"Only HTML reports are served here, not {requested!r}.")
        if not target.is_file():
            raise NotFound(f"No report at {requested!r}; generate it with Export audit report first.")
        data = await self.run_blocking(target.read_bytes)
        self.write_html(data, target.name, download=True)


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
