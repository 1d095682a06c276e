"""Handlers for what the Review panel shows and does beyond deciding.

- ``GET review/items/{id}/row``: the item's input row (keys, features, monitored
  columns), read again from the job's input (:func:`~workbench.jobs.row_values.review_row`);
- ``POST review/items/{id}/reversals``: undo one's own decision within the undo window,
  as an audited ``review.undo`` event (:func:`~workbench.jobs.undo.undo_review_decision`).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.jobs.row_values import review_row
from workbench.jobs.undo import undo_review_decision
from workbench.server.base import WorkbenchHandler
from workbench.server.requests import NoBody

__all__ = ["review_routes"]


class ReviewRowHandler(WorkbenchHandler):
    """``GET /workbench/api/review/items/{id}/row``: the item's input row by column role."""

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def get(self, item_id: str) -> None:
        await self.reply(lambda workspace: review_row(workspace, int(item_id)))


class ReviewReversalHandler(WorkbenchHandler):
    """``POST /workbench/api/review/items/{id}/reversals``: reopen the item the user just decided.

    Only the person who decided, within the undo window; answers the reopened item.
    """

    auth_resource = "workbench:review"

    @tornado.web.authenticated
    @authorized
    async def post(self, item_id: str) -> None:
        self.body(NoBody)
        await self.reply(lambda workspace: undo_review_decision(workspace, int(item_id)).to_dict(), 201)


def review_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    item = rf"{prefix}/review/items/([0-9]{{1,12}})"
    return [
        (rf"{item}/row", ReviewRowHandler),
        (rf"{item}/reversals", ReviewReversalHandler),
    ]
