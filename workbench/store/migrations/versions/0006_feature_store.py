"""The online feature store: ``feature_values`` and ``feature_materializations`` (issue 17).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-21 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_values",
        sa.Column("feature_set", sa.String(length=100), primary_key=True),
        sa.Column("entity_key", sa.String(length=512), primary_key=True),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True)),
        sa.Column("materialization", sa.String(length=32), nullable=False),
    )
    op.create_table(
        "feature_materializations",
        sa.Column("feature_set", sa.String(length=100), primary_key=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("materialized_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entities", sa.BigInteger(), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("offline", sa.Text()),
        sa.Column("actor", sa.String(length=200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feature_materializations")
    op.drop_table("feature_values")
