"""``outcomes add``: ground truth for a model's decisions, idempotent and audited.

A file (Parquet or CSV) or a polars frame gives one outcome per row: the key columns,
the label (0 or 1, or a boolean) and optionally when it was observed. The whole input is
checked first and refused with one error naming the rows and columns at fault (missing
columns, keys that are not the model's, empty or duplicate keys, labels outside the
task's classes, times that are not times); nothing is written then.

Against the outcomes recorded so far, each row is *added* (a new key), *unchanged* (same
label: a no-op) or *revised* (another label: a new revision). When anything changed, the
added and revised rows are stored as one content-addressed artifact and recorded as the
model's next outcome batch, with an ``outcomes.add`` audit event naming the batch's
digest, the counts and the revised keys, in one transaction. Keys that match no logged
decision are reported (count and the first few) and kept: a later job may decide them.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict, ValidationError
from workbench.postmarket.decisions import current_outcomes, model_keys, require_model, row_key, scan_decisions
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.serving.online_log import online_row_keys
from workbench.store.schema import models, outcome_batches

__all__ = ["OutcomesAdded", "add_outcomes"]

_SHOWN = 10  # rows or keys named in a message or an event


@dataclass(frozen=True)
class OutcomesAdded:
    """What one ``outcomes add`` did."""

    model: str
    rows: int
    added: int
    revised: int
    unchanged: int
    matched: int
    unmatched: int
    unmatched_keys: tuple[str, ...]
    batch: int | None  # the recorded batch's number, None when nothing changed
    digest: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unmatched_keys"] = list(self.unmatched_keys)
        return data


def _rows(mask: pl.Series) -> str:
    """1-based row numbers where ``mask`` holds, the first few."""
    found = [str(i + 1) for i in mask.arg_true().head(_SHOWN).to_list()]
    more = int(mask.sum()) - len(found)
    return ", ".join(found) + (f" and {more} more" if more > 0 else "")


def _read(source: str | os.PathLike[str] | pl.DataFrame) -> tuple[pl.DataFrame, str, str]:
    """The input as a frame, its name and the sha256 of its bytes (of its Parquet form for a frame)."""
    if isinstance(source, pl.DataFrame):
        buffer = io.BytesIO()
        source.write_parquet(buffer)
        return source, "<frame>", hashlib.sha256(buffer.getvalue()).hexdigest()
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"Outcome file {path} does not exist. Give a Parquet or CSV file of outcomes.")
    data = path.read_bytes()
    try:
        if path.suffix.lower() in {".csv", ".txt"}:
            frame = pl.read_csv(io.BytesIO(data), infer_schema_length=None)
        else:
            frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several types for unreadable input
        raise ValidationError(f"Cannot read outcome file {path} ({exc}). Give a Parquet or CSV file.") from None
    return frame, str(path), hashlib.sha256(data).hexdigest()


def _labels(frame: pl.DataFrame, label: str) -> pl.Series:
    column = frame.get_column(label)
    if column.dtype == pl.Boolean:
        values = column.cast(pl.Int8)
    elif column.dtype.is_numeric():
        values = column.cast(pl.Float64)
    else:
        raise ValidationError(
            f"Label column {label!r} holds {column.dtype} values; outcomes of a binary classifier are 0 or 1 "
            "(or true/false). Convert the column and add the file again."
        )
    bad = values.is_null() | ~values.is_in([0.0, 1.0])
    if bad.any():
        shown = column.filter(bad).head(_SHOWN).to_list()
        raise ValidationError(
            f"Label column {label!r} has values outside the task's classes (0, 1) in row(s) {_rows(bad)}: "
            f"{shown}. Nothing was recorded; fix those rows and add the file again.",
            details={"column": label, "rows": (bad.arg_true().head(_SHOWN) + 1).to_list()},
        )
    return values.cast(pl.Int8)


def _observed(frame: pl.DataFrame, column: str | None) -> pl.Series:
    if column is None:
        return pl.Series("observed_at", [None] * frame.height, dtype=pl.Datetime("us", "UTC"))
    values = frame.get_column(column)
    if values.dtype == pl.String:
        parsed = values.str.to_datetime(strict=False, time_zone="UTC")
    elif values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
        parsed = values.cast(pl.Datetime("us"))
        parsed = parsed.dt.replace_time_zone("UTC") if parsed.dtype.time_zone is None else parsed  # type: ignore[attr-defined]
    else:
        raise ValidationError(
            f"Column {column!r} (--observed-at) holds {values.dtype} values, not times. Give ISO dates or times."
        )
    bad = parsed.is_null() & values.is_not_null()
    if bad.any():
        raise ValidationError(
            f"Column {column!r} (--observed-at) has values that are not times in row(s) {_rows(bad)}: "
            f"{values.filter(bad).head(_SHOWN).to_list()}. Nothing was recorded.",
            details={"column": column, "rows": (bad.arg_true().head(_SHOWN) + 1).to_list()},
        )
    return parsed.cast(pl.Datetime("us", "UTC")).alias("observed_at")


def _checked(
    frame: pl.DataFrame, name: str, keys: Sequence[str], expected: Sequence[str], label: str, observed_at: str | None
) -> pl.DataFrame:
    """The input as ``row_key``, the key columns, ``label`` and ``observed_at``, or a ValidationError."""
    wanted = [*keys, label, *([observed_at] if observed_at else [])]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"The outcome input lacks column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}.",
            details={"columns": missing},
        )
    if expected and sorted(keys) != sorted(expected):
        raise ValidationError(
            f"Decisions of {name} are keyed by {', '.join(expected)}, so outcomes must be too "
            f"(--key {' --key '.join(expected)}); got --key {' --key '.join(keys) or '(none)'}."
        )
    if not keys:
        raise ValidationError("Give the key column(s) that identify each decided row (--key COL).")
    keyed = frame.select(row_key(list(expected or keys)))
    empty = frame.select(pl.any_horizontal(pl.col(list(keys)).is_null())).to_series()
    if empty.any():
        raise ValidationError(
            f"Key column(s) {', '.join(keys)} are empty in row(s) {_rows(empty)}. Nothing was recorded.",
            details={"columns": list(keys), "rows": (empty.arg_true().head(_SHOWN) + 1).to_list()},
        )
    duplicate = keyed.to_series().is_duplicated()
    if duplicate.any():
        raise ValidationError(
            f"Row(s) {_rows(duplicate)} repeat a key ({', '.join(keys)}): one outcome per key in a file. "
            "Nothing was recorded.",
            details={"columns": list(keys), "rows": (duplicate.arg_true().head(_SHOWN) + 1).to_list()},
        )
    return pl.DataFrame(
        [keyed.to_series(), _labels(frame, label).alias("label"), _observed(frame, observed_at)],
    )


def add_outcomes(
    workspace: Workspace,
    model: str,
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    keys: Sequence[str],
    label: str,
    observed_at: str | None = None,
) -> OutcomesAdded:
    """Record the outcomes in ``source`` for ``model``'s decisions (see the module docstring)."""
    acting = authorize(workspace, "record-outcomes")
    workspace = workspace.with_identity(acting.identity)
    keys = [keys] if isinstance(keys, str) else list(keys)
    with workspace.read() as conn:
        require_model(conn, model)
        expected = model_keys(conn, model)
    if not isinstance(source, pl.DataFrame):
        # Relative to the project, as every path argument is, and confined to it (or an allowed folder).
        source = workspace.project.resolve_inside(source, "outcome file")
    frame, source_name, source_digest = _read(source)
    incoming = _checked(frame, model, keys, expected, label, observed_at)
    # The incoming keys that a batch job or the service decided: the logs are scanned and semi-joined
    # against the incoming keys, so no set of every decided key is ever built.
    batch = (
        scan_decisions(workspace, model, columns=[])
        .select("row_key")
        .join(incoming.lazy().select("row_key"), on="row_key", how="semi")
        .collect(engine="streaming")
        .get_column("row_key")
    )
    decided = pl.concat([batch, online_row_keys(workspace, model)])
    matched_mask = incoming.get_column("row_key").is_in(decided.implode())
    unmatched_keys = tuple(incoming.get_column("row_key").filter(~matched_mask).head(_SHOWN).to_list())
    with workspace.transaction() as tx:
        # Lock the model's row (PostgreSQL), so two adds for one model compare against each other's result.
        tx.conn.execute(sa.select(models.c.name).where(models.c.name == model).with_for_update())
        before = current_outcomes(workspace, model, tx.conn).select(
            "row_key", pl.col("label").alias("previous"), pl.col("revision").alias("previous_revision")
        )
        joined = incoming.join(before, on="row_key", how="left")
        new = joined.filter(pl.col("previous").is_null())
        revised = joined.filter(pl.col("previous").is_not_null() & (pl.col("previous") != pl.col("label")))
        changed = pl.concat([new, revised]).with_columns(
            pl.col("previous_revision").fill_null(0).add(1).cast(pl.Int32).alias("revision")
        )
        result = dict(
            model=model,
            rows=incoming.height,
            added=new.height,
            revised=revised.height,
            unchanged=incoming.height - new.height - revised.height,
            matched=int(matched_mask.sum()),
            unmatched=int((~matched_mask).sum()),
            unmatched_keys=unmatched_keys,
        )
        if changed.is_empty():
            return OutcomesAdded(**result, batch=None, digest=None)  # type: ignore[arg-type]
        buffer = io.BytesIO()
        changed.select("row_key", "label", "observed_at", "revision", pl.col("previous").alias("previous_label")).sort(
            "row_key"
        ).write_parquet(buffer, compression="zstd")
        ref = workspace.artifacts.put_bytes(
            buffer.getvalue(), name=f"outcomes of {model}", media_type="application/vnd.apache.parquet"
        )
        seq = (
            int(
                tx.conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(outcome_batches.c.seq), 0)).where(
                        outcome_batches.c.name == model
                    )
                ).scalar()
                or 0
            )
            + 1
        )
        try:
            tx.conn.execute(
                outcome_batches.insert().values(
                    name=model,
                    seq=seq,
                    digest=ref.digest,
                    keys=list(expected or keys),
                    source=source_name,
                    source_digest=source_digest,
                    rows=incoming.height,
                    added=result["added"],
                    revised=result["revised"],
                    unchanged=result["unchanged"],
                    unmatched=result["unmatched"],
                    recorded_at=utcnow(),
                    actor=tx.actor,
                )
            )
        except sa.exc.IntegrityError:
            raise Conflict(
                f"Another `outcomes add` for {model} was recorded at the same time; run this one again."
            ) from None
        tx.record(
            "outcomes.add",
            f"model:{model}",
            {
                "batch": seq,
                "digest": ref.digest,
                "source": source_name,
                "source_digest": source_digest,
                **{k: result[k] for k in ("rows", "added", "revised", "unchanged", "matched", "unmatched")},
                "unmatched_keys": list(unmatched_keys),
                "revisions": revised.head(_SHOWN)
                .select("row_key", pl.col("previous").alias("from"), pl.col("label").alias("to"))
                .to_dicts(),
            },
        )
    return OutcomesAdded(**result, batch=seq, digest=ref.digest)  # type: ignore[arg-type]
