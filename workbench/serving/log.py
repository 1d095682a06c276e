"""Durable online decisions: nothing is acknowledged before its records are committed.

Each request's records (one ``online_decisions`` row per row it decided, its review items,
and its ``online_requests`` row) are handed to :class:`DecisionWriter` (a micro-batch's
requests together), whose one thread commits whatever requests are waiting in one
transaction (group commit: under load many requests share one commit, alone a request waits
for its own) and only then resolves the requests' futures (one call into each event loop per
commit), so a 200 leaves only after the commit. A crash before the commit loses
the request and its answer together; the client saw no 200 and retries.

A shadow's would-be decisions scored off the response path (:class:`~.batcher.ShadowLane`)
come as :class:`ShadowRecords` and fill the ``shadow`` column of rows already committed, in a
transaction of their own after the requests taken with them: the champion's decision is
durable before its 200, the shadow's beside it moments later (a crash in between leaves that
row's shadow empty, as for a row the shadow failed to score).

An ``Idempotency-Key`` (per token) is unique in ``online_requests``: a retry finds the
first answer there and gets it back (:meth:`DecisionWriter.first_answer`); two copies in
flight at once meet at the unique constraint, and the second gets the first's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.clock import utcnow
from workbench.core.errors import DatabaseUnavailable
from workbench.project.workspace import Workspace
from workbench.store.schema import online_decisions, online_requests, review_items

__all__ = ["DecisionWriter", "Pending", "ShadowRecords", "settle"]

_GROUP = 64

log = logging.getLogger("workbench.serve")


def take_waiting(
    waiting: queue.SimpleQueue[Any], first: Any, room: int, size: Callable[[Any], int] = lambda _: 1
) -> list[Any]:
    """``first`` and what else already waits in ``waiting``, until the items' ``size`` reaches ``room``.
    A stop marker (None) met on the way is put back, so the thread stops after this turn."""
    taken, used = [first], size(first)
    while used < room:
        try:
            more = waiting.get_nowait()
        except queue.Empty:
            break
        if more is None:
            waiting.put(None)
            break
        taken.append(more)
        used += size(more)
    return taken


_CACHE_KIB = 32 * 1024  # the writer's SQLite page cache


@dataclass
class Pending:
    """One request's records waiting for the writer."""

    request_id: str
    token_id: str
    idempotency_key: str | None
    name: str
    response: dict[str, Any]
    records: dict[str, list[Any]]  # online_decisions columns (decide.RECORD_COLUMNS), a value per row
    reviews: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    future: asyncio.Future[dict[str, Any]] | None = None
    loop: asyncio.AbstractEventLoop | None = None


@dataclass
class ShadowRecords:
    """A shadow's would-be decisions for rows already handed to the writer: ``shadow[i]`` is row ``ids[i]``'s."""

    ids: list[str]
    shadow: list[dict[str, Any]]


def _stored(conn: Any, token_id: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        sa.select(online_requests.c.response).where(
            online_requests.c.token_id == token_id, online_requests.c.idempotency_key == key
        )
    ).first()
    return None if row is None else dict(row.response or {})


