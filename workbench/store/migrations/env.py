"""Alembic environment: runs migrations on the connection workbench hands over.

Workbench calls Alembic programmatically (``workbench.store.engine``) with an open
connection in ``config.attributes["connection"]``; the URL path below exists only
for developers running ``alembic revision --autogenerate`` by hand.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from workbench.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
