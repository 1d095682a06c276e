"""Reading what a model decided and what came true: decision logs and recorded outcomes.

Both live in the artifact store, content-addressed and verified on every read; the
database only names them (``decision_logs``, ``outcome_batches``), and the audit
chain's ``job.succeed`` and ``outcomes.add`` events carry the same digests.

Rows of decisions and outcomes meet on one *row key*: the key value as text for one key
column, or a JSON object of the key values as text for several (:func:`row_key`), so a
key read as a number in one file and as text in another still matches.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.core.errors import NotFound
from workbench.jobs.decision_log import decision_logs_of
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, model_versions, outcome_batches

__all__ = ["current_outcomes", "load_decisions", "model_keys", "require_model", "row_key"]


def row_key(keys: Sequence[str]) -> pl.Expr:
    """The row key of each row, from its key columns (see the module docstring)."""
    if len(keys) == 1:
        return pl.col(keys[0]).cast(pl.String).alias("row_key")
    return pl.struct([pl.col(k).cast(pl.String) for k in keys]).struct.json_encode().alias("row_key")


def require_model(conn: Any, name: str) -> list[int]:
    """The model's registered version numbers; :class:`NotFound` when it has none."""
    versions = [
        int(v)
        for v in conn.execute(
            sa.select(model_versions.c.version).where(model_versions.c.name == name).order_by(model_versions.c.version)
        ).scalars()
    ]
    if not versions:
        raise NotFound(f"No model named {name!r} is registered. `workbench models list` shows the registered models.")
    return versions


def model_keys(conn: Any, name: str) -> tuple[str, ...]:
    """The key columns the model's decisions are logged under (its newest version's contract)."""
    contract = conn.execute(
        sa.select(model_versions.c.contract)
        .where(model_versions.c.name == name)
        .order_by(model_versions.c.version.desc())
        .limit(1)
    ).scalar()
    return tuple((contract or {}).get("keys") or ())


def load_decisions(
    workspace: Workspace, name: str, *, columns: Sequence[str] | None = None, version: int | None = None
) -> pl.DataFrame:
    """Every logged decision of ``name`` (one version's, when given), each log verified.

    Adds ``row_key``, ``version``, ``job`` and ``decided_at`` (the job's end). ``columns``
    limits what is read from each log (keys are always read).
    """
    with workspace.read() as conn:
        logs = decision_logs_of(conn, name, version=version)
        ended = {
            r.id: r.ended_at
            for r in conn.execute(sa.select(jobs.c.id, jobs.c.ended_at).where(jobs.c.id.in_([x.job_id for x in logs])))
        }
    frames = []
    for log in logs:
        data = workspace.artifacts.get_bytes(log.digest, name=f"decision log of job {log.job_id[:8]}")
        wanted = None
        if columns is not None:
            present = pl.read_parquet_schema(io.BytesIO(data))
            wanted = [c for c in dict.fromkeys([*log.keys, "row", *columns]) if c in present]
        frame = pl.read_parquet(io.BytesIO(data), columns=wanted)
        frames.append(
            frame.with_columns(
                row_key(log.keys) if log.keys else pl.format("row:{}", pl.col("row")).alias("row_key"),
                pl.lit(log.version, dtype=pl.Int32).alias("version"),
                pl.lit(log.job_id).alias("job"),
                pl.lit(ended.get(log.job_id), dtype=pl.Datetime("us", "UTC")).alias("decided_at"),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "row_key": pl.String,
                "score": pl.Float32,
                "decision": pl.String,
                "route": pl.String,
                "version": pl.Int32,
                "job": pl.String,
                "decided_at": pl.Datetime("us", "UTC"),
            }
        )
    return pl.concat(frames, how="diagonal_relaxed")


OUTCOME_SCHEMA = pl.Schema(
    {
        "row_key": pl.String(),
        "label": pl.Int8(),
        "observed_at": pl.Datetime("us", "UTC"),
        "revision": pl.Int32(),
    }
)


def current_outcomes(workspace: Workspace, name: str, conn: Any = None) -> pl.DataFrame:
    """The model's outcomes as they stand: the newest revision per row key (``row_key``, ``label``,
    ``observed_at``, ``revision``), from every recorded batch, each verified. ``conn``: read
    the batches in that transaction (the writer's own)."""
    query = (
        sa.select(outcome_batches.c.seq, outcome_batches.c.digest)
        .where(outcome_batches.c.name == name)
        .order_by(outcome_batches.c.seq)
    )
    if conn is None:
        with workspace.read() as reading:
            rows = reading.execute(query).all()
    else:
        rows = conn.execute(query).all()
    frames = [
        pl.read_parquet(io.BytesIO(workspace.artifacts.get_bytes(r.digest, name=f"outcomes {name} #{r.seq}")))
        .select(list(OUTCOME_SCHEMA))
        .cast(OUTCOME_SCHEMA)
        .with_columns(pl.lit(r.seq).alias("_seq"))
        for r in rows
    ]
    if not frames:
        return pl.DataFrame(schema=OUTCOME_SCHEMA)
    return pl.concat(frames).sort("_seq").unique("row_key", keep="last", maintain_order=True).drop("_seq")
