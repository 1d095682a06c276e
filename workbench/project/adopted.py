"""What the store has adopted: signed revisions of the roster and of policies, read from the chain.

A roster or a policy governs only once it is *adopted*: policy admins sign its content's
hash (``roster.sign`` / ``policy.sign`` events, each carrying a signed statement), and when
enough of them have signed, an adoption event (``roster.adopt`` / ``policy.adopt``) records
the content, its hash and every statement. The gate reads these events, never the files in
the caller's folder, so a second folder pointing at the same database gets the same gate,
and editing ``policy.yaml`` or ``[tool.workbench.people]`` changes nothing until adopted.

The roster's revisions form a chain of their own: each is verified against the one in force
before it (the first against itself: whoever creates the store's roster is recorded, and the
signed checkpoints anchor that). A revision whose statements do not verify is an error naming
the event, never silently skipped.

There are three identity modes (:class:`RosterState`):

* ``open``: no roster anywhere. Names are declared (``WORKBENCH_USER``, git, the OS login),
  which proves nothing; every screen says so. For a single analyst's exploration.
* ``unadopted``: the project lists people but the store has adopted no roster yet. Governed
  acts are refused until a policy admin runs ``workbench roster adopt``.
* ``keyed``: the store has a roster. Only signatures by its keys count, whatever any
  folder's files say, and the store never goes back to open.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import AuditChainBroken, PermissionDenied, ValidationError
from workbench.core.hashing import sha256_bytes
from workbench.core.statements import SignedStatement
from workbench.project.config import Project
from workbench.project.roster import Roster, parse_roster
from workbench.store.schema import audit_events

__all__ = [
    "ADOPT",
    "SIGN",
    "Adoption",
    "RosterState",
    "adoption_history",
    "latest_adoption",
    "pending_signers",
    "pending_statements",
    "roster_content",
    "roster_from_content",
    "roster_state",
    "verified_admins",
]

#: action names by kind ("roster" or "policy")
SIGN = {"roster": "roster.sign", "policy": "policy.sign"}
ADOPT = {"roster": "roster.adopt", "policy": "policy.adopt"}
ADMIN_ROLE = "policy-admin"


@dataclass(frozen=True)
class Adoption:
    """One adopted revision: its content (text), hash, signers and the event that adopted it."""

    kind: str
    subject: str
    sha256: str
    content: str
    seq: int
    time: str
    signers: tuple[str, ...]
    required: int
    roster_sha256: str
    file: str = ""  # a policy's project-relative file it was adopted from (its label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "sha256": self.sha256,
            "seq": self.seq,
            "time": self.time,
            "signers": list(self.signers),
            "required": self.required,
            "roster": self.roster_sha256,
        }


@dataclass(frozen=True)
class RosterState:
    """Which identity mode the project is in, the roster that governs and how the files differ."""

    mode: str  # "open" | "unadopted" | "keyed"
    roster: Roster  # the adopted roster (keyed), the working one (unadopted) or empty (open)
    adopted: Adoption | None = None
    working_differs: bool = False

    @property
    def keyed(self) -> bool:
        return self.mode == "keyed"

    def require_governing(self) -> Roster | None:
        """The roster that judges signatures; None in open mode; refuses an unadopted roster."""
        if self.mode == "unadopted":
            raise PermissionDenied(
                "This project lists people ([tool.workbench.people]) but the store has adopted no roster yet, so no "
                "signature can count. A policy admin adopts it first: `workbench roster adopt` (docs/governance.md)."
            )
        return self.roster if self.mode == "keyed" else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "roster": self.roster.sha256 if self.roster.people else None,
            "adopted": self.adopted.to_dict() if self.adopted else None,
            "working_differs": self.working_differs,
            "people": [p.to_dict() for p in sorted(self.roster.people.values(), key=lambda p: p.name)],
        }


def roster_content(roster: Roster) -> str:
    """The roster as the canonical JSON an adoption records; its sha256 is :attr:`Roster.sha256`."""
    return roster.content()


def roster_from_content(content: str, where: str) -> Roster:
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise AuditChainBroken(f"{where}: the adopted roster is not JSON ({exc}).") from None
    return parse_roster(data, where)


def _payload(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if not isinstance(text, dict) else text
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _rows(conn: Connection, action: str, subject: str | None = None, after: int = 0) -> Iterator[Any]:
    query = (
        sa.select(audit_events.c.seq, audit_events.c.time, audit_events.c.subject, audit_events.c.payload)
        .where(audit_events.c.action == action, audit_events.c.seq > after)
        .order_by(audit_events.c.seq)
    )
    if subject is not None:
        query = query.where(audit_events.c.subject == subject)
    yield from conn.execute(query)


def _statements(payload: dict[str, Any]) -> list[SignedStatement]:
    found = []
    for item in payload.get("statements") or []:
        with contextlib.suppress(ValidationError):  # a malformed statement simply does not count
            found.append(SignedStatement.from_dict(item))
    return found


def verified_admins(
    statements: list[SignedStatement], roster: Roster, kind: str, subject: str, sha256: str
) -> tuple[str, ...]:
    """The distinct policy admins of ``roster`` whose statements sign ``sha256`` of ``subject``."""
    names: list[str] = []
    for signed in statements:
        statement = signed.statement
        if statement.kind != ADOPT[kind] or statement.subject != subject:
            continue
        if statement.claims.get("sha256") != sha256:
            continue
        person = roster.verified_signer(signed)
        if person is not None and ADMIN_ROLE in person.roles and person.name not in names:
            names.append(person.name)
    return tuple(names)


def _adoption(kind: str, row: Any, payload: dict[str, Any], signers: tuple[str, ...]) -> Adoption:
    return Adoption(
        kind=kind,
        subject=row.subject,
        sha256=str(payload.get("sha256", "")),
        content=str(payload.get("content", "")),
        seq=int(row.seq),
        time=str(row.time),
        signers=signers,
        required=int(payload.get("required") or 1),
        roster_sha256=str(payload.get("roster", "")),
        file=str(payload.get("file") or ""),
    )


def adoption_history(conn: Connection) -> list[tuple[Adoption, Roster]]:
    """Every adopted roster revision in order, each verified against the one in force before it.

    Raises :class:`AuditChainBroken` naming the event when a revision's content does not match its
    hash or too few policy admins of the previous roster (of itself, for the first) signed it.
    """
    history: list[tuple[Adoption, Roster]] = []
    for row in _rows(conn, ADOPT["roster"]):
        payload = _payload(row.payload)
        content = str(payload.get("content", ""))
        where = f"audit event {row.seq} (roster.adopt)"
        if sha256_bytes(content.encode("utf-8")) != payload.get("sha256"):
            raise AuditChainBroken(f"{where}: the recorded roster does not match its hash; the event was edited.")
        roster = roster_from_content(content, where)
        judge = history[-1][1] if history else roster
        signers = verified_admins(_statements(payload), judge, "roster", row.subject, payload["sha256"])
        required = max(1, int(payload.get("required") or 1))
        if len(signers) < required:
            raise AuditChainBroken(
                f"{where}: the roster revision needs {required} policy-admin signature(s) verifying against the "
                f"roster in force before it, and has {len(signers)}. The store's roster cannot be trusted; "
                "restore the database from a backup matching the last checkpoint (docs/governance.md)."
            )
        history.append((_adoption("roster", row, payload, signers), roster))
    return history


def latest_adoption(conn: Connection, kind: str, subject: str) -> tuple[Adoption, list[SignedStatement]] | None:
    """The last ``kind`` adoption of ``subject`` (content hash checked) and its statements, or None."""
    last = None
    query = (
        sa.select(audit_events.c.seq, audit_events.c.time, audit_events.c.subject, audit_events.c.payload)
        .where(audit_events.c.action == ADOPT[kind], audit_events.c.subject == subject)
        .order_by(audit_events.c.seq.desc())
        .limit(1)
    )
    last = conn.execute(query).first()
    if last is None:
        return None
    payload = _payload(last.payload)
    content = str(payload.get("content", ""))
    if sha256_bytes(content.encode("utf-8")) != payload.get("sha256"):
        raise AuditChainBroken(
            f"audit event {last.seq} ({ADOPT[kind]}): the recorded content does not match its hash; the event was "
            "edited. Restore the database from a backup matching the last checkpoint."
        )
    statements = _statements(payload)
    return _adoption(kind, last, payload, tuple(s.statement.signer for s in statements)), statements


def pending_statements(conn: Connection, kind: str, subject: str, after: int) -> list[SignedStatement]:
    """The statements of ``subject``'s sign events after seq ``after`` (its last adoption), in order."""
    return [s for row in _rows(conn, SIGN[kind], subject, after) for s in _statements(_payload(row.payload))]


def pending_signers(conn: Connection, kind: str, subject: str, sha256: str, roster: Roster) -> tuple[str, ...]:
    """Policy admins who signed ``sha256`` for ``subject`` since its last adoption (valid signatures only)."""
    previous = latest_adoption(conn, kind, subject)
    after = previous[0].seq if previous else 0
    return verified_admins(pending_statements(conn, kind, subject, after), roster, kind, subject, sha256)


def roster_state(conn: Connection, project: Project) -> RosterState:
    """The project's identity mode and the roster that governs (the store's, never the folder's)."""
    history = adoption_history(conn)
    working = project.config.roster
    if history:
        adoption, roster = history[-1]
        differs = bool(working.people) and working.sha256 != roster.sha256
        return RosterState("keyed", roster, adoption, differs)
    if working.people:
        return RosterState("unadopted", working, None, True)
    return RosterState("open", Roster())
