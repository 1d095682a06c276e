"""Handlers for the audit log: events with filters, and the chain's verification."""

from __future__ import annotations

from dataclasses import asdict

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.project.workspace import Workspace
from workbench.server.base import WorkbenchHandler
from workbench.store.audit import list_events

__all__ = ["AuditEventsHandler", "AuditVerificationHandler", "audit_routes"]


class AuditEventsHandler(WorkbenchHandler):
    """``GET /workbench/api/audit/events?subject_prefix=&action=&actor=&limit=``: newest first.

    ``action`` matches a prefix (``model.`` finds every model event).
    """

    auth_resource = "workbench:audit"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        subject_prefix = self.query_text("subject_prefix")
        action = self.query_text("action")
        actor = self.query_text("actor")
        limit = self.query_int("limit", 200, maximum=5000)

        def load(workspace: Workspace) -> dict:
            with workspace.read() as conn:
                events = list_events(
                    conn, newest_first=True, subject_prefix=subject_prefix, action=action, actor=actor, limit=limit
                )
            return {"events": [asdict(event) for event in events]}

        await self.reply(load)


class AuditVerificationHandler(WorkbenchHandler):
    """``GET /workbench/api/audit/verification``: recompute the hash chain (verified, or broken at seq N)."""

    auth_resource = "workbench:audit"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.reply(lambda workspace: workspace.verify_audit().to_dict())


def audit_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [
        (rf"{prefix}/audit/events", AuditEventsHandler),
        (rf"{prefix}/audit/verification", AuditVerificationHandler),
    ]
