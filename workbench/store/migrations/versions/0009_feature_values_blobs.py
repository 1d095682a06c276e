"""``feature_values`` keeps packed rows as bytes on SQLite and a generation number per row (issue 17).

On SQLite the packed rows become BLOBs: the base64 text cost a decoding on every lookup and made
each row a third larger, so a million-entity store spread over more pages. Rows that the store
kept as JSON text (before packed rows) stay text; the reader tells them apart by their type.
PostgreSQL keeps base64 text. On both, the 32-character ``materialization`` (the id of the run
that wrote the row, which deletes every row it did not write) becomes ``generation``, a number
the run picks unlike the stored one. A feature set's rows all carry its last run's id, so they
all get one generation; a downgrade gives them that run's id back from
``feature_materializations``.

SQLite cannot change a column's type, so the table is rebuilt in the migration's transaction as
0008 did (created, filled in key order, the old one dropped, the new one renamed), converting the
rows through functions registered on the connection.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 03:10:00
"""

from __future__ import annotations

import binascii
import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_RUN_ID = "COALESCE((SELECT m.id FROM feature_materializations AS m WHERE m.feature_set = v.feature_set), '')"
_COPY = (
    'INSERT INTO feature_values_rebuilt SELECT v.feature_set, v.entity_key, wb_packed(v."values"), v.event_time, '
    "{last} FROM feature_values AS v ORDER BY v.feature_set, v.entity_key"
)
_COPY_UP = _COPY.format(last="0")
_COPY_DOWN = _COPY.format(last=_RUN_ID)
_RUN_IDS = (
    "UPDATE feature_values AS v SET materialization = "
    "COALESCE((SELECT m.id FROM feature_materializations AS m WHERE m.feature_set = v.feature_set), '')"
)


def _to_bytes(value: str | bytes) -> str | bytes:
    if isinstance(value, bytes) or value.startswith("{"):
        return value
    return binascii.a2b_base64(value)


def _to_text(value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    return binascii.b2a_base64(value + bytes(-len(value) % 3), newline=False).decode("ascii")


def _rebuild(blobs: bool) -> None:
    raw = op.get_bind().connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    raw.create_function("wb_packed", 1, _to_bytes if blobs else _to_text, deterministic=True)
    op.create_table(
        "feature_values_rebuilt",
        sa.Column("feature_set", sa.String(length=100), primary_key=True),
        sa.Column("entity_key", sa.String(length=512), primary_key=True),
        sa.Column("values", sa.LargeBinary() if blobs else sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True)),
        sa.Column(
            "generation" if blobs else "materialization", sa.Integer() if blobs else sa.String(32), nullable=False
        ),
        sqlite_with_rowid=False,
    )
    op.execute(_COPY_UP if blobs else _COPY_DOWN)
    op.drop_table("feature_values")
    op.rename_table("feature_values_rebuilt", "feature_values")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(blobs=True)
        return
    op.add_column("feature_values", sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))
    op.alter_column("feature_values", "generation", server_default=None)
    op.drop_column("feature_values", "materialization")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(blobs=False)
        return
    op.add_column(
        "feature_values", sa.Column("materialization", sa.String(length=32), nullable=False, server_default="")
    )
    op.execute(_RUN_IDS)
    op.alter_column("feature_values", "materialization", server_default=None)
    op.drop_column("feature_values", "generation")
