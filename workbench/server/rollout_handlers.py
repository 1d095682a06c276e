"""``GET /workbench/api/models/{name}/rollout``: the Rollout section's data.

The model's shadow or canary as the governing policy declares it, the arms compared with the
numbers ``workbench rollout report`` prints, the guards' limits and state, and the automatic
rollbacks, from :func:`workbench.serving.rollout_status.rollout_status`. ``rollout`` is null when
the policy declares none. Reading it records nothing; ending a rollout stays with
``workbench rollout promote|stop``, through the gate.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.server.base import WorkbenchHandler

__all__ = ["RolloutHandler", "rollout_routes"]


class RolloutHandler(WorkbenchHandler):
    """``GET models/{name}/rollout``: mode, champion and challenger, the arms compared, guards, rollbacks."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        from workbench.serving.rollout_status import rollout_status

        await self.reply(lambda workspace: rollout_status(workspace, name))


def rollout_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [(rf"{prefix}/models/([^/]+)/rollout", RolloutHandler)]
