"""Inserting a version: number allocation, the row and its audit event, in one transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import model_versions, models

__all__ = ["insert_version"]


def insert_version(workspace: Workspace, *, name: str, task: str, **evidence: Any) -> ModelVersion:
    now = utcnow()
    with workspace.transaction() as tx:
        conn = tx.conn
        exists = conn.execute(sa.select(models.c.name).where(models.c.name == name).with_for_update()).first()
        if exists is None:
            conn.execute(models.insert().values(name=name, created_at=now, created_by=tx.actor))
            # Lock the fresh row too, so a concurrent registration on PostgreSQL waits here.
            conn.execute(sa.select(models.c.name).where(models.c.name == name).with_for_update())
        latest = conn.execute(
            sa.select(sa.func.max(model_versions.c.version)).where(model_versions.c.name == name)
        ).scalar()
        number = int(latest or 0) + 1
        conn.execute(
            model_versions.insert().values(
                name=name,
                version=number,
                author=tx.actor,
                created_at=now,
                task=task,
                retrain_recommended=False,
                **evidence,
            )
        )
        digests = {key: entry["digest"] for key, entry in sorted(evidence["artifacts"].items())}
        tx.record(
            "model.register",
            f"model:{name}:{number}",
            {
                "task": task,
                "digests": digests,
                "metrics": {k: v for k, v in evidence["metrics"].items() if isinstance(v, (int, float))},
                "signed_by": evidence["lineage"].get("signed_by"),
                "lineage": {
                    "git": evidence["lineage"].get("git"),
                    "data": evidence["lineage"].get("data"),
                    "run": evidence["lineage"].get("run"),
                },
            },
        )
        return get_version_in(conn, f"{name}:{number}")
