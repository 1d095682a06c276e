"""``GET /workbench/api/models/{name}/monitoring``: the Monitoring section's data.

The monitoring report's rows (per version, over the window) and the status of each of the
policy's service levels on them, and the window's charts as Vega-Lite specs (rows inline) for the
panel to draw with vega-embed, from :func:`workbench.postmarket.status.monitoring_status`.
Reading it records nothing; ``workbench slo check`` records breaches.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.server.base import WorkbenchHandler

__all__ = ["MonitoringHandler", "monitoring_routes"]


class MonitoringHandler(WorkbenchHandler):
    """``GET models/{name}/monitoring?window=30d|Nd|job&charts=0|1``: report rows, SLO statuses, retrain
    recommendations and (unless ``charts=0``, as the Models list's badge asks) the charts."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        from workbench.postmarket.status import monitoring_status

        window = self.query_text("window", None, max_length=10)
        charts = self.query_int("charts", 1, minimum=0, maximum=1) == 1
        await self.reply(lambda workspace: monitoring_status(workspace, name, window=window, charts=charts).to_dict())


def monitoring_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [(rf"{prefix}/models/([^/]+)/monitoring", MonitoringHandler)]
