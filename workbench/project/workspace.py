"""The workspace: one project, its database, its artifact store and the acting user.

Services take a :class:`Workspace`. Every state change goes through
:meth:`Workspace.transaction`, whose :meth:`Tx.record` appends audit events in the
same database transaction; when the transaction commits the head file is updated.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Connection

from workbench.artifacts.store import ArtifactStore, open_artifacts
from workbench.core.errors import AuditChainBroken
from workbench.core.values import AuditEvent, ChainReport, Identity
from workbench.project.checkpoints import refuse_recreated_store
from workbench.project.config import Project, load_project
from workbench.project.identity import current_identity
from workbench.store import audit
from workbench.store.engine import Store, open_store
from workbench.store.state import StateReport, verify_state

__all__ = ["Tx", "Workspace", "open_workspace"]


@dataclass
class Tx:
    """An open transaction; ``record`` appends an audit event to it."""

    conn: Connection
    actor: str
    events: list[AuditEvent] = field(default_factory=list)
    #: How the actor's name was established (``server``, ``key``, ``env``, ``git``, ``os``); every event says so.
    actor_source: str = ""

    def record(self, action: str, subject: str, payload: dict[str, Any] | None = None) -> AuditEvent:
        if self.actor_source:
            payload = {**(payload or {}), "actor_source": self.actor_source}
        event = audit.append(self.conn, actor=self.actor, action=action, subject=subject, payload=payload)
        self.events.append(event)
        return event


@dataclass
class Workspace:
    project: Project
    identity: Identity

    @cached_property
    def store(self) -> Store:
        store = open_store(self.project.db_url)
        refuse_recreated_store(self.project, store)
        return store

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return open_artifacts(self.project.artifacts_url)

    @property
    def actor(self) -> str:
        return self.identity.name

    def with_identity(self, identity: Identity) -> Workspace:
        clone = Workspace(self.project, identity)
        if "store" in self.__dict__:
            clone.__dict__["store"] = self.store
        return clone

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.store.begin() as conn:
            tx = Tx(conn, self.actor, actor_source=self.identity.source)
            yield tx
        if tx.events:
            self._write_head(tx.events)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (deferred on SQLite: it takes no write lock). Write in :meth:`transaction`."""
        with self.store.read() as conn:
            yield conn

    def record(self, action: str, subject: str, payload: dict[str, Any] | None = None) -> AuditEvent:
        with self.transaction() as tx:
            return tx.record(action, subject, payload)

    def _write_head(self, events: list[AuditEvent]) -> None:
        # Only the embedded database's head is anchored in the project; a shared server
        # database is written by many checkouts, so one checkout's file would lag.
        if self.store.backend == "sqlite" and self.project.root.is_dir():
            with contextlib.suppress(OSError):
                audit.write_head_file(self.project.audit_head_file, events)

    def verify_audit(self) -> ChainReport:
        head_file = self.project.audit_head_file if self.store.backend == "sqlite" else None
        with self.read() as conn:
            return audit.verify(conn, head_file)

    def verify_state(self, name: str | None = None) -> StateReport:
        """The versions, aliases and decisions (of model ``name``, or all) against the chain."""
        with self.read() as conn:
            return verify_state(conn, name)

    def require_state(self, name: str, acting: str) -> None:
        """Refuse to ``acting`` (e.g. "promote") on model ``name`` while its rows differ from the chain."""
        report = self.verify_state(name)
        if not report.ok:
            raise AuditChainBroken(
                f"Refusing to {acting}: the database's rows for {name} differ from the audit chain, so they cannot "
                "be trusted. Restore the database from a backup (the chain and `workbench audit verify` say what "
                "each row should be).",
                details=[str(p) for p in report.problems],
            )


def open_workspace(start: str | os.PathLike[str] | None = None, identity: Identity | None = None) -> Workspace:
    project = load_project(start)
    return Workspace(project, identity or current_identity(project))
