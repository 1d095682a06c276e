"""Handlers for running one stage from the sidebar: its parameters, and a run with edited ones.

``GET pipelines/stages/{stage}/parameters`` answers the notebook's parameters with the
values ``params.yaml`` gives them. ``POST pipelines/stages/{stage}/runs`` writes edited
values to ``params.yaml`` (:func:`~workbench.pipelines.reproduce.set_stage_params`) and
starts ``dvc repro --single-item --force STAGE`` as a child process
(:mod:`workbench.server.launcher`), so DVC runs the stage's own command and locks it: a
successful run leaves the stage up to date. It answers ``202`` at once with the id under
which the run records itself.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.pipelines.reproduce import repro_command, set_stage_params, stage_parameters
from workbench.pipelines.run import new_run_id
from workbench.project.workspace import Workspace
from workbench.server.base import WorkbenchHandler
from workbench.server.requests import StageRunBody
from workbench.server.schemas import RunStarted

__all__ = ["stage_routes"]


class StageParametersHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/stages/{stage}/parameters``: the notebook's parameters and their values."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self, stage: str) -> None:
        await self.reply(lambda workspace: stage_parameters(workspace.project, stage).to_dict())


class StageRunsHandler(WorkbenchHandler):
    """``POST /workbench/api/pipelines/stages/{stage}/runs`` ``{"params": {...}}``: run the stage
    through ``dvc repro`` with these values saved to ``params.yaml``; ``202`` with the run's id."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def post(self, stage: str) -> None:
        params = self.body(StageRunBody).params
        run_id = new_run_id()

        def prepare() -> Workspace:
            workspace = self.workspace()
            # 404/400 (unknown stage, not a notebook stage, mistyped values) before any process starts
            if params:
                set_stage_params(workspace, stage, params)
            else:
                stage_parameters(workspace.project, stage)
            (workspace.project.state_dir / "server").mkdir(parents=True, exist_ok=True)
            return workspace

        workspace = await self.run_blocking(prepare)
        command, env = repro_command(stage, run_id)
        launch = await self.services.launcher.start(
            "run",
            run_id,
            command,
            cwd=workspace.project.root,
            env={**env, "WORKBENCH_USER": workspace.actor, "WORKBENCH_TRIGGER": "jupyterlab"},
            log_path=workspace.project.state_dir / "server" / f"run-{run_id}.log",
        )
        body = RunStarted(run_id, "run", stage, launch.pid, launch.to_dict()["started_at"])
        self.write_json(body.to_dict(), status=202)


def stage_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    base = f"{prefix}/pipelines/stages"
    return [
        (rf"{base}/([^/]+)/parameters", StageParametersHandler),
        (rf"{base}/([^/]+)/runs", StageRunsHandler),
    ]
