"""workbench serve: ``serve_tokens``, ``online_requests`` and ``online_decisions`` (issue 18).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serve_tokens",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "online_requests",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200)),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_id", "idempotency_key", name="uq_online_requests_idempotency"),
    )
    op.create_table(
        "online_decisions",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=10), nullable=False),
        sa.Column("served_by", sa.String(length=32), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=100), nullable=False),
        sa.Column("route", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=100)),
        sa.Column("reasons", sa.JSON()),
        sa.Column("shadow", sa.JSON()),
        sa.Column("input", sa.JSON()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_online_decisions_model", "online_decisions", ["name", "version", "created_at"])
    op.create_index("ix_online_decisions_request", "online_decisions", ["request_id"])


def downgrade() -> None:
    op.drop_table("online_decisions")
    op.drop_table("online_requests")
    op.drop_table("serve_tokens")
