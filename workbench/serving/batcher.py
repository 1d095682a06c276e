"""Micro-batching: concurrent JSON requests decided together, each answered as if alone.

Under load many requests wait while one is decided. :class:`MicroBatcher`'s thread takes
every request waiting (up to ``max_rows`` rows), and decides those that agree on what
shapes a batch (the same served arms, the same columns present, the same ``reasons``
flag) as one batch through :func:`~workbench.serving.decide.decide_rows`: one contract
check, one ``inplace_predict``, one routing pass. Every step of that path is row by row
(the contract's checks, the training-range guard, the prediction, the rules, the canary's
hash of the key), so a row's decision does not depend on its neighbours; when a merged
batch fails at all (a contract violation, a bad value), each request is decided again on
its own, so an error reaches only the request that caused it, word for word as before.

Requests reach the thread in the groups the event loop parsed them in: the loop gathers the
requests of one turn and hands them over together at the start of its next turn, so a batch
is not split because the thread woke at the first of several requests that arrived together.
Each request's share (its answers, records and review items, row indexes its own) goes to
the :class:`~workbench.serving.log.DecisionWriter` as one pending request, all of a batch's
requests at once (one commit for the batch); the writer commits them and only then resolves
the requests' futures. Alone, a request waits for nothing: the batch is simply one request.

During a shadow rollout the challenger decides nothing, so its would-be decisions stay off
the response path: :class:`ShadowLane`'s thread scores, in one pass, every batch decided
in a short window (``wait_s`` from the first; its contract check and prediction paid once for
all of them) and hands the records to the writer, which fills their rows' ``shadow`` column
(:mod:`.log`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.contracts import InputContract
from workbench.core.errors import WorkbenchError
from workbench.serving.decide import Decided, decide_rows, shadow_records, shadowed, time_ordered_ids
from workbench.serving.log import DecisionWriter, Pending, ShadowRecords, settle, take_waiting
from workbench.serving.online_features import with_online_features
from workbench.serving.rows import present_columns, rows_table
from workbench.serving.served import ServedModel

__all__ = ["Incoming", "MicroBatcher", "ShadowLane"]

log = logging.getLogger("workbench.serve")

Reviews = tuple[str, list[dict[str, Any]]]  # a serving job's review rows


@dataclass
class Incoming:
    """One authenticated JSON request waiting to be decided."""

    token_id: str
    idempotency_key: str | None
    served: ServedModel
    rows: list[dict[str, Any]]
    columns: tuple[str, ...]
    reasons: bool
    future: asyncio.Future[dict[str, Any]]
    loop: asyncio.AbstractEventLoop

    @property
    def shape(self) -> tuple[int, tuple[str, ...], bool]:
        return (id(self.served), self.columns, self.reasons)


Share = tuple[Incoming, list[dict[str, Any]], dict[str, list[Any]], list[Reviews]]  # a request's part of a batch


def _split(decided: Decided, start: int, stop: int) -> tuple[list[Any], dict[str, list[Any]], list[Reviews]]:
    """Rows ``start:stop`` of a merged batch, with row indexes counted from the request's first row."""
    records = {name: column[start:stop] for name, column in decided.records.items()}
    records["row"] = list(range(stop - start))
    reviews = []
    for job_id, items in decided.reviews:
        mine = [{**i, "row_index": i["row_index"] - start} for i in items if start <= i["row_index"] < stop]
        if mine:
            reviews.append((job_id, mine))
    return decided.answers[start:stop], records, reviews


@dataclass
class _Shadowed:
    """Rows the champion decided whose shadow's records are still to come."""

    served: ServedModel
    table: Any  # an Arrow record batch
    ids: list[str]

    @property
    def shape(self) -> tuple[int, Any]:
        return (id(self.served), self.table.schema)