class DecisionWriter:
    """The service's one writer of decision records (one per worker process)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._conn: Connection | None = None  # the writer thread's own, kept open between commits
        self._queue: queue.SimpleQueue[list[Pending] | ShadowRecords | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="workbench-decision-writer", daemon=True)
        self.commits = 0
        self._thread.start()

    def first_answer(self, token_id: str, key: str) -> dict[str, Any] | None:
        with self.workspace.read() as conn:
            return _stored(conn, token_id, key)

    async def write(self, pending: Pending) -> dict[str, Any]:
        """Commit ``pending``'s records; returns the answer to send (the first one, for a repeated key)."""
        loop = asyncio.get_running_loop()
        pending.loop, pending.future = loop, loop.create_future()
        self._queue.put([pending])
        return await pending.future

    def put_all(self, pendings: list[Pending]) -> None:
        """Queue ``pendings``, whose futures and loops are set, from any thread (committed together
        unless one of them fails the commit)."""
        self._queue.put(pendings)

    def put_shadows(self, records: ShadowRecords) -> None:
        """Queue a shadow's records of rows queued before (from any thread)."""
        self._queue.put(records)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            taken = take_waiting(
                self._queue, first, _GROUP, size=lambda item: len(item) if isinstance(item, list) else 1
            )
            group = [pending for item in taken if isinstance(item, list) for pending in item]
            if group:
                self._commit_group(group)
            shadows = [item for item in taken if isinstance(item, ShadowRecords)]
            if shadows:  # after the rows they belong to, which came before them
                self._fill_shadows(shadows)
        if self._conn is not None:
            self._conn.close()

    def _commit_group(self, group: list[Pending]) -> None:
        try:
            answers = self._commit(group)
        except Exception as exc:
            self._close_connection()  # a fresh connection for the next group, whatever broke
            if len(group) == 1:
                _resolve(group[0], error=exc)
                return
            for pending in group:  # one bad apple (a duplicate key raced in): each on its own
                self._commit_group([pending])
            return
        _resolve_all(group, answers)

    def _commit(self, group: list[Pending]) -> list[dict[str, Any]]:
        now = utcnow()
        answers: list[dict[str, Any]] = []
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        with _translated(), conn.begin():  # BEGIN IMMEDIATE on SQLite, as every write transaction
            requests, decided, reviews = [], [], []
            for pending in group:
                if pending.idempotency_key is not None:
                    first = _stored(conn, pending.token_id, pending.idempotency_key)
                    if first is not None:
                        answers.append({**first, "replayed": True})
                        continue
                answers.append(pending.response)
                decided.append(pending)
                requests.append(
                    {
                        "id": pending.request_id,
                        "token_id": pending.token_id,
                        "idempotency_key": pending.idempotency_key,
                        "name": pending.name,
                        "rows": len(pending.records["id"]),
                        "response": pending.response if pending.idempotency_key is not None else None,
                        "created_at": now,
                    }
                )
                reviews += [{**item, "created_at": now} for _, items in pending.reviews for item in items]
            if requests:
                _insert_requests(conn, requests, now)
            if decided:
                _insert_decisions(conn, decided, now)
            if reviews:
                conn.execute(review_items.insert(), reviews)
        self.commits += 1
        return answers

    def _fill_shadows(self, shadows: list[ShadowRecords]) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            with _translated(), conn.begin():
                _update_shadows(conn, shadows)
        except Exception:  # nobody waits on a shadow: its rows keep an empty shadow, the service goes on
            log.exception("workbench serve: a shadow's records could not be written")
            self._close_connection()

    def _connect(self) -> Connection:
        conn = self.workspace.store.engine.connect()
        if conn.dialect.name == "sqlite":
            # The log's indexes (a random id, the request, the model and time) outgrow SQLite's 2 MB page
            # cache within minutes of load; a larger cache for this one connection keeps inserts in memory.
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        return conn

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (sa.exc.OperationalError, sqlite3.OperationalError) as exc:  # the latter: what goes through the driver
        cause = exc.orig if isinstance(exc, sa.exc.OperationalError) else exc
        raise DatabaseUnavailable(
            f"The decision log could not be written ({str(cause).strip()[:200]}); the request was not "
            "acknowledged. Retry it (with its Idempotency-Key)."
        ) from exc


_COLUMNS = [c.name for c in online_decisions.columns]
_JSON = frozenset({"reasons", "shadow", "input"})


