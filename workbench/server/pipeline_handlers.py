"""Handlers for pipelines: stages, runs, notebook promotion and schedules.

Stages come from ``dvc.yaml`` (``list_stages``) with their ``dvc status``; runs from
the run history (``list_runs``, ``get_run``). Starting a run (through ``dvc repro``)
and a stage's parameters are in :mod:`workbench.server.stage_handlers`. Promotion is first a dry run
(``check_promotion``: the plan and every problem), then ``promote``.
Notebook paths arrive as JupyterLab paths (relative to the server's root folder) and
must lie inside the project; other paths are relative to the project root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import NotFound, ValidationError
from workbench.pipelines.promote import PromotionOptions, check_promotion, promote
from workbench.pipelines.runs import cancel_run, get_run, list_runs
from workbench.pipelines.schedules import (
    add_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    remove_schedule,
    resume_schedule,
)
from workbench.pipelines.stages import list_stages, stage_statuses
from workbench.pipelines.values import RunRecord
from workbench.project.workspace import Workspace
from workbench.server.base import WorkbenchHandler
from workbench.server.requests import PauseBody, PromotionBody, ScheduleBody, StatusBody
from workbench.server.schemas import LaunchInfo, LogResponse

__all__ = ["pipeline_routes"]

LOG_TAIL_CHARS = 64 * 1024


class StagesHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/stages``: stages with deps, outs and changed/up-to-date state."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        def load(workspace: Workspace) -> dict:
            project = workspace.project
            stages = list_stages(project)
            statuses = stage_statuses(project, [stage.name for stage in stages])
            return {
                "stages": [
                    {
                        **stage.to_dict(),
                        "notebook_lab_path": self.lab_path(stage.notebook),
                        "status": statuses[stage.name].to_dict(),
                    }
                    for stage in stages
                ]
            }

        await self.reply(load)


class RunsHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/runs?stage=&status=&limit=``: runs, newest first."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        stage = self.query_text("stage")
        status = self.query_text("status")
        limit = self.query_int("limit", 50, maximum=500)

        def load(workspace: Workspace) -> dict:
            records = list_runs(workspace, stage=stage, status=status, limit=limit)
            return {"runs": [_run_body(self, record) for record in records]}

        await self.reply(load)


def _run_body(handler: WorkbenchHandler, record: RunRecord) -> dict[str, Any]:
    """The run as the API shows it: its record, plus the executed notebook's JupyterLab path
    (resolving it reads the file system: call this on a worker thread)."""
    data = record.to_dict()
    return {**data, "output_lab_path": handler.lab_path(data["output_path"])}


class RunHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/runs/{id}``: one run; ``PATCH`` ``{"status": "cancelled"}`` stops it."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        await self.reply(lambda workspace: _run_body(self, get_run(workspace, run_id)))

    @tornado.web.authenticated
    @authorized
    async def patch(self, run_id: str) -> None:
        if self.body(StatusBody).status != "cancelled":
            raise ValidationError('A run can only be changed to {"status": "cancelled"}.')
        launcher = self.services.launcher

        def cancel(workspace: Workspace) -> dict[str, Any]:
            record = get_run(workspace, run_id)
            if record.finished or not launcher.cancel(record.id):  # started elsewhere: its recorded pid
                record = cancel_run(workspace, record.id)
            return _run_body(self, record)

        await self.reply(cancel, 202)


class LaunchHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/launches/{id}``: a run this server started, before and after it
    is recorded (a run's record appears once its kernel starts; a launch that died first says why)."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self, launch_id: str) -> None:
        launch = self.services.launcher.get(launch_id.lower())
        if launch is None:
            raise NotFound(f"This server started no run {launch_id!r}; `GET pipelines/runs` lists every run.")

        def recorded() -> tuple[bool, str]:
            try:
                get_run(self.workspace(), launch.id)
            except NotFound:
                return False, launch.log_tail(4000)
            return True, ""

        found, tail = await self.run_blocking(recorded)
        info = LaunchInfo(**launch.to_dict(), recorded=found, log_tail=tail)
        self.write_json(info.to_dict())


class RunLogHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/runs/{id}/log``: the end of the run's log."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        # A run this server started may not be on record yet; its launch knows the log.
        launch = self.services.launcher.find(run_id.strip().lower())

        def load(workspace: Workspace) -> dict:
            try:
                record = get_run(workspace, run_id)
                full_id, log_path = record.id, record.log_path
            except NotFound:
                if launch is None:
                    raise
                full_id, log_path = launch.id, workspace.project.relative(launch.log_path)
            text, truncated = "", False
            if log_path:
                path = self.project_path(log_path, "log path")
                if path.is_file():
                    raw = path.read_text(encoding="utf-8", errors="replace")
                    truncated = len(raw) > LOG_TAIL_CHARS
                    text = raw[-LOG_TAIL_CHARS:]
            return LogResponse(full_id, text, truncated, log_path).to_dict()

        await self.reply(load)


class PromotionsHandler(WorkbenchHandler):
    """``POST /workbench/api/pipelines/promotions``: promote a notebook to a DVC stage.

    ``dry_run: true`` answers the plan (parameters, deps, outs, command, problems)
    and changes nothing; otherwise the notebook is promoted (a NotebookError, 400,
    lists every problem). ``params`` sets parameter values other than the
    notebook's defaults, type-checked against them.
    """

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(PromotionBody)
        root_dir = self.settings.get("server_root_dir", ".")
        notebook_text, params, dry_run = body.notebook, body.params, body.dry_run
        if not notebook_text.endswith(".ipynb"):
            raise ValidationError(f"{notebook_text!r} is not a notebook; promote an .ipynb file.")
        options: PromotionOptions = {
            "stage": body.stage or None,
            "deps": body.deps,
            "outs": body.outs,
            "metrics": body.metrics,
            "plots": body.plots,
            "force": body.force,
        }

        def run(workspace: Workspace) -> dict:
            project = workspace.project
            notebook = project.resolve_inside(Path(root_dir) / notebook_text, "notebook")
            if dry_run:
                return check_promotion(project, notebook, **options, base_dir=project.root).to_dict()
            result = promote(workspace, notebook, values=params or None, **options, base_dir=project.root)
            data = result.to_dict()
            if params:
                data["values"] = dict(result.plan.values)
            return data

        await self.reply(run, 200 if dry_run else 201)


class SchedulesHandler(WorkbenchHandler):
    """``GET``/``POST /workbench/api/pipelines/schedules``: cron schedules of stages."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.reply(lambda workspace: {"schedules": [item.to_dict() for item in list_schedules(workspace)]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(ScheduleBody)
        await self.reply(
            lambda workspace: add_schedule(
                workspace, body.stage, body.cron, tz=body.tz or "UTC", mode=body.mode or "run"
            ).to_dict(),
            201,
        )


