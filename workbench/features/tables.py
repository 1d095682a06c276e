"""The online store's tables (migration 0006), on the store's one ``metadata``.

``feature_values`` holds the latest value of every feature per entity, one row per
(feature set, entity key), the key as text and the values as a JSON object;
``feature_materializations`` says, per feature set, which definition version wrote them,
until when, and the polars schema to read them back with.
(They belong in ``workbench/store/schema.py`` beside the other tables; they wait here only
while that file has another engineer's uncommitted work in it.)
"""

from __future__ import annotations

import sqlalchemy as sa

from workbench.store.schema import UTC_TS, metadata

__all__ = ["feature_materializations", "feature_values"]

feature_values = sa.Table(
    "feature_values",
    metadata,
    sa.Column("feature_set", sa.String(100), primary_key=True),
    sa.Column("entity_key", sa.String(512), primary_key=True),
    sa.Column("values", sa.Text, nullable=False),  # a JSON object, encoded by polars
    sa.Column("event_time", UTC_TS),
    sa.Column("materialization", sa.String(32), nullable=False),
)

feature_materializations = sa.Table(
    "feature_materializations",
    metadata,
    sa.Column("feature_set", sa.String(100), primary_key=True),
    sa.Column("id", sa.String(32), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("until", UTC_TS, nullable=False),
    sa.Column("materialized_at", UTC_TS, nullable=False),
    sa.Column("entities", sa.BigInteger, nullable=False),
    sa.Column("schema", sa.JSON, nullable=False),
    sa.Column("offline", sa.Text),
    sa.Column("actor", sa.String(200), nullable=False),
)
