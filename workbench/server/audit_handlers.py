"""Handlers for the audit log: events with filters, and the chain's verification."""

from __future__ import annotations

from dataclasses import asdict

import tornado.web
from jupyter_server.auth.decorator import authorized

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
        workspace = self.workspace()
        filters = {
            "subject_prefix": self.query_text("subject_prefix"),
            "action": self.query_text("action"),
            "actor": self.query_text("actor"),
            "limit": self.query_int("limit", 200, maximum=5000),
        }

        def load() -> list[dict]:
            with workspace.read() as conn:
                events = list_events(conn, newest_first=True, **filters)
            return [asdict(event) for event in events]

        self.write_json({"events": await self.run_blocking(load)})


class AuditVerificationHandler(WorkbenchHandler):
    """``GET /workbench/api/audit/verification``: recompute the hash chain (verified, or broken at seq N)."""

    auth_resource = "workbench:audit"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        workspace = self.workspace()
        report = await self.run_blocking(workspace.verify_audit)
        self.write_json(report.to_dict())


def audit_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [
        (rf"{prefix}/audit/events", AuditEventsHandler),
        (rf"{prefix}/audit/verification", AuditVerificationHandler),
    ]
