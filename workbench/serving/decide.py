"""One request's rows through the served arms: the answer per row and the records to keep.

The rows go through :meth:`workbench.scoring.batch.BatchScorer.score`, the batch job's own
path (contract check, training-range guard, ``inplace_predict``, routing, reasons, the
review rows). During a canary the rows split by :func:`~workbench.serving.rollout.canary_mask`
on their key; during a shadow the challenger scores every row and only its would-be
decision is kept beside the champion's. Nothing is written here: :mod:`.log` does that
before the answer leaves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.core.errors import ContractViolation, ValidationError
from workbench.serving.rollout import canary_mask
from workbench.serving.served import Arm, ServedModel

__all__ = ["Decided", "decide_rows", "row_keys_of"]


@dataclass
class Decided:
    """Answers in input order, one decision record per row, and review rows per serving job."""

    answers: list[dict[str, Any]]
    records: list[dict[str, Any]]
    reviews: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    arms: dict[str, int] = field(default_factory=dict)


def _table(data: Any) -> Any:
    import pyarrow as pa

    if isinstance(data, pl.DataFrame):
        return data.to_arrow(compat_level=pl.CompatLevel.oldest())
    assert isinstance(data, pa.Table)
    return data.combine_chunks()


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


def _score(arm: Arm, table: Any, rows: np.ndarray | None, reasons: bool) -> Any:
    import pyarrow as pa

    part = table if rows is None else table.take(pa.array(rows))
    scorer = arm.scorer_for(reasons)
    try:
        scorer.routing.check_columns(part.column_names)
    except ValidationError as exc:
        raise ContractViolation(exc.message, details=exc.details) from None
    if arm.role != "canary":
        with arm.lock:  # a scorer rebinds to each batch's schema: one batch at a time per arm
            return scorer.score(part, first_row=0, context="the request")
    try:  # the canary's guards count its failures and keep a window of its inputs (docs/rollout.md)
        with arm.lock:
            result = scorer.score(part, first_row=0, context="the request")
    except Exception:
        arm.health.record(part.num_rows, ok=False)
        raise
    arm.health.record(part.num_rows, ok=True, table=part.select(scorer.columns(part.column_names)))
    return result


def _would_decide(arm: Arm, table: Any) -> dict[str, list[Any]]:
    """A shadow's scores and would-be decisions: the batch path's contract check, prediction and routing,
    without the output, log or review rows nobody reads (:meth:`BatchScorer.route`)."""
    routing = arm.scorer.routing
    try:
        routing.check_columns(table.column_names)
    except ValidationError as exc:
        raise ContractViolation(exc.message, details=exc.details) from None
    with arm.lock:
        scores, routed = arm.scorer.route(table, context="the request (shadow)")
    decisions, routes, rules = routing.decision_labels, routing.route_labels, routing.rule_names
    return {
        "score": scores.tolist(),
        "decision": [decisions[c] for c in routed.decision.tolist()],
        "route": [routes[c] for c in routed.route.tolist()],
        "rule": [rules[c] if c >= 0 else None for c in routed.rule.tolist()],
    }


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


def _review(arm: Arm, result: Any, index: np.ndarray, ids: list[str]) -> list[dict[str, Any]]:
    if result.review is None:
        return []
    rows = []
    for item in result.review.to_dicts():
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


def decide_rows(served: ServedModel, data: Any, *, reasons: bool = False) -> Decided:
    """Score ``data`` (a polars frame or Arrow table) through ``served``'s arms."""
    table = _table(data)
    n = table.num_rows
    champion, challenger = served.champion, served.challenger
    keys = row_keys_of(table, champion.contract.keys)
    raw = os.urandom(16 * n).hex()  # random ids as uuid4().hex gives, without an object per row
    ids = [raw[32 * i : 32 * i + 32] for i in range(n)]
    everyone = np.arange(n)
    parts: list[tuple[Arm, np.ndarray]] = [(champion, everyone)]
    if challenger is not None and served.rollout is not None and served.rollout.mode == "canary":
        mask = canary_mask(keys, served.rollout.share, model=served.name, salt=served.rollout.salt)
        parts = [(champion, everyone[~mask]), (challenger, everyone[mask])]
    answers: list[dict[str, Any]] = [{} for _ in range(n)]
    records: list[dict[str, Any]] = [{} for _ in range(n)]
    decided = Decided(answers, records)
    logged = _logged(table, champion)
    for arm, index in parts:
        if not index.size:
            continue
        result = _score(arm, table, None if index.size == n else index, reasons)
        cols = _columns(result)
        decided.arms[arm.role] = int(index.size)
        for j, i in enumerate(index.tolist()):
            answer = {
                "key": keys[i],
                "score": cols["score"][j],
                "decision": cols["decision"][j],
                "route": cols["route"][j],
                "rule": cols["rule"][j],
                "model": arm.name,
                "version": arm.version,
                "arm": arm.role,
                "decision_id": ids[i],
            }
            if "reasons" in cols:
                answer["reasons"] = cols["reasons"][j]
            answers[i] = answer
            records[i] = {
                "id": ids[i],
                "row": i,
                "name": arm.name,
                "version": arm.version,
                "arm": arm.role,
                "served_by": arm.job_id,
                "row_key": keys[i],
                "score": float(cols["score"][j]),
                "decision": cols["decision"][j],
                "route": cols["route"][j],
                "rule": cols["rule"][j],
                "reasons": cols.get("reasons", [None] * index.size)[j],
                "shadow": None,
                "input": logged[i] if logged else None,
            }
        review = _review(arm, result, index, ids)
        if review:
            decided.reviews.append((arm.job_id, review))
    if challenger is not None and served.rollout is not None and served.rollout.mode == "shadow":
        shadow = _would_decide(challenger, table)
        for i in range(n):
            records[i]["shadow"] = {
                "version": challenger.version,
                "score": float(shadow["score"][i]),
                "decision": shadow["decision"][i],
                "route": shadow["route"][i],
                "rule": shadow["rule"][i],
            }
        decided.arms["shadow"] = n
    return decided
