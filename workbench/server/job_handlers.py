"""Handlers for scoring jobs and the human review queue.

Submitting a job calls the jobs service's ``score(..., detach=True)``: it validates
the request (model, contract, paths inside the project), records the job as queued
and starts ``workbench jobs run ID`` in its own process, so the answer (``202``,
the job) comes at once. Progress, cancellation and logs read the job's record;
the review queue lists the rows jobs routed to a person and records decisions
(``list_review_items``, ``decide_review_item``).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import ValidationError
from workbench.jobs import cancel_job, decide_review_item, get_job, list_jobs, list_review_items, score
from workbench.server.base import WorkbenchHandler
from workbench.server.models import LogResponse

__all__ = ["job_routes"]

LOG_TAIL_CHARS = 64 * 1024


class JobsHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs?status=&model=&limit=``; ``POST`` submits a scoring job (``202``)."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        workspace = self.workspace()
        status = self.query_text("status")
        model = self.query_text("model")
        limit = self.query_int("limit", 50, maximum=500)
        found = await self.run_blocking(lambda: list_jobs(workspace, status=status, model=model, limit=limit))
        self.write_json({"jobs": [job.to_dict() for job in found]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body("model", "input", "output", "device", "engine", "explain", "top_k", "overwrite")
        ref = body.required_text("model", max_length=200)
        source = body.required_text("input", max_length=500)
        target = body.required_text("output", max_length=500)
        top_k = body.number("top_k", 3, minimum=1)
        options = {
            "device": body.text("device", "auto", max_length=20) or "auto",
            "engine": body.text("engine", "local", max_length=10) or "local",
            "explain": body.text("explain", "none", max_length=10) or "none",
            "top_k": int(top_k or 3),
            "overwrite": body.flag("overwrite"),
        }
        workspace = self.workspace()
        job = await self.run_blocking(lambda: score(workspace, ref, source, target, detach=True, **options))
        self.write_json(job.to_dict(), status=202)


class JobHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs/{id}``: the job with its progress; ``PATCH`` ``{"status": "cancelled"}``."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        workspace = self.workspace()
        job = await self.run_blocking(lambda: get_job(workspace, job_id))
        self.write_json(job.to_dict())

    @tornado.web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        body = self.json_body("status")
        if body.required_text("status", max_length=20) != "cancelled":
            raise ValidationError('A job can only be changed to {"status": "cancelled"}.')
        workspace = self.workspace()
        job = await self.run_blocking(lambda: cancel_job(workspace, job_id))
        self.write_json(job.to_dict(), status=202)


class JobLogHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs/{id}/log``: the end of the job's log."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        workspace = self.workspace()
        job = await self.run_blocking(lambda: get_job(workspace, job_id))
        text, truncated, relative = "", False, None
        if job.log_path:
            path = self.project_path(job.log_path, "log path")
            relative = workspace.project.relative(path)
            if path.is_file():
                raw = await self.run_blocking(lambda: path.read_text(encoding="utf-8", errors="replace"))
                truncated = len(raw) > LOG_TAIL_CHARS
                text = raw[-LOG_TAIL_CHARS:]
        self.write_json(LogResponse(job.id, text, truncated, relative).to_dict())


class ReviewItemsHandler(WorkbenchHandler):
    """``GET /workbench/api/review/items?status=open&job=&model=&limit=&offset=``: oldest first."""

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        workspace = self.workspace()
        status = self.query_text("status", "open")
        filters = {
            "job": self.query_text("job"),
            "model": self.query_text("model"),
            "status": None if status == "all" else status,
            "limit": self.query_int("limit", 100, maximum=1000),
            "offset": self.query_int("offset", 0, minimum=0, maximum=10_000_000) or 0,
        }
        items = await self.run_blocking(lambda: list_review_items(workspace, **filters))
        self.write_json({"items": [item.to_dict() for item in items]})


class ReviewDecisionsHandler(WorkbenchHandler):
    """``POST /workbench/api/review/items/{id}/decisions``: ``{"decision": "accept"|"decline", "comment"}``.

    Overriding the model's leaning needs a comment (400 without); a decided item is a 409.
    """

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def post(self, item_id: str) -> None:
        body = self.json_body("decision", "comment")
        decision = body.required_text("decision", max_length=20)
        comment = body.text("comment")
        workspace = self.workspace()
        item = await self.run_blocking(lambda: decide_review_item(workspace, int(item_id), decision, comment))
        self.write_json(item.to_dict(), status=201)


def job_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [
        (rf"{prefix}/jobs", JobsHandler),
        (rf"{prefix}/jobs/([0-9a-fA-F]{{4,32}})", JobHandler),
        (rf"{prefix}/jobs/([0-9a-fA-F]{{4,32}})/log", JobLogHandler),
        (rf"{prefix}/review/items", ReviewItemsHandler),
        (rf"{prefix}/review/items/([0-9]{{1,12}})/decisions", ReviewDecisionsHandler),
    ]