class ScheduleHandler(WorkbenchHandler):
    """``GET``/``PATCH`` ``{"paused": bool}``/``DELETE /workbench/api/pipelines/schedules/{id}``."""

    auth_resource = "workbench:pipelines"

    @tornado.web.authenticated
    @authorized
    async def get(self, schedule_id: str) -> None:
        await self.reply(lambda workspace: get_schedule(workspace, int(schedule_id)).to_dict())

    @tornado.web.authenticated
    @authorized
    async def patch(self, schedule_id: str) -> None:
        change = pause_schedule if self.body(PauseBody).paused else resume_schedule
        await self.reply(lambda workspace: change(workspace, int(schedule_id)).to_dict())

    @tornado.web.authenticated
    @authorized
    async def delete(self, schedule_id: str) -> None:
        await self.run_blocking(lambda: remove_schedule(self.workspace(), int(schedule_id)))
        self.set_status(204)
        self.finish()


def pipeline_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    base = f"{prefix}/pipelines"
    return [
        (rf"{base}/stages", StagesHandler),
        (rf"{base}/runs", RunsHandler),
        (rf"{base}/runs/([0-9a-fA-F]{{4,32}})", RunHandler),
        (rf"{base}/runs/([0-9a-fA-F]{{4,32}})/log", RunLogHandler),
        (rf"{base}/launches/([0-9a-fA-F]{{32}})", LaunchHandler),
        (rf"{base}/promotions", PromotionsHandler),
        (rf"{base}/schedules", SchedulesHandler),
        (rf"{base}/schedules/([0-9]{{1,9}})", ScheduleHandler),
    ]
