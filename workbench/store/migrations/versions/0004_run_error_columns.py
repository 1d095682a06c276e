"""Runs name their error as jobs do: ``error_name`` becomes ``error_type``, ``error_message`` ``error``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_RENAMES = (("error_name", "error_type", sa.String(length=200)), ("error_message", "error", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for old, new, kind in _RENAMES:
            batch_op.alter_column(old, new_column_name=new, existing_type=kind)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for old, new, kind in _RENAMES:
            batch_op.alter_column(new, new_column_name=old, existing_type=kind)
