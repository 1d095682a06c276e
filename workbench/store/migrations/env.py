"""Alembic environment: runs migrations on the connection workbench hands over.

Workbench calls Alembic programmatically (``workbench.store.engine``) with an open
connection in ``config.attributes["connection"]``; the URL path below exists only
for developers running ``alembic revision --autogenerate`` by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import context
from sqlalchemy import create_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

from workbench.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("Set sqlalchemy.url in alembic.ini to run migrations by hand.")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