def _insert_decisions(conn: Any, group: list[Pending], now: Any) -> None:
    """The decisions of a group, from each request's record columns: on SQLite an executemany straight
    through the driver, with the JSON columns serialized once by orjson (SQLAlchemy's per-value processing
    is most of a 1,000-row request's commit); elsewhere a Core executemany. Both store what SQLAlchemy's
    JSON type would ('null' for None)."""
    sizes = [len(p.records["id"]) for p in group]
    total = sum(sizes)

    def column(name: str) -> list[Any]:
        if name == "request_id":
            return list(chain.from_iterable([p.request_id] * n for p, n in zip(group, sizes, strict=True)))
        if name == "created_at":
            return [now] * total
        return list(chain.from_iterable(p.records[name] for p in group))

    if conn.dialect.name != "sqlite":
        columns = [column(name) for name in _COLUMNS]
        rows = [dict(zip(_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]
        conn.execute(online_decisions.insert(), rows)
        return
    import orjson

    stamp = online_decisions.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    null, dumps = orjson.dumps(None).decode(), orjson.dumps

    def stored(name: str) -> list[Any]:
        if name in _JSON:
            return [null if v is None else dumps(v).decode() for v in column(name)]
        if name == "created_at" and stamp is not None:
            return [stamp(now)] * total
        return column(name)

    columns = [stored(name) for name in _COLUMNS]
    names, marks = ", ".join(_COLUMNS), ", ".join("?" * len(_COLUMNS))  # the table's own column names
    statement = f"INSERT INTO online_decisions ({names}) VALUES ({marks})"  # noqa: S608
    conn.connection.driver_connection.executemany(statement, zip(*columns, strict=True))


_REQUEST_COLUMNS = [c.name for c in online_requests.columns]


def _insert_requests(conn: Any, requests: list[dict[str, Any]], now: Any) -> None:
    """The requests' ``online_requests`` rows: on SQLite, when none keeps its answer (no Idempotency-Key),
    straight through the driver as the decisions are (the JSON column holds 'null', as SQLAlchemy stores
    None); otherwise a Core executemany."""
    if conn.dialect.name != "sqlite" or any(r["response"] is not None for r in requests):
        conn.execute(online_requests.insert(), requests)
        return
    stamp = online_requests.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    stored = {"response": "null", "created_at": stamp(now) if stamp is not None else now}
    rows = [tuple(stored.get(name, r[name]) for name in _REQUEST_COLUMNS) for r in requests]
    names, marks = ", ".join(f'"{n}"' for n in _REQUEST_COLUMNS), ", ".join("?" * len(_REQUEST_COLUMNS))
    statement = f"INSERT INTO online_requests ({names}) VALUES ({marks})"  # noqa: S608 (the table's own names)
    conn.connection.driver_connection.executemany(statement, rows)


def _update_shadows(conn: Any, shadows: list[ShadowRecords]) -> None:
    import orjson

    pairs = [(record, row_id) for s in shadows for row_id, record in zip(s.ids, s.shadow, strict=True)]
    if conn.dialect.name == "sqlite":  # straight through the driver, as the decisions are inserted
        rows = [(orjson.dumps(record).decode(), row_id) for record, row_id in pairs]
        conn.connection.driver_connection.executemany("UPDATE online_decisions SET shadow = ? WHERE id = ?", rows)
        return
    statement = (
        online_decisions.update()
        .where(online_decisions.c.id == sa.bindparam("row_id"))
        .values(shadow=sa.bindparam("record"))
    )
    conn.execute(statement, [{"row_id": row_id, "record": record} for record, row_id in pairs])


def _resolve(pending: Pending, *, answer: dict[str, Any] | None = None, error: BaseException | None = None) -> None:
    if pending.future is not None and pending.loop is not None:
        settle(pending.future, pending.loop, answer=answer, error=error)


def _resolve_all(group: list[Pending], answers: list[dict[str, Any]]) -> None:
    """Each pending request's answer, with one call into each event loop (one wake-up, not one each)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[dict[str, Any]], dict[str, Any]]]] = {}
    for pending, answer in zip(group, answers, strict=True):
        if pending.future is not None and pending.loop is not None:
            by_loop.setdefault(pending.loop, []).append((pending.future, answer))

    def done(answered: list[tuple[asyncio.Future[dict[str, Any]], dict[str, Any]]]) -> None:
        for future, answer in answered:
            if not future.done():
                future.set_result(answer)

    for loop, answered in by_loop.items():
        loop.call_soon_threadsafe(done, answered)


def settle(
    future: asyncio.Future[dict[str, Any]],
    loop: asyncio.AbstractEventLoop,
    *,
    answer: dict[str, Any] | None = None,
    error: BaseException | None = None,
) -> None:
    """Resolve ``future`` on its loop from any thread (once)."""

    def done() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(answer or {})

    loop.call_soon_threadsafe(done)