class ShadowLane:
    """The worker's one thread that scores shadows after the champion's answers have left."""

    def __init__(self, writer: DecisionWriter, *, max_rows: int = 4096, wait_s: float = 0.05) -> None:
        self.writer = writer
        self.max_rows = max_rows
        self.wait_s = wait_s
        self._queue: queue.SimpleQueue[_Shadowed | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="workbench-shadow-lane", daemon=True)
        self._thread.start()

    def put(self, served: ServedModel, decided: Decided) -> None:
        self._queue.put(_Shadowed(served, decided.table, decided.records["id"]))

    def close(self) -> None:
        """Score what waits, then stop (before the writer closes)."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            time.sleep(self.wait_s)  # nobody waits for a shadow: let a window's batches gather, scored at once
            waiting = take_waiting(self._queue, first, self.max_rows, size=lambda item: item.table.num_rows)
            groups: dict[tuple[int, Any], list[_Shadowed]] = {}
            for item in waiting:
                groups.setdefault(item.shape, []).append(item)
            for group in groups.values():
                try:
                    self._score(group)
                except Exception:  # each batch on its own, so one that fails leaves only its rows without
                    for item in group if len(group) > 1 else ():
                        with contextlib.suppress(Exception):
                            self._score([item])
                    log.warning("workbench serve: a shadow could not score a batch", exc_info=True)

    def _score(self, group: list[_Shadowed]) -> None:
        import pyarrow as pa

        table = group[0].table if len(group) == 1 else pa.concat_batches([item.table for item in group])
        records = shadow_records(group[0].served, table)
        self.writer.put_shadows(ShadowRecords([i for item in group for i in item.ids], records))


class MicroBatcher:
    """The worker's one decider thread for JSON requests."""

    def __init__(
        self,
        writer: DecisionWriter,
        *,
        max_rows: int = 512,
        on_decided: Callable[[str, list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.writer = writer
        self.max_rows = max_rows
        self.on_decided = on_decided
        self.batches = 0
        self.shadows = ShadowLane(writer)
        self._queue: queue.SimpleQueue[list[Incoming] | None] = queue.SimpleQueue()
        self._gathered: list[Incoming] = []  # this turn of the event loop's requests, handed over at its end
        self._thread = threading.Thread(target=self._run, name="workbench-micro-batcher", daemon=True)
        self._thread.start()

    async def decide(self, item: Incoming) -> dict[str, Any]:
        """Decide ``item`` (with whatever else is waiting) and return its answer once committed."""
        if not self._gathered:
            item.loop.call_soon(self._hand_gathered)
        self._gathered.append(item)
        return await item.future

    def _hand_gathered(self) -> None:
        gathered, self._gathered = self._gathered, []
        self._queue.put(gathered)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self.shadows.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            waiting = take_waiting(
                self._queue, first, self.max_rows, size=lambda items: sum(len(i.rows) for i in items)
            )
            groups: dict[tuple[int, tuple[str, ...], bool], list[Incoming]] = {}
            for items in waiting:
                for item in items:
                    groups.setdefault(item.shape, []).append(item)
            for group in groups.values():
                try:
                    self._decide_group(group)
                except Exception as exc:  # the thread must outlive any request: those not answered get 500
                    log.exception("workbench serve: a micro-batch failed")
                    for item in group:
                        settle(item.future, item.loop, error=exc)

    def _decide_group(self, group: list[Incoming]) -> None:
        if len(group) > 1:
            try:
                decided = self._decide([row for item in group for row in item.rows], group[0])
            except Exception:  # the merged batch failed: each request on its own, so only its cause fails
                decided = None
            if decided is not None:
                shares, start = [], 0
                for item in group:
                    shares.append((item, *_split(decided, start, start + len(item.rows))))
                    start += len(item.rows)
                self._hand_over(shares, decided.answers)
                self._shadow(group[0].served, decided)
                return
        for item in group:
            try:
                decided = self._decide(item.rows, item)
            except WorkbenchError as exc:
                settle(item.future, item.loop, error=exc)
            except Exception as exc:  # answered 500 by the app; the worker keeps serving
                log.exception("workbench serve: deciding a request failed")
                settle(item.future, item.loop, error=exc)
            else:
                self._hand_over([(item, decided.answers, decided.records, decided.reviews)], decided.answers)
                self._shadow(item.served, decided)

    def _shadow(self, served: ServedModel, decided: Decided) -> None:
        if shadowed(served):  # after the hand-over: the writer has the rows before their shadow's records
            self.shadows.put(served, decided)

    def _decide(self, rows: list[dict[str, Any]], like: Incoming) -> Decided:
        served = like.served
        contract: InputContract = served.champion.contract
        self.batches += 1  # batches decided (a merged batch that failed counts, and so does each retry)
        columns = like.columns
        if served.features:  # keys only: the version's feature set from the online store, one lookup
            rows = with_online_features(self.writer.workspace, served.features, rows)
            columns = present_columns(rows, served.wanted)
        return decide_rows(served, rows_table(rows, contract, columns), reasons=like.reasons, shadow=False)

    def _hand_over(self, shares: list[Share], answers: list[dict[str, Any]]) -> None:
        """The requests of one batch to the writer, together (``answers``: all of theirs, for the metrics)."""
        name = shares[0][0].served.name
        if self.on_decided is not None:
            self.on_decided(name, answers)
        pendings = []
        for (item, mine, records, reviews), request_id in zip(shares, time_ordered_ids(len(shares)), strict=True):
            response = {"model": name, "request_id": request_id, "decisions": mine}
            pending = Pending(request_id, item.token_id, item.idempotency_key, name, response, records, reviews)
            pending.future, pending.loop = item.future, item.loop
            pendings.append(pending)
        self.writer.put_all(pendings)
