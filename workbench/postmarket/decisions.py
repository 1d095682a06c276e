"""Reading what a model decided and what came true: decision logs and recorded outcomes.

Both live in the artifact store, content-addressed and verified on every read; the
database only names them (``decision_logs``, ``outcome_batches``), and the audit
chain's ``job.succeed`` and ``outcomes.add`` events carry the same digests.

Rows of decisions and outcomes meet on one *row key*: the key value as text for one key
column, or a JSON object of the key values as text for several (:func:`row_key`), so a
key read as a number in one file and as text in another still matches.

:func:`scan_decisions` gives the logs as one polars lazy frame: each log is verified
against its digest by a streaming hash, then scanned from the store's own file, so a
report reads only the columns and rows it needs and never holds every decision at once.
:func:`load_decisions` is the same, collected.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.artifacts.store import ArtifactStore
from workbench.core.errors import ArtifactIntegrityError, NotFound
from workbench.jobs.decision_log import DecisionLog, decision_logs_of
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, model_versions, outcome_batches

__all__ = [
    "current_outcomes",
    "load_decisions",
    "model_keys",
    "require_model",
    "row_key",
    "scan_decisions",
    "scan_log",
]


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


_EMPTY = pl.Schema(
    {
        "row_key": pl.String(),
        "score": pl.Float32(),
        "decision": pl.String(),
        "route": pl.String(),
        "version": pl.Int32(),
        "job": pl.String(),
        "decided_at": pl.Datetime("us", "UTC"),
    }
)
_CHUNK = 1 << 20


def _verified_file(store: ArtifactStore, digest: str, label: str) -> Path | None:
    """The local file of an artifact once its bytes hash to ``digest``; None for a remote store.

    Objects are written once under their digest and never rewritten, so a file that verifies
    here is the one scanned next."""
    if "://" in store.url and not store.url.startswith("file://"):
        return None
    path = store.path_for(digest)
    actual = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                actual.update(chunk)
    except FileNotFoundError as exc:
        raise NotFound(
            f"Artifact {label} (sha256 {digest[:12]}…) is missing from {store.url}; restore the store from a backup."
        ) from exc
    if actual.hexdigest() != digest:
        raise ArtifactIntegrityError(
            f"Artifact {label} failed its integrity check: expected sha256 {digest[:12]}…, found "
            f"{actual.hexdigest()[:12]}…. The stored file was modified or damaged; restore it from a backup.",
            details={"artifact": label, "digest": digest},
        )
    return path


def scan_log(workspace: Workspace, log: DecisionLog, columns: Sequence[str] | None = None) -> pl.LazyFrame:
    """One verified decision log as a lazy frame with ``row_key``; ``columns`` as in :func:`scan_decisions`
    (the log's own names; those it lacks are left out)."""
    label = f"decision log of job {log.job_id[:8]}"
    path = _verified_file(workspace.artifacts, log.digest, label)
    if path is None:
        data = workspace.artifacts.get_bytes(log.digest, name=label)
        frame, present = pl.read_parquet(io.BytesIO(data)).lazy(), pl.read_parquet_schema(io.BytesIO(data))
    else:
        frame, present = pl.scan_parquet(path), pl.read_parquet_schema(path)
    if columns is not None:
        frame = frame.select([c for c in dict.fromkeys([*log.keys, "row", *columns]) if c in present])
    return frame.with_columns(row_key(log.keys) if log.keys else pl.format("row:{}", pl.col("row")).alias("row_key"))


def scan_decisions(
    workspace: Workspace,
    name: str,
    *,
    columns: Sequence[str] | None = None,
    version: int | None = None,
    job_ids: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Every logged decision of ``name`` (one version's, or those of ``job_ids``, when given), each
    log verified, as one lazy frame.

    Adds ``row_key``, ``version``, ``job`` and ``decided_at`` (the job's end). ``columns`` limits
    what is read from each log (keys are always read)."""
    with workspace.read() as conn:
        logs = decision_logs_of(conn, name, version=version)
        if job_ids is not None:
            wanted = set(job_ids)
            logs = [log for log in logs if log.job_id in wanted]
        ended = {
            r.id: r.ended_at
            for r in conn.execute(sa.select(jobs.c.id, jobs.c.ended_at).where(jobs.c.id.in_([x.job_id for x in logs])))
        }
    frames = [
        scan_log(workspace, log, columns).with_columns(
            pl.lit(log.version, dtype=pl.Int32).alias("version"),
            pl.lit(log.job_id).alias("job"),
            pl.lit(ended.get(log.job_id), dtype=pl.Datetime("us", "UTC")).alias("decided_at"),
        )
        for log in logs
    ]
    if not frames:
        return pl.LazyFrame(schema=_EMPTY)
    return pl.concat(frames, how="diagonal_relaxed")


def load_decisions(
    workspace: Workspace, name: str, *, columns: Sequence[str] | None = None, version: int | None = None
) -> pl.DataFrame:
    """:func:`scan_decisions`, collected: every logged decision of ``name`` (one version's, when given)."""
    return scan_decisions(workspace, name, columns=columns, version=version).collect()


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
    frames = []
    for r in rows:
        label = f"outcomes {name} #{r.seq}"
        path = _verified_file(workspace.artifacts, r.digest, label)
        if path is None:
            frame = pl.read_parquet(io.BytesIO(workspace.artifacts.get_bytes(r.digest, name=label))).lazy()
        else:
            frame = pl.scan_parquet(path)
        frames.append(frame.select(list(OUTCOME_SCHEMA)).cast(OUTCOME_SCHEMA).with_columns(_seq=pl.lit(r.seq)))
    if not frames:
        return pl.DataFrame(schema=OUTCOME_SCHEMA)
    if len(frames) == 1:  # one file never repeats a key (outcomes add refuses duplicates)
        return frames[0].drop("_seq").collect()
    # A key's row from the newest batch that has it wins (one batch holds a key at most once).
    newest = pl.col("_seq") == pl.col("_seq").max().over("row_key")
    return pl.concat(frames).filter(newest).drop("_seq").collect()
