"""The route table of ``/workbench/api/``, with the health check and the JSON 404 for the rest.

Each handler reads its services from ``self.settings`` (through
:class:`~workbench.server.base.WorkbenchHandler`), calls one service function and
writes a response model from :mod:`workbench.server.schemas` or the service value's
own ``to_dict()``. No logic lives here that the CLI or the kernel API would also need.
The areas have a module each: ``model_handlers`` (models, governance, reports),
``pipeline_handlers`` (stages, runs, promotion, schedules), ``stage_handlers`` (a stage's
parameters, and running it through ``dvc repro``), ``job_handlers``
(scoring jobs and the review queue), ``audit_handlers``, ``monitoring_handlers`` and
``rollout_handlers`` (a model's shadow or canary).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench._version import __version__
from workbench.core.errors import NotFound
from workbench.server.audit_handlers import audit_routes
from workbench.server.base import WorkbenchHandler
from workbench.server.job_handlers import job_routes
from workbench.server.metrics_handlers import metrics_routes
from workbench.server.model_handlers import model_routes
from workbench.server.monitoring_handlers import monitoring_routes
from workbench.server.page_handlers import page_routes
from workbench.server.pipeline_handlers import pipeline_routes
from workbench.server.review_handlers import review_routes
from workbench.server.rollout_handlers import rollout_routes
from workbench.server.schemas import HealthResponse
from workbench.server.stage_handlers import stage_routes
from workbench.store.engine import open_store

__all__ = ["API_PREFIX", "HealthHandler", "UnknownEndpointHandler", "default_handlers"]

API_PREFIX = "/workbench/api"


class HealthHandler(WorkbenchHandler):
    """``GET /workbench/api/health``: version, project root, database backend, user.

    It runs on the health check's own thread, never queued behind other handlers' work.
    """

    auth_resource = "workbench:health"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        scheduler = self.services.scheduler.running
        body = await self.services.pool.run_health(lambda: self._health(scheduler))
        self.write_json(body.to_dict())

    def _health(self, scheduler: bool) -> HealthResponse:
        project = self.project
        identity = self.identity
        if project is None:
            return HealthResponse(
                version=__version__,
                user=identity.name,
                hint=self.workspaces.not_a_project_hint(),
                identity_source=identity.source,
                scheduler=scheduler,
            )
        # Opening the store creates and migrates the database on first use. The store itself, not
        # Workspace.store, whose recreated-store check runs in a write transaction: a health check
        # must not wait for the write lock while a scoring job holds it.
        backend = open_store(project.db_url).backend
        return HealthResponse(
            version=__version__,
            user=identity.name,
            roles=list(identity.roles),
            project_root=str(project.root),
            db_backend=backend,
            identity_source=identity.source,
            scheduler=scheduler,
        )


class UnknownEndpointHandler(WorkbenchHandler):
    """Any other path under the API prefix: a JSON 404 (after authentication, so no probing)."""

    auth_resource = "workbench"

    def _unknown(self) -> None:
        raise NotFound(
            f"There is no workbench API endpoint {self.request.method} {self.request.path}; "
            "check the path against the workbench OpenAPI description."
        )

    @tornado.web.authenticated
    @authorized
    def get(self, _path: str) -> None:
        self._unknown()

    @tornado.web.authenticated
    @authorized
    def post(self, _path: str) -> None:
        self._unknown()

    @tornado.web.authenticated
    @authorized
    def put(self, _path: str) -> None:
        self._unknown()

    @tornado.web.authenticated
    @authorized
    def patch(self, _path: str) -> None:
        self._unknown()

    @tornado.web.authenticated
    @authorized
    def delete(self, _path: str) -> None:
        self._unknown()


# Paths relative to the server's base_url; WorkbenchApp prefixes it. The catch-all stays last.
default_handlers: list[tuple[str, type[WorkbenchHandler]]] = [
    (rf"{API_PREFIX}/health", HealthHandler),
    *model_routes(API_PREFIX),
    *stage_routes(API_PREFIX),
    *pipeline_routes(API_PREFIX),
    *job_routes(API_PREFIX),
    *audit_routes(API_PREFIX),
    *page_routes(API_PREFIX),
    *review_routes(API_PREFIX),
    *monitoring_routes(API_PREFIX),
    *rollout_routes(API_PREFIX),
    (rf"{API_PREFIX}/(.*)", UnknownEndpointHandler),
    *metrics_routes(),
]
