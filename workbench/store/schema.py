"""Table definitions (SQLAlchemy Core). The schema itself changes only through
Alembic migrations in ``workbench/store/migrations``; these objects are what the
services query with. Every JSON column holds plain JSON values.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

__all__ = [
    "UTCDateTime",
    "alias_history",
    "aliases",
    "audit_events",
    "audit_head",
    "check_results",
    "decision_logs",
    "decisions",
    "feature_materializations",
    "feature_values",
    "jobs",
    "metadata",
    "model_versions",
    "models",
    "outcome_batches",
    "review_items",
    "runs",
    "schedule_slots",
    "schedules",
    "workbench_meta",
]

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A time stored as UTC and read back as an aware UTC datetime on every database
    (SQLite hands back naive ones). The tracked-process tables (jobs, runs, schedules,
    review items) use it, so their readers need no ``as_utc``."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTC_TS = UTCDateTime()

workbench_meta = sa.Table(
    "workbench_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("time", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Index("ix_audit_events_subject", "subject"),
    sa.Index("ix_audit_events_action", "action"),
)

# One row (id = 1): the chain's head. Appenders lock it (SELECT ... FOR UPDATE on
# PostgreSQL, BEGIN IMMEDIATE on SQLite) so concurrent writers never fork the chain.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("stage", sa.String(100)),
    sa.Column("notebook", sa.String(500), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("git_commit", sa.String(64)),
    sa.Column("git_dirty", sa.Boolean),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("started_at", UTC_TS, nullable=False),
    sa.Column("ended_at", UTC_TS),
    sa.Column("cells", sa.JSON),
    sa.Column("error_cell", sa.Integer),
    # The same error columns as jobs (0004 renamed error_name and error_message).
    sa.Column("error_type", sa.String(200)),
    sa.Column("error", sa.Text),
    sa.Column("output_path", sa.String(500)),
    sa.Column("log_path", sa.String(500)),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(200)),
    sa.Column("trigger", sa.String(40)),
    sa.Column("timeout_s", sa.Float),
    sa.Column("output_digest", sa.String(64)),
    sa.Index("ix_runs_started", "started_at"),
)

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stage", sa.String(100), nullable=False),
    sa.Column("cron", sa.String(100), nullable=False),
    sa.Column("tz", sa.String(64), nullable=False),
    sa.Column("mode", sa.String(10), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column("last_slot", UTC_TS),
)

# A slot is claimed by inserting its row: the primary key makes the claim exclusive,
# so two schedulers can never both run the same slot.
schedule_slots = sa.Table(
    "schedule_slots",
    metadata,
    sa.Column("schedule_id", sa.Integer, sa.ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slot", UTC_TS, primary_key=True),
    sa.Column("claimed_by", sa.String(200), nullable=False),
    sa.Column("claimed_at", UTC_TS, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("run_id", sa.String(32)),
    sa.Column("finished_at", UTC_TS),
    sa.Column("message", sa.Text),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("name", sa.String(100), sa.ForeignKey("models.name"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("task", sa.String(20), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("intended_use", sa.Text, nullable=False),
    sa.Column("artifacts", sa.JSON, nullable=False),
    sa.Column("contract", sa.JSON, nullable=False),
    sa.Column("lineage", sa.JSON, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("explanation", sa.JSON, nullable=False),
    sa.Column("drift", sa.JSON, nullable=False),
    sa.Column("fairness", sa.JSON, nullable=False),
    sa.Column("retrain_recommended", sa.Boolean, nullable=False, server_default=sa.false()),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

alias_history = sa.Table(
    "alias_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("time", TS, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

check_results = sa.Table(
    "check_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("policy_hash", sa.String(64), nullable=False),
    sa.Column("policy_path", sa.String(500), nullable=False),
    sa.Column("check", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("observed", sa.JSON),
    sa.Column("limit", sa.JSON),
    sa.Column("evidence", sa.String(200)),
    sa.Column("required", sa.Boolean, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evaluated_at", TS, nullable=False),
    sa.Column("evaluated_by", sa.String(200), nullable=False),
    sa.Index("ix_check_results_version", "name", "version", "policy_hash"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("policy_hash", sa.String(64), nullable=False),
    sa.Column("digests", sa.JSON, nullable=False),
    sa.Column("time", TS, nullable=False),
    # The signed statement (workbench.core.statements) when the project has a roster; None before.
    sa.Column("statement", sa.JSON(none_as_null=True), nullable=True),
    sa.UniqueConstraint("name", "version", "actor", name="uq_decisions_one_per_user"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(100)),
    sa.Column("version", sa.Integer),
    sa.Column("ref", sa.String(200)),
    sa.Column("input", sa.Text),
    sa.Column("output", sa.Text),
    sa.Column("device", sa.String(10)),
    sa.Column("engine", sa.String(10)),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("rows_done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_total", sa.BigInteger),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column("started_at", UTC_TS),
    sa.Column("ended_at", UTC_TS),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(200)),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("stats", sa.JSON),
    sa.Column("drift", sa.JSON),
    sa.Column("log_path", sa.String(500)),
    # Scoring jobs: the last sign of life (dead-process detection across hosts) and the
    # failure's error class and structured details (e.g. a contract violation's columns).
    sa.Column("heartbeat_at", UTC_TS),
    sa.Column("error_type", sa.String(100)),
    sa.Column("error_details", sa.JSON),
    sa.Index("ix_jobs_created", "created_at"),
    sa.Index("ix_jobs_model", "name", "version"),
)

review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("row_key", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("leaning", sa.String(20), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("rule", sa.String(100)),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("decision", sa.String(10)),
    sa.Column("comment", sa.Text),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", UTC_TS),
    sa.Column("override", sa.Boolean),
    sa.Column("row_index", sa.BigInteger),
    sa.Column("created_at", UTC_TS),
    # Why the row went to review beyond its score, e.g. the columns outside the training range (0002).
    sa.Column("detail", sa.JSON(none_as_null=True)),
    sa.Index("ix_review_items_job", "job_id", "status"),
    sa.Index("ix_review_items_status", "status"),
)

# A scoring job's decision log: its decisions as a content-addressed Parquet artifact (0005).
decision_logs = sa.Table(
    "decision_logs",
    metadata,
    sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("keys", sa.JSON, nullable=False),
    sa.Column("monitored", sa.JSON, nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Index("ix_decision_logs_model", "name", "version"),
)

# Ground truth recorded for a model, one row per accepted file: the artifact holds the
# outcomes that file added or revised (0005).
outcome_batches = sa.Table(
    "outcome_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("keys", sa.JSON, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_digest", sa.String(64), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("added", sa.BigInteger, nullable=False),
    sa.Column("revised", sa.BigInteger, nullable=False),
    sa.Column("unchanged", sa.BigInteger, nullable=False),
    sa.Column("unmatched", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", UTC_TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.UniqueConstraint("name", "seq", name="uq_outcome_batches_name_seq"),
)

# The online feature store (0006): the latest value of every feature per entity, as a packed row
# (workbench.features.packed), and per feature set which definition version wrote them, until when,
# and the schema to read them back with (workbench.features.materialize, workbench.features.online).
# On SQLite the values live in the primary key's B-tree (WITHOUT ROWID, 0008): one descent per key.
feature_values = sa.Table(
    "feature_values",
    metadata,
    sa.Column("feature_set", sa.String(100), primary_key=True),
    sa.Column("entity_key", sa.String(512), primary_key=True),
    # A packed row: its bytes on SQLite (0009), base64 text on PostgreSQL.
    sa.Column("values", sa.Text().with_variant(sa.LargeBinary(), "sqlite"), nullable=False),
    sa.Column("event_time", UTC_TS),
    # Which materialization wrote the row (0009; the run's 32-character id before): it deletes the rest.
    sa.Column("generation", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
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

# workbench serve (0007): bearer tokens (only each token's sha256 is kept), the requests it
# acknowledged (an Idempotency-Key's first answer) and one durable row per decision it returned,
# champion or canary, with the shadow's would-be decision beside it (workbench.serving).
serve_tokens = sa.Table(
    "serve_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("models", sa.JSON, nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("revoked_at", UTC_TS),
)

online_requests = sa.Table(
    "online_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("token_id", sa.String(32), nullable=False),
    sa.Column("idempotency_key", sa.String(200)),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("token_id", "idempotency_key", name="uq_online_requests_idempotency"),
)

online_decisions = sa.Table(
    "online_decisions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("row", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("arm", sa.String(10), nullable=False),
    sa.Column("served_by", sa.String(32), nullable=False),
    sa.Column("row_key", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("decision", sa.String(100), nullable=False),
    sa.Column("route", sa.String(120), nullable=False),
    sa.Column("rule", sa.String(100)),
    sa.Column("reasons", sa.JSON),
    sa.Column("shadow", sa.JSON),
    sa.Column("input", sa.JSON),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Index("ix_online_decisions_model", "name", "version", "created_at"),
    sa.Index("ix_online_decisions_request", "request_id"),
)
