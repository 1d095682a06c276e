"""Handlers for scoring jobs and the human review queue.

Submitting a job builds a ``ScoreRequest`` and calls the jobs service's
``score_request(..., detach=True)``: it validates the request (model, contract, paths
inside the project), records the job as queued and starts ``workbench jobs run ID``
in its own process, so the answer (``202``, the job) comes at once. Progress,
cancellation and logs read the job's record; the review queue lists the rows jobs
routed to a person, a page at a time by cursor (``review_page``), and records
decisions (``decide_review_item``).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import ValidationError
from workbench.jobs import cancel_job, decide_review_item, get_job, list_jobs, list_review_items
from workbench.jobs.request import ScoreRequest
from workbench.jobs.review_queue import ReviewFilters, ReviewPage, count_review_items, review_page
from workbench.jobs.score import score_request
from workbench.project.workspace import Workspace
from workbench.server.base import WorkbenchHandler
from workbench.server.cursors import encode_cursor
from workbench.server.requests import DecisionBody, ScoreBody, StatusBody
from workbench.server.schemas import LogResponse

__all__ = ["job_routes"]

LOG_TAIL_CHARS = 64 * 1024
MAX_REVIEW_PAGE = 1000
MAX_REVIEW_OFFSET = 10_000
REVIEW_CURSOR = "review"


class JobsHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs?status=&model=&limit=``; ``POST`` submits a scoring job (``202``)."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = self.query_text("status")
        model = self.query_text("model")
        limit = self.query_int("limit", 50, maximum=500)

        def load(workspace: Workspace) -> dict:
            return {"jobs": [job.to_dict() for job in list_jobs(workspace, status=status, model=model, limit=limit)]}

        await self.reply(load)

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(ScoreBody)
        fields = body.model_dump(exclude={"model", "input", "output"})
        # Fields left out (or empty) take the request's defaults, as on the command line.
        request = ScoreRequest.build(
            body.model, body.input, body.output, **{k: v for k, v in fields.items() if v not in (None, "")}
        )
        await self.reply(lambda workspace: score_request(workspace, request, detach=True).to_dict(), 202)


class JobHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs/{id}``: the job with its progress; ``PATCH`` ``{"status": "cancelled"}``."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        await self.reply(lambda workspace: get_job(workspace, job_id).to_dict())

    @tornado.web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        if self.body(StatusBody).status != "cancelled":
            raise ValidationError('A job can only be changed to {"status": "cancelled"}.')
        await self.reply(lambda workspace: cancel_job(workspace, job_id).to_dict(), 202)


class JobLogHandler(WorkbenchHandler):
    """``GET /workbench/api/jobs/{id}/log``: the end of the job's log."""

    auth_resource = "workbench:jobs"

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        def load(workspace: Workspace) -> dict:
            job = get_job(workspace, job_id)
            text, truncated, relative = "", False, None
            if job.log_path:
                path = self.project_path(job.log_path, "log path")
                relative = workspace.project.relative(path)
                if path.is_file():
                    raw = path.read_text(encoding="utf-8", errors="replace")
                    truncated = len(raw) > LOG_TAIL_CHARS
                    text = raw[-LOG_TAIL_CHARS:]
            return LogResponse(job.id, text, truncated, relative).to_dict()

        await self.reply(load)


class ReviewItemsHandler(WorkbenchHandler):
    """``GET /workbench/api/review/items?status=open&job=&model=&version=&limit=&cursor=``: oldest
    first, a page at a time; ``next_cursor`` continues, ``total`` counts every page. ``offset``
    (at most 10,000) is kept for old clients; each page by cursor costs the same however deep it is."""

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = self.query_text("status", "open")
        filters: ReviewFilters = {
            "job": self.query_text("job"),
            "model": self.query_text("model"),
            "status": None if status == "all" else status,
            "version": self.query_int("version", None, minimum=1),
        }
        limit = self.query_int("limit", 100, maximum=MAX_REVIEW_PAGE) or 100
        after = self.query_cursor(REVIEW_CURSOR)
        offset = self.query_int("offset", 0, minimum=0, maximum=MAX_REVIEW_OFFSET) or 0
        if offset and after is not None:
            raise ValidationError("Send either `cursor` or `offset`, not both; `cursor` is the one to follow.")

        def load(workspace: Workspace) -> dict:
            if offset:
                items = list_review_items(workspace, **filters, limit=limit + 1, offset=offset)
                following_id = items[limit - 1].id if len(items) > limit else None
                page = ReviewPage(tuple(items[:limit]), following_id, count_review_items(workspace, **filters))
            else:
                page = review_page(workspace, **filters, limit=limit, after=after)
            following = page.next_after
            return {
                "items": [item.to_dict() for item in page.items],
                "next_cursor": None if following is None else encode_cursor(REVIEW_CURSOR, following),
                "total": page.total,
            }

        await self.reply(load)


class ReviewDecisionsHandler(WorkbenchHandler):
    """``POST /workbench/api/review/items/{id}/decisions``: ``{"decision": "accept"|"decline", "comment"}``.

    Overriding the model's leaning needs a comment (400 without); a decided item is a 409.
    """

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def post(self, item_id: str) -> None:
        body = self.body(DecisionBody)
        await self.reply(
            lambda workspace: decide_review_item(
                workspace, int(item_id), body.decision, body.comment, may_load_key=False
            ).to_dict(),
            201,
        )


def job_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [
        (rf"{prefix}/jobs", JobsHandler),
        (rf"{prefix}/jobs/([0-9a-fA-F]{{4,32}})", JobHandler),
        (rf"{prefix}/jobs/([0-9a-fA-F]{{4,32}})/log", JobLogHandler),
        (rf"{prefix}/review/items", ReviewItemsHandler),
        (rf"{prefix}/review/items/([0-9]{{1,12}})/decisions", ReviewDecisionsHandler),
    ]
