"""``feature_values`` on SQLite becomes a ``WITHOUT ROWID`` table (issue 17).

An ordinary SQLite table keeps its rows in a B-tree by rowid and its primary key in a second
B-tree, so an online lookup descended twice per key (the key's index entry, then its row). A
``WITHOUT ROWID`` table keeps the rows in the primary key's B-tree: one descent per key. SQLite
cannot change that in place, so the table is rebuilt (created, filled from the old one, the old
one dropped, the new one renamed) inside the migration's transaction: an interrupted upgrade
leaves the old table as it was. PostgreSQL keeps its table (its heap and index are unchanged).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COPY = (
    'INSERT INTO feature_values_rebuilt (feature_set, entity_key, "values", event_time, materialization) '
    'SELECT feature_set, entity_key, "values", event_time, materialization FROM feature_values '
    "ORDER BY feature_set, entity_key"
)


def _rebuild(with_rowid: bool) -> None:
    op.create_table(
        "feature_values_rebuilt",
        sa.Column("feature_set", sa.String(length=100), primary_key=True),
        sa.Column("entity_key", sa.String(length=512), primary_key=True),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True)),
        sa.Column("materialization", sa.String(length=32), nullable=False),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(_COPY)
    op.drop_table("feature_values")
    op.rename_table("feature_values_rebuilt", "feature_values")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=True)
