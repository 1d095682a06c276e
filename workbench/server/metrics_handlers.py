"""``GET /workbench/metrics``: Prometheus metrics (jobs, rows, latency, review queue, drift, SLOs).

Authenticated and authorized like every handler: Prometheus scrapes it with the server's token
(``authorization: {type: Bearer, credentials: TOKEN}`` or a ``token`` header in its scrape config).
The text is built by :mod:`workbench.postmarket.prometheus` on a worker thread.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.server.base import WorkbenchHandler

__all__ = ["MetricsHandler", "metrics_routes"]


class MetricsHandler(WorkbenchHandler):
    """``GET /workbench/metrics``: the project's metrics in Prometheus' text format 0.0.4."""

    auth_resource = "workbench:metrics"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        from workbench.postmarket.prometheus import CONTENT_TYPE, metrics_text

        text = await self.run_blocking(lambda: metrics_text(self.workspace()))
        self.finish(text, set_content_type=CONTENT_TYPE)


def metrics_routes() -> list[tuple[str, type[WorkbenchHandler]]]:
    return [(r"/workbench/metrics", MetricsHandler)]
