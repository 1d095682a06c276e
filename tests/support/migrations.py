"""Alembic driven on a connection the test holds, to move a store to a given revision."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config

import workbench.store.engine as store_engine


def alembic_config(conn: sa.Connection) -> Config:
    """A config that runs workbench's migrations on ``conn`` (``command.upgrade(alembic_config(conn), "0008")``)."""
    config = Config()
    config.set_main_option("script_location", str(Path(store_engine.__file__).with_name("migrations")))
    config.attributes["connection"] = conn
    return config
