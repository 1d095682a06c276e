"""The tamper-evident audit log.

Each event's ``hash`` is ``sha256(prev_hash + canonical JSON of the event)``, where
the event is ``{seq, time, actor, action, subject, payload}``. :func:`append` runs
inside the caller's transaction, so an event lands exactly when the change it
records does. The ``audit_head`` row is locked while appending, so concurrent
writers queue rather than fork the chain; the primary key on ``seq`` would refuse
a fork anyway.

:func:`verify` recomputes the chain and names the first broken ``seq`` and how it
broke (``edited``, ``deleted`` or ``inserted``). The head is also written to a
small file in the project (``workbench.audit-head``) that is meant to be committed,
so replacing or truncating the whole database is detectable too.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from workbench.core.clock import isoformat, utcnow
from workbench.core.hashing import canonical_json, sha256_bytes
from workbench.core.values import AuditEvent, ChainReport
from workbench.store.files import atomic_write_text
from workbench.store.schema import audit_events, audit_head

__all__ = ["GENESIS", "append", "event_hash", "list_events", "read_head_file", "verify", "write_head_file"]

GENESIS = "0" * 64


def event_hash(prev_hash: str, seq: int, time: str, actor: str, action: str, subject: str, payload: str) -> str:
    body = canonical_json(
        {"seq": seq, "time": time, "actor": actor, "action": action, "subject": subject, "payload": json.loads(payload)}
    )
    return sha256_bytes((prev_hash + body).encode("utf-8"))


def append(
    conn: Connection, *, actor: str, action: str, subject: str, payload: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event in the transaction of ``conn`` and return it."""
    head = conn.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).first()
    if head is None:
        prev_seq, prev_hash = 0, GENESIS
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))
    else:
        prev_seq, prev_hash = head.seq, head.hash
    seq = prev_seq + 1
    moment = utcnow()
    time_text = isoformat(moment)
    payload_text = canonical_json(payload or {})
    digest = event_hash(prev_hash, seq, time_text, actor, action, subject, payload_text)
    conn.execute(
        audit_events.insert().values(
            seq=seq,
            time=moment,
            actor=actor,
            action=action,
            subject=subject,
            payload=payload_text,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return AuditEvent(seq, moment, actor, action, subject, payload or {}, prev_hash, digest)


def _stamp(moment: datetime) -> str:
    """A stored event time as ``append`` hashed it (:func:`isoformat`)."""
    if moment.tzinfo is None:  # SQLite hands stored UTC times back naive: the short way to isoformat's text
        return moment.isoformat(timespec="microseconds") + "Z"
    return isoformat(moment)


def _time_text(row: Any) -> str:
    return _stamp(row.time)


def _to_event(row: Row[Any]) -> AuditEvent:
    time = row.time
    return AuditEvent(
        row.seq, time, row.actor, row.action, row.subject, json.loads(row.payload), row.prev_hash, row.hash
    )


def list_events(
    conn: Connection,
    *,
    subject: str | None = None,
    subject_prefix: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEvent]:
    query = sa.select(audit_events)
    if subject is not None:
        query = query.where(audit_events.c.subject == subject)
    if subject_prefix is not None:
        query = query.where(audit_events.c.subject.startswith(subject_prefix, autoescape=True))
    if action is not None:
        query = query.where(audit_events.c.action.startswith(action, autoescape=True))
    if actor is not None:
        query = query.where(audit_events.c.actor == actor)
    query = query.order_by(audit_events.c.seq.desc() if newest_first else audit_events.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [_to_event(row) for row in conn.execute(query)]


def _computed(row: Any) -> str:
    return event_hash(row.prev_hash, row.seq, _time_text(row), row.actor, row.action, row.subject, row.payload)


_text = json.encoder.encode_basestring  # a JSON string literal, as canonical_json writes one


def _fast_hash(seq: int, moment: datetime, actor: str, action: str, subject: str, payload: str, prev: str) -> str:
    """:func:`event_hash` of an event whose payload text is the canonical JSON ``append`` wrote:
    the body is assembled around that text instead of parsing and re-serialising it (the
    keys of the canonical body sort as action, actor, payload, seq, subject, time)."""
    body = (
        f'{{"action":{_text(action)},"actor":{_text(actor)},"payload":{payload},'
        f'"seq":{int(seq)},"subject":{_text(subject)},"time":{_text(_stamp(moment))}}}'
    )
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def _recomputed_ok(row: Any) -> bool:
    """The full recomputation, which parses the payload: it accepts a payload text that was
    re-spaced or re-ordered by hand but says the same."""
    try:
        return _computed(row) == row.hash
    except (ValueError, TypeError):
        return False


def _content_ok(row: Any) -> bool:
    try:
        fast = _fast_hash(row.seq, row.time, row.actor, row.action, row.subject, row.payload, row.prev_hash)
    except (ValueError, TypeError):
        fast = ""
    return fast == row.hash or _recomputed_ok(row)


def _broken(count: int, head: tuple[int, str], seq: int, problem: str, why: str) -> ChainReport:
    message = f"Audit chain broken at seq {seq}: {why}."
    return ChainReport(False, count, head[1], head[0], broken_at=seq, problem=problem, message=message)


#: How many recent hashes the walk remembers to tell an insertion from an edit. An inserted
#: run of events is named as such when it is shorter than this; a longer one is still caught,
#: as a break at its first event. Memory stays constant however long the chain is.
_RECENT = 4_096
_STREAM_BATCH = 10_000


# The walk unpacks rows in this column order (the table's own order too).
_COLUMNS = [
    getattr(audit_events.c, name)
    for name in ("seq", "time", "actor", "action", "subject", "payload", "prev_hash", "hash")
]


def _rows(conn: Connection) -> Iterator[Row[Any]]:
    """Every event in ``seq`` order, read in keyset batches (constant memory, any backend)."""
    after = 0
    while True:
        batch = conn.execute(
            sa.select(*_COLUMNS).where(audit_events.c.seq > after).order_by(audit_events.c.seq).limit(_STREAM_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1][0]


def _walk(rows: Iterable[Any]) -> tuple[int, str, int] | ChainReport:
    """Return the verified (seq, hash) of the last row and the count, or the report of the first break.

    The loop's first branch is the whole cost of a healthy chain (a million events in
    seconds): it hashes the row around its stored payload text and moves on; anything that
    does not verify there takes the careful path below, which names the break.
    """
    expected_seq, expected_prev = 1, GENESIS
    recent: deque[tuple[str, int]] = deque([(GENESIS, 0)], maxlen=_RECENT)
    count = 0
    iterator = iter(rows)
    row = next(iterator, None)
    while row is not None:
        following = next(iterator, None)
        count += 1
        seq, moment, actor, action, subject, payload, prev_hash, digest = row
        in_place = (
            seq == expected_seq and prev_hash == expected_prev and (following is None or following[6] != prev_hash)
        )
        if in_place and (
            _fast_hash(seq, moment, actor, action, subject, payload, prev_hash) == digest or _recomputed_ok(row)
        ):
            recent.append((digest, seq))
            expected_seq, expected_prev = seq + 1, digest
            row = following
            continue
        tail = (expected_seq - 1, expected_prev)
        if seq != expected_seq:
            return _broken(count, tail, expected_seq, "deleted", f"event {expected_seq} is missing")
        content_ok = _content_ok(row)
        link_ok = prev_hash == expected_prev
        if following is not None and following[6] == expected_prev and digest != following[6]:
            return _broken(
                count, tail, seq, "inserted", "this event is not part of the chain (the next one links past it)"
            )
        linked = next((at for hashed, at in recent if hashed == prev_hash), None) if not link_ok else None
        if linked is not None:
            first = linked + 1
            return _broken(count, tail, first, "inserted", f"events from {first} were inserted into the chain")
        if not link_ok and content_ok:
            return _broken(
                count, tail, seq - 1, "edited", "the event was rewritten (its successor links to another hash)"
            )
        if not link_ok:
            return _broken(count, tail, seq, "deleted", "it links to an event that is no longer in the log")
        return _broken(count, tail, seq, "edited", "its content does not match its hash")
    return expected_seq - 1, expected_prev, count


def verify(conn: Connection, head_file: Path | None = None) -> ChainReport:
    """Recompute the whole chain, streamed; compare with the head row and the head file."""
    walked = _walk(_rows(conn))
    if isinstance(walked, ChainReport):
        return walked
    last_seq, last_hash, count = walked
    tail = (last_seq, last_hash)
    head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        if head.seq > last_seq:
            return _broken(
                count, tail, last_seq + 1, "deleted", f"the head records {head.seq} events, the log holds {last_seq}"
            )
        return _broken(
            count, tail, head.seq + 1, "inserted", "events after the recorded head were added outside workbench"
        )
    warnings: list[str] = []
    if head_file is not None:
        recorded = read_head_file(head_file)
        if recorded is None:
            if count:
                warnings.append(f"No head file at {head_file}; commit it so that replacing the database is detectable.")
        else:
            file_seq, file_hash = recorded
            if file_seq > last_seq:
                return _broken(
                    count,
                    tail,
                    last_seq + 1,
                    "deleted",
                    f"{head_file.name} records seq {file_seq}, but the database ends at {last_seq} "
                    "(truncated or replaced)",
                )
            at = conn.execute(sa.select(audit_events.c.hash).where(audit_events.c.seq == file_seq)).first()
            if file_seq > 0 and (at is None or at.hash != file_hash):
                return _broken(
                    count,
                    tail,
                    file_seq,
                    "edited",
                    f"{head_file.name} records another hash for seq {file_seq} (the database was replaced)",
                )
    message = f"Audit chain verified: {count} events, head {last_hash[:12]} at seq {last_seq}."
    return ChainReport(True, count, last_hash, last_seq, message=message, warnings=tuple(warnings))


def read_head_file(path: Path) -> tuple[int, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return (-1, "")


def write_head_file(path: Path, events: Iterable[AuditEvent]) -> None:
    """Record the newest of ``events`` unless the file already holds a newer head."""
    newest = max(events, key=lambda event: event.seq, default=None)
    if newest is None:
        return
    current = read_head_file(path)
    if current is not None and current[0] >= newest.seq:
        return
    atomic_write_text(path, json.dumps({"seq": newest.seq, "hash": newest.hash}) + "\n")
