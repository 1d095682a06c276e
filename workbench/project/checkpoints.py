"""Signed checkpoints of the audit chain, kept in a git-tracked file.

The chain's hashes prove that no event was changed *relative to the chain's own head*.
Whoever can write the database can also recompute every hash, or delete the database
and start again. A checkpoint anchors the head outside the database: a statement
signed by a person in the roster ("the chain had ``count`` events, ending at ``seq``
with ``hash``"), appended to ``audit/checkpoints.jsonl``. Committing that file puts it
in the repository's history, where rewriting it shows.

:func:`verify_checkpoints` compares every checkpoint with the database: a database that
ends before a checkpoint's ``seq`` was truncated, deleted or replaced; a different hash
at that ``seq`` means the chain was rewritten or forked; a checkpoint whose signature
does not verify against the roster is itself reported. Each check reads one row by
primary key, so verifying costs nothing next to walking the chain.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import AuditChainBroken, DatabaseCorrupt, PermissionDenied, ValidationError
from workbench.core.statements import SignedStatement, Statement
from workbench.project.adopted import adoption_history
from workbench.project.config import Project
from workbench.project.keys import SigningKey
from workbench.project.roster import Roster
from workbench.store.engine import Store
from workbench.store.files import atomic_write_text
from workbench.store.schema import audit_events, audit_head

__all__ = [
    "CHECKPOINTS_FILE",
    "CheckpointReport",
    "read_checkpoints",
    "refuse_recreated_store",
    "signer_of",
    "verify_checkpoints",
    "write_checkpoint",
]

CHECKPOINTS_FILE = "audit/checkpoints.jsonl"
KIND = "audit.checkpoint"
NEW_STORE = "audit.new-store"


@dataclass(frozen=True)
class CheckpointReport:
    ok: bool
    checked: int
    problems: tuple[str, ...] = field(default_factory=tuple)
    last: dict[str, Any] | None = None

    @property
    def message(self) -> str:
        if not self.checked:
            return f"no checkpoints yet ({CHECKPOINTS_FILE}); `workbench audit checkpoint` anchors the chain"
        if self.ok:
            last = self.last or {}
            return (
                f"{self.checked} signed checkpoint(s) hold; the last, by {last.get('signer')} at {last.get('time')}, "
                f"covers seq {last.get('seq')}"
            )
        return f"{len(self.problems)} checkpoint problem(s): " + "; ".join(self.problems[:3])

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": list(self.problems), "last": self.last}


def _new_store_index(checkpoints: list[SignedStatement]) -> int:
    """The index of the last new-store mark (-1 without one): checkpoints before it describe a store
    given up explicitly with ``workbench init --new-store``."""
    return max((i for i, c in enumerate(checkpoints) if c.statement.kind == NEW_STORE), default=-1)


def checkpoints_path(project: Project) -> Path:
    return project.root / CHECKPOINTS_FILE


def read_checkpoints(project: Project) -> list[SignedStatement]:
    """Every checkpoint in the file, oldest first; a malformed line is an error naming it."""
    path = checkpoints_path(project)
    if not path.is_file():
        return []
    found: list[SignedStatement] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(SignedStatement.from_dict(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise ValidationError(f"{CHECKPOINTS_FILE}:{number} is not a signed checkpoint ({exc}).") from None
    return found


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return (int(row.seq), str(row.hash)) if row else (0, "0" * 64)


def _rosters(project: Project, conn: Connection | None) -> list[Roster]:
    """The rosters whose keys may sign checkpoints: every revision the store adopted, then the
    working one (the store may be gone: that is what checkpoints are for)."""
    found: list[Roster] = []
    if conn is not None:
        with contextlib.suppress(AuditChainBroken):
            found = [roster for _, roster in adoption_history(conn)]
    return [*found, project.config.roster]


def signer_of(project: Project, key: SigningKey, conn: Connection | None = None) -> str:
    """The roster name of ``key``'s owner (the adopted roster's, else the working one's)."""
    *adopted, working = _rosters(project, conn)
    person = (adopted[-1] if adopted else working).by_fingerprint(key.fingerprint)
    if person is None:
        raise PermissionDenied(
            f"Your key {key.fingerprint} is not in the project's roster, so nothing it signs counts. Ask a policy "
            "admin to add it under [tool.workbench.people] (`workbench keys show` prints the entry)."
        )
    return person.name


