"""One request's rows through the served arms: the answer per row and the records to keep.

The rows go through the batch job's own :class:`~workbench.scoring.batch.BatchScorer`
(contract check, training-range guard, ``inplace_predict``, routing, the review rows):
:meth:`~workbench.scoring.batch.BatchScorer.decide` when no reasons are asked for (the
scores, routing codes and review rows, without the output and log tables a batch job
writes and nobody here reads), :meth:`~workbench.scoring.batch.BatchScorer.score` when
they are. During a canary the rows split by :func:`~workbench.serving.rollout.canary_mask`
on their key; during a shadow the challenger scores every row and only its would-be
decision is kept beside the champion's (:func:`shadow_records`; the micro-batcher asks for
it later, off the response path, with ``shadow=False``). Nothing is written here: :mod:`.log` does that
before the answer leaves. The records are columns (one list per ``online_decisions``
column), which the writer inserts as they are.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.core.errors import ContractViolation, ValidationError
from workbench.scoring.values import Prepared
from workbench.serving.rollout import canary_mask
from workbench.serving.served import Arm, ServedModel

__all__ = ["RECORD_COLUMNS", "Decided", "decide_rows", "row_keys_of", "shadow_records", "shadowed", "time_ordered_ids"]

#: The ``online_decisions`` columns a request's records carry (the writer adds ``request_id``, ``created_at``).
RECORD_COLUMNS = (
    "id", "row", "name", "version", "arm", "served_by", "row_key", "score", "decision", "route", "rule",
    "reasons", "shadow", "input",
)  # fmt: skip


@dataclass
class Decided:
    """Answers in input order, the decision records as columns (row ``i`` of each is row ``i``'s record),
    and review rows per serving job."""

    answers: list[dict[str, Any]]
    records: dict[str, list[Any]]
    reviews: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    arms: dict[str, int] = field(default_factory=dict)
    table: Any = None  # the rows as one Arrow record batch (what a shadow left for later scores)

    @property
    def rows(self) -> int:
        return len(self.answers)


def time_ordered_ids(n: int) -> list[str]:
    """``n`` UUIDv7 ids (RFC 9562) as 32 hex digits: the millisecond, then 74 random bits.

    Decision and request ids are the log's primary keys. Random ids (uuid4) put each row's key on a
    random page of the index, so a 1,000-row commit rewrote most of the index's pages; ids that start
    with the time all go to its end, a few pages per commit."""
    prefix = f"{time.time_ns() // 1_000_000:012x}7"
    raw = os.urandom(10 * n).hex()
    variant = "89ab"
    return [
        f"{prefix}{raw[20 * i : 20 * i + 3]}{variant[int(raw[20 * i + 3], 16) & 3]}{raw[20 * i + 4 : 20 * i + 19]}"
        for i in range(n)
    ]


def _batch(data: Any) -> Any:
    """``data`` as one Arrow record batch, which the scorer reads as it is (a table it would rebuild)."""
    import pyarrow as pa

    if isinstance(data, pl.DataFrame):
        data = data.to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(data, pa.RecordBatch):
        return data
    assert isinstance(data, pa.Table)
    batches = data.to_batches()
    if len(batches) == 1:
        return batches[0]
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in data.columns], schema=data.schema)


def row_keys_of(table: Any, keys: tuple[str, ...]) -> list[str]:
    """Each row's key as review items and the decision log write it (``row:<i>`` without keys)."""
    if not keys or not all(k in table.column_names for k in keys):
        return [f"row:{i}" for i in range(table.num_rows)]
    if len(keys) == 1 and table.column(keys[0]).null_count == 0:
        import pyarrow as pa

        column = table.column(keys[0])
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            return [str(v) for v in column.to_pylist()]  # the text itself, as polars gives it
    frame = pl.from_arrow(table.select(list(keys)))
    assert isinstance(frame, pl.DataFrame)
    if len(keys) == 1:
        return [str(v) for v in frame.get_column(keys[0]).cast(pl.String).to_list()]
    return frame.select(pl.struct(list(keys)).struct.json_encode()).to_series().to_list()


def _labelled(arm: Arm, scores: np.ndarray, routed: Any) -> dict[str, list[Any]]:
    """Scores and routing codes as the answer's values (the labels the batch job's output carries)."""
    routing = arm.scorer.routing
    rules = np.asarray([*routing.rule_names, None], dtype=object)  # code -1: no rule fired
    return {
        "score": scores.astype(np.float32, copy=False).tolist(),
        "decision": np.asarray(routing.decision_labels, dtype=object)[routed.decision].tolist(),
        "route": np.asarray(routing.route_labels, dtype=object)[routed.route].tolist(),
        "rule": rules[routed.rule].tolist(),
    }


def _check_columns(arm: Arm, names: list[str]) -> None:
    try:
        arm.scorer.routing.check_columns(names)
    except ValidationError as exc:
        raise ContractViolation(exc.message, details=exc.details) from None


def _decide_part(arm: Arm, part: Any, reasons: bool) -> tuple[dict[str, list[Any]], Any, Prepared | None]:
    """One arm's answer columns, review rows and (without reasons) prepared batch, by the batch job's scorer."""
    scorer = arm.scorer_for(reasons)
    with arm.lock:  # a scorer rebinds to each batch's schema: one batch at a time per arm
        if not reasons:
            prepared = scorer.prepare(part, context="the request")
            scores, routed, review = scorer.decide(part, context="the request", prepared=prepared)
            return _labelled(arm, scores, routed), review, prepared
        result = scorer.score(part, first_row=0, context="the request")
    return _columns(result), result.review, None


def _score(arm: Arm, table: Any, rows: np.ndarray | None, reasons: bool) -> tuple[dict[str, list[Any]], Any, Any]:
    import pyarrow as pa

    part = table if rows is None else table.take(pa.array(rows))
    _check_columns(arm, part.column_names)
    if arm.role != "canary":
        return _decide_part(arm, part, reasons)
    try:  # the canary's guards count its failures and keep a window of its inputs (docs/rollout.md)
        decided = _decide_part(arm, part, reasons)
    except Exception:
        arm.health.record(part.num_rows, ok=False)
        raise
    inputs = pa.Table.from_batches([part.select(arm.scorer.columns(part.column_names))])
    arm.health.record(part.num_rows, ok=True, table=inputs)
    return decided


def _would_decide(arm: Arm, table: Any, prepared: Prepared | None = None) -> dict[str, list[Any]]:
    """A shadow's scores and would-be decisions: the batch path's contract check, prediction and routing,
    without the output, log or review rows nobody reads (:meth:`BatchScorer.route`). ``prepared`` is the
    champion's check and model input of the same rows, taken as the shadow's own when its contract and
    routing are the champion's (then they would be the same)."""
    _check_columns(arm, table.column_names)
    with arm.lock:
        scores, routed = arm.scorer.route(table, context="the request (shadow)", prepared=prepared)
    return _labelled(arm, scores, routed)


def _same_check(one: Arm, other: Arm) -> bool:
    """Whether two arms' scorers check and prepare a batch alike: equal contracts, routing and options."""
    a, b = one.scorer, other.scorer
    return a.contract == b.contract and a.bundle.routing == b.bundle.routing and a.options == b.options


def _columns(result: Any) -> dict[str, list[Any]]:
    out = {name: result.table.column(name).to_pylist() for name in ("score", "decision", "route")}
    out["rule"] = result.log.column("rule").to_pylist()
    reason_names = [n for n in result.table.column_names if n.startswith("reason_") and not n.endswith("_value")]
    if reason_names:
        names = [result.table.column(n).to_pylist() for n in reason_names]
        values = [result.table.column(f"{n}_value").to_pylist() for n in reason_names]
        out["reasons"] = [
            [{"feature": f, "contribution": v} for f, v in zip(fs, vs, strict=True) if f is not None]
            for fs, vs in zip(zip(*names, strict=True), zip(*values, strict=True), strict=True)
        ]
    return out


def _review(arm: Arm, review: pl.DataFrame | None, index: np.ndarray, ids: list[str]) -> list[dict[str, Any]]:
    if review is None:
        return []
    rows = []
    for item in review.to_dicts():
        original = int(index[int(item["row_index"])])
        detail = json.loads(item["detail"]) if item.get("detail") else {}
        rows.append(
            {
                "job_id": arm.job_id,
                "row_key": item["row_key"],
                "score": float(item["score"]),
                "leaning": item["leaning"],
                "reasons": item.get("reasons") or [],
                "rule": item.get("rule"),
                "status": "open",
                "row_index": original,
                "detail": {**detail, "decision_id": ids[original]},
            }
        )
    return rows


def _logged(table: Any, arm: Arm) -> list[dict[str, Any]] | None:
    names = [c for c in arm.bundle.logged if c in table.column_names]
    if not names:
        return None
    return table.select(names).to_pylist()


def _place(column: list[Any], index: list[int], values: list[Any]) -> None:
    for i, v in zip(index, values, strict=True):
        column[i] = v


def shadowed(served: ServedModel) -> bool:
    """Whether ``served``'s challenger is a shadow (it scores every row and decides nothing)."""
    return served.challenger is not None and served.rollout is not None and served.rollout.mode == "shadow"


def shadow_records(served: ServedModel, data: Any, prepared: Prepared | None = None) -> list[dict[str, Any]]:
    """The shadow's would-be decision per row of ``data`` (the ``shadow`` column of their records).
    ``prepared``: the champion's check of the same rows, reused when the two arms would check alike."""
    champion, challenger = served.champion, served.challenger
    assert challenger is not None
    shared = prepared if prepared is not None and _same_check(champion, challenger) else None
    shadow = _would_decide(challenger, _batch(data), shared)
    version = challenger.version
    return [
        {"version": version, "score": s, "decision": d, "route": r, "rule": u}
        for s, d, r, u in zip(shadow["score"], shadow["decision"], shadow["route"], shadow["rule"], strict=True)
    ]


def decide_rows(served: ServedModel, data: Any, *, reasons: bool = False, shadow: bool = True) -> Decided:
    """Score ``data`` (a polars frame, an Arrow table or record batch) through ``served``'s arms.
    ``shadow=False`` leaves a shadow's records out (None): the caller scores them later from ``table``."""
    table = _batch(data)
    n = table.num_rows
    champion, challenger = served.champion, served.challenger
    keys = row_keys_of(table, champion.contract.keys)
    ids = time_ordered_ids(n)
    everyone = np.arange(n)
    parts: list[tuple[Arm, np.ndarray]] = [(champion, everyone)]
    if challenger is not None and served.rollout is not None and served.rollout.mode == "canary":
        mask = canary_mask(keys, served.rollout.share, model=served.name, salt=served.rollout.salt)
        parts = [(champion, everyone[~mask]), (challenger, everyone[mask])]
    logged = _logged(table, champion)
    nothing: list[Any] = [None] * n
    records: dict[str, list[Any]] = {
        "id": ids, "row": list(range(n)), "row_key": keys, "shadow": nothing, "input": logged or nothing,
    }  # fmt: skip
    decided = Decided([], records, table=table)
    explained = False
    champion_prepared: Prepared | None = None
    for arm, index in parts:
        if not index.size:
            continue
        cols, review, prepared = _score(arm, table, None if index.size == n else index, reasons)
        if arm is champion and index.size == n:
            champion_prepared = prepared
        decided.arms[arm.role] = int(index.size)
        explained = explained or "reasons" in cols
        constant = {"name": arm.name, "version": arm.version, "arm": arm.role, "served_by": arm.job_id}
        if index.size == n:  # one arm decides every row: its columns are the records' columns
            records.update({k: [v] * n for k, v in constant.items()})
            records.update({k: cols[k] for k in ("score", "decision", "route", "rule")})
            records["reasons"] = cols.get("reasons", nothing)
        else:
            at = index.tolist()
            for name in (*constant, "score", "decision", "route", "rule", "reasons"):
                given = [constant[name]] * len(at) if name in constant else cols.get(name) or [None] * len(at)
                _place(records.setdefault(name, [None] * n), at, given)
        review_rows = _review(arm, review, index, ids)
        if review_rows:
            decided.reviews.append((arm.job_id, review_rows))
    if shadow and shadowed(served):
        records["shadow"] = shadow_records(served, table, champion_prepared)
        decided.arms["shadow"] = n
    decided.answers = _answers(records, reasons=explained)
    return decided


def _answers(records: dict[str, list[Any]], *, reasons: bool) -> list[dict[str, Any]]:
    """The answer per row, from its record."""
    names = ("row_key", "score", "decision", "route", "rule", "name", "version", "arm", "id")
    answers = [
        {"key": k, "score": s, "decision": d, "route": r, "rule": u, "model": m, "version": v, "arm": a,
         "decision_id": i}
        for k, s, d, r, u, m, v, a, i in zip(*(records[c] for c in names), strict=True)
    ]  # fmt: skip
    if reasons:
        for answer, given in zip(answers, records["reasons"], strict=True):
            answer["reasons"] = given
    return answers
