from __future__ import annotations

import itertools
import json
import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench.core.clock import isoformat
from workbench.core.hashing import canonical_json
from workbench.core.values import ChainReport
from workbench.store import audit
from workbench.store.engine import open_store
from workbench.store.schema import audit_events


def _append_many(url: str, worker: int, count: int) -> None:
    store = open_store(url, cached=False)
    try:
        for index in range(count):
            with store.begin() as conn:
                audit.append(conn, actor=f"w{worker}", action="test.append", subject=f"w{worker}", payload={"i": index})
    finally:
        store.dispose()


def _fill(url: str, count: int) -> None:
    _append_many(url, 0, count)


def test_events_chain_and_verify(db_url: str) -> None:
    _fill(db_url, 5)
    store = open_store(db_url, cached=False)
    with store.begin() as conn:
        events = audit.list_events(conn)
        report = audit.verify(conn)
    store.dispose()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert report.ok and report.count == 5 and report.head_hash == events[-1].hash


def test_concurrent_writers_never_fork_or_lose_events(db_url: str) -> None:
    open_store(db_url, cached=False).dispose()  # migrate once; the workers race on appends only
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(db_url, n, 250)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0
    store = open_store(db_url, cached=False)
    with store.begin() as conn:
        report = audit.verify(conn)
        per_worker = dict(
            conn.execute(sa.select(audit_events.c.actor, sa.func.count()).group_by(audit_events.c.actor)).all()
        )
    store.dispose()
    assert report.ok, report.message
    assert report.count == 1000 and report.head_seq == 1000
    assert per_worker == {"w0": 250, "w1": 250, "w2": 250, "w3": 250}


def _tamper(url: str, statement: str, **params: object) -> ChainReport:
    store = open_store(url, cached=False)
    with store.engine.connect() as conn:
        conn.execute(sa.text(statement), params)
        conn.commit()
    with store.begin() as conn:
        report = audit.verify(conn)
    store.dispose()
    return report


def test_an_edited_event_is_detected(db_url: str) -> None:
    _fill(db_url, 10)
    report = _tamper(db_url, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
    assert not report.ok
    assert (report.broken_at, report.problem) == (4, "edited")


def test_an_edited_and_rehashed_event_is_detected(db_url: str) -> None:
    _fill(db_url, 10)
    store = open_store(db_url, cached=False)
    with store.begin() as conn:
        row = conn.execute(sa.select(audit_events).where(audit_events.c.seq == 6)).one()
        payload = canonical_json({"i": 999})
        forged = audit.event_hash(row.prev_hash, 6, isoformat(row.time), row.actor, row.action, row.subject, payload)
        conn.execute(audit_events.update().where(audit_events.c.seq == 6).values(payload=payload, hash=forged))
        report = audit.verify(conn)
    store.dispose()
    assert (report.ok, report.broken_at, report.problem) == (False, 6, "edited")


def test_a_deleted_event_is_detected(db_url: str) -> None:
    _fill(db_url, 10)
    report = _tamper(db_url, "DELETE FROM audit_events WHERE seq = 5")
    assert (report.ok, report.broken_at, report.problem) == (False, 5, "deleted")


def test_a_deleted_tail_is_detected_through_the_head(db_url: str) -> None:
    _fill(db_url, 10)
    report = _tamper(db_url, "DELETE FROM audit_events WHERE seq >= 9")
    assert (report.ok, report.broken_at, report.problem) == (False, 9, "deleted")


def test_an_inserted_event_is_detected(db_url: str) -> None:
    _fill(db_url, 10)
    store = open_store(db_url, cached=False)
    with store.begin() as conn:
        # Make room after seq 3 and insert a well-formed event that links to seq 3.
        for seq in range(10, 3, -1):
            conn.execute(audit_events.update().where(audit_events.c.seq == seq).values(seq=seq + 1))
        prev = conn.execute(sa.select(audit_events).where(audit_events.c.seq == 3)).one()
        payload = canonical_json({"forged": True})
        time = isoformat(prev.time)
        digest = audit.event_hash(prev.hash, 4, time, "mallory", "model.approve", "model:x:1", payload)
        conn.execute(
            audit_events.insert().values(
                seq=4,
                time=prev.time,
                actor="mallory",
                action="model.approve",
                subject="model:x:1",
                payload=payload,
                prev_hash=prev.hash,
                hash=digest,
            )
        )
        report = audit.verify(conn)
    store.dispose()
    assert (report.ok, report.broken_at, report.problem) == (False, 4, "inserted")


def test_an_event_appended_outside_workbench_is_detected(db_url: str) -> None:
    _fill(db_url, 3)
    store = open_store(db_url, cached=False)
    with store.begin() as conn:
        last = conn.execute(sa.select(audit_events).where(audit_events.c.seq == 3)).one()
        payload = canonical_json({})
        digest = audit.event_hash(last.hash, 4, isoformat(last.time), "mallory", "x", "y", payload)
        conn.execute(
            audit_events.insert().values(
                seq=4,
                time=last.time,
                actor="mallory",
                action="x",
                subject="y",
                payload=payload,
                prev_hash=last.hash,
                hash=digest,
            )
        )
        report = audit.verify(conn)
    store.dispose()
    assert (report.ok, report.broken_at, report.problem) == (False, 4, "inserted")


def test_head_file_detects_a_replaced_or_truncated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    head_file = tmp_path / "workbench.audit-head"
    store = open_store(url, cached=False)
    with store.begin() as conn:
        events = [audit.append(conn, actor="a", action="x", subject="s") for _ in range(3)]
    audit.write_head_file(head_file, events)
    assert json.loads(head_file.read_text())["seq"] == 3
    with store.begin() as conn:
        assert audit.verify(conn, head_file).ok
    store.dispose()

    # A fresh database with one event of its own: the head file no longer matches.
    other = open_store(f"sqlite:///{tmp_path / 'b.db'}", cached=False)
    with other.begin() as conn:
        audit.append(conn, actor="a", action="x", subject="s")
        report = audit.verify(conn, head_file)
    other.dispose()
    assert not report.ok and report.problem == "deleted" and "truncated or replaced" in report.message


@pytest.mark.parametrize("older", [True])
def test_head_file_never_moves_backwards(tmp_path: Path, older: bool) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}", cached=False)
    with store.begin() as conn:
        events = [audit.append(conn, actor="a", action="x", subject="s") for _ in range(2)]
    store.dispose()
    head_file = tmp_path / "head"
    audit.write_head_file(head_file, events[1:])
    audit.write_head_file(head_file, events[:1])
    assert audit.read_head_file(head_file) == (2, events[1].hash)