def write_checkpoint(
    project: Project, conn: Connection | None, key: SigningKey, *, kind: str = KIND, note: str = ""
) -> SignedStatement:
    """Sign the chain's current head with ``key`` (a roster key) and append it to the checkpoints file.

    ``kind`` :data:`NEW_STORE` with ``conn`` None marks the start of a new, empty store.
    """
    signer = signer_of(project, key, conn)
    seq, digest = _head(conn) if conn is not None else (0, "0" * 64)
    count = int(conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar() or 0) if conn else 0
    claims: dict[str, Any] = {"seq": seq, "hash": digest, "events": count}
    if note:
        claims["note"] = note
    statement = Statement(kind, "audit:chain", claims, signer, isoformat(utcnow()))
    signed = key.sign(statement)
    path = checkpoints_path(project)
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, existing + json.dumps(signed.to_dict(), sort_keys=True) + "\n")
    return signed


def verify_checkpoints(project: Project, conn: Connection) -> CheckpointReport:
    """Compare every checkpoint since the last new-store mark with the database."""
    checkpoints = read_checkpoints(project)
    start = _new_store_index(checkpoints)
    rosters = _rosters(project, conn)
    problems: list[str] = []
    last: dict[str, Any] | None = None
    head_seq, _ = _head(conn)
    for index, checkpoint in enumerate(checkpoints):
        statement = checkpoint.statement
        label = f"checkpoint {index + 1} (by {statement.signer} at {statement.time})"
        if statement.kind not in (KIND, NEW_STORE):
            problems.append(f"{label} is a {statement.kind!r} statement, not a checkpoint")
            continue
        if all(roster.verified_signer(checkpoint) is None for roster in rosters):
            problems.append(f"{label}: the signature does not verify against the roster's key for {statement.signer}")
            continue
        if index < start:
            continue  # an earlier store, given up explicitly with `workbench init --new-store`
        seq = int(statement.claims.get("seq", -1))
        digest = str(statement.claims.get("hash", ""))
        last = {"signer": statement.signer, "time": statement.time, "seq": seq, "hash": digest}
        if seq <= 0:
            continue
        if seq > head_seq:
            problems.append(
                f"{label} records seq {seq}, but the database ends at seq {head_seq}: it was truncated, deleted "
                "and recreated, or replaced by an older copy"
            )
            continue
        row = conn.execute(sa.select(audit_events.c.hash).where(audit_events.c.seq == seq)).first()
        if row is None:
            problems.append(f"{label} records seq {seq}, which the database no longer holds")
        elif row.hash != digest:
            problems.append(f"{label} records another hash at seq {seq}: the chain was rewritten or forked since")
    checked = len(checkpoints)
    return CheckpointReport(not problems, checked, tuple(problems), last)


def refuse_recreated_store(project: Project, store: Store) -> None:
    """Refuse an empty database where the checkpoints say the chain had events: it was deleted
    or replaced, and using it would silently start a new history.

    Every workspace open asks (a server opens one per request), so the database is read only
    when the checkpoints file records a chain; without the file this costs one ``stat``.
    """
    try:
        checkpoints = read_checkpoints(project)
    except ValidationError:
        return  # a damaged file is `audit verify`'s to report; it must not lock everyone out
    recorded = [
        int(c.statement.claims.get("seq", 0) or 0)
        for c in checkpoints[_new_store_index(checkpoints) + 1 :]
        if c.statement.kind == KIND
    ]
    if not recorded or max(recorded) <= 0:
        return
    with store.read() as conn:
        head_seq, _ = _head(conn)
    if head_seq == 0:
        raise DatabaseCorrupt(
            f"The database is empty, but {CHECKPOINTS_FILE} records a signed audit chain up to seq {max(recorded)}: "
            "the database was deleted or replaced. Restore it from a backup; to start a new history on purpose, "
            "run `workbench init --new-store` (it signs the break into the checkpoints file)."
        )
