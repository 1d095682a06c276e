"""The governed state checked against the audit chain: every row the gate or scoring reads
must be what the chain's events say.

The chain (``store.audit``) proves that no event was edited, deleted or inserted. The
gate and scoring, though, read tables: ``model_versions`` (which artifacts a version
is), ``aliases`` (which version ``production`` is) and ``decisions`` (who approved).
An edit to those rows with a database client would be believed, and the chain would
still verify. :func:`verify_state` replays the events that wrote those rows and names
every row that differs:

* a version's artifact digests and author against its ``model.register`` event;
* each alias against the last alias move (``model.alias`` or ``model.promote``) for it;
* each approval or rejection against its ``model.approve`` / ``model.reject`` event.

Events are read in ``seq`` order as a stream; memory grows with the governed state (the
versions, aliases and decisions), not with the number of events. ``name`` limits the
check to one model (what the gate and scoring do before they act).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.store.schema import aliases, audit_events, decisions, model_versions

__all__ = ["StateProblem", "StateReport", "verify_state"]

_ALIAS_ACTIONS = ("model.alias", "model.promote")
_DECISION_ACTIONS = {"model.approve": "approve", "model.reject": "reject"}
_ACTIONS = ("model.register", *_ALIAS_ACTIONS, *_DECISION_ACTIONS)
_BATCH = 5_000


@dataclass(frozen=True)
class StateProblem:
    """One row that differs from the chain: which table, which row, and how."""

    table: str
    row: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.row}: {self.problem}"

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "row": self.row, "problem": self.problem}


@dataclass(frozen=True)
class StateReport:
    ok: bool
    events: int
    problems: tuple[StateProblem, ...] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        if self.ok:
            return f"governed state matches the chain ({self.events} events replayed)"
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        return f"{len(self.problems)} row(s) differ from the audit chain: {shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "problems": [p.to_dict() for p in self.problems]}


def _payload(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _events(conn: Connection, name: str | None) -> Iterator[Any]:
    """The state-writing events in seq order, read in batches (keyset on seq)."""
    after = 0
    while True:
        query = (
            sa.select(audit_events.c.seq, audit_events.c.actor, audit_events.c.action, audit_events.c.subject,
                      audit_events.c.payload)
            .where(audit_events.c.seq > after, audit_events.c.action.in_(_ACTIONS))
            .order_by(audit_events.c.seq)
            .limit(_BATCH)
        )  # fmt: skip
        if name is not None:
            query = query.where(
                sa.or_(
                    audit_events.c.subject.startswith(f"model:{name}:", autoescape=True),
                    audit_events.c.subject.startswith(f"model:{name}@", autoescape=True),
                )
            )
        rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def _split_version(subject: str) -> tuple[str, int] | None:
    body = subject.removeprefix("model:")
    name, _, number = body.rpartition(":")
    return (name, int(number)) if name and number.isdigit() else None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def verify_state(conn: Connection, name: str | None = None) -> StateReport:
    """Compare the versions, aliases and decisions (of model ``name``, or all) with the chain."""
    versions: dict[tuple[str, int], dict[str, Any]] = {}
    alias_map: dict[tuple[str, str], int | None] = {}
    decided: dict[tuple[str, int, str], dict[str, Any]] = {}
    count = 0
    for event in _events(conn, name):
        count += 1
        payload = _payload(event.payload)
        if event.action == "model.register":
            key = _split_version(event.subject)
            if key:
                versions[key] = {"digests": payload.get("digests") or {}, "author": event.actor}
        elif event.action in _ALIAS_ACTIONS:
            model, alias = payload.get("name"), payload.get("alias")
            if isinstance(model, str) and isinstance(alias, str):
                alias_map[(model, alias)] = payload.get("to_version")
        else:
            key = _split_version(event.subject)
            if key:
                decided[(*key, event.actor)] = {
                    "decision": _DECISION_ACTIONS[event.action],
                    "comment": payload.get("comment", ""),
                    "policy_hash": payload.get("policy_hash"),
                    "digests": payload.get("digests") or {},
                    "statement": payload.get("statement"),
                }
    problems: list[StateProblem] = []
    problems += _check_versions(conn, name, versions)
    problems += _check_aliases(conn, name, alias_map)
    problems += _check_decisions(conn, name, decided)
    return StateReport(not problems, count, tuple(problems))


def _where_name(query: Any, column: Any, name: str | None) -> Any:
    return query.where(column == name) if name is not None else query


def _check_versions(
    conn: Connection, name: str | None, expected: dict[tuple[str, int], dict[str, Any]]
) -> list[StateProblem]:
    problems: list[StateProblem] = []
    seen: set[tuple[str, int]] = set()
    query = sa.select(
        model_versions.c.name, model_versions.c.version, model_versions.c.author, model_versions.c.artifacts
    )
    for row in conn.execute(_where_name(query, model_versions.c.name, name)):
        key = (row.name, int(row.version))
        seen.add(key)
        label = f"{row.name}:{row.version}"
        want = expected.get(key)
        if want is None:
            problems.append(StateProblem("model_versions", label, "no model.register event records this version"))
            continue
        artifacts = _payload(row.artifacts) if not isinstance(row.artifacts, dict) else row.artifacts
        digests = {k: v.get("digest") for k, v in sorted(artifacts.items()) if isinstance(v, dict)}
        if _canonical(digests) != _canonical(want["digests"]):
            changed = sorted(k for k in set(digests) | set(want["digests"]) if digests.get(k) != want["digests"].get(k))
            problems.append(
                StateProblem(
                    "model_versions", label, f"artifact digests differ from the registration ({', '.join(changed)})"
                )
            )
        if row.author != want["author"]:
            problems.append(
                StateProblem("model_versions", label, f"author {row.author!r} is not the registrant {want['author']!r}")
            )
    for key in sorted(set(expected) - seen):
        problems.append(StateProblem("model_versions", f"{key[0]}:{key[1]}", "registered in the chain but missing"))
    return problems


def _check_aliases(
    conn: Connection, name: str | None, expected: dict[tuple[str, str], int | None]
) -> list[StateProblem]:
    problems: list[StateProblem] = []
    seen: set[tuple[str, str]] = set()
    query = sa.select(aliases.c.name, aliases.c.alias, aliases.c.version)
    for row in conn.execute(_where_name(query, aliases.c.name, name)):
        key = (row.name, row.alias)
        seen.add(key)
        label = f"{row.name}@{row.alias}"
        if key not in expected:
            problems.append(StateProblem("aliases", label, "no alias move in the chain created it"))
        elif expected[key] != row.version:
            problems.append(
                StateProblem(
                    "aliases", label, f"points at version {row.version}; the chain's last move says {expected[key]}"
                )
            )
    for key in sorted(k for k in set(expected) - seen if expected[k] is not None):
        problems.append(
            StateProblem("aliases", f"{key[0]}@{key[1]}", f"missing; the chain says version {expected[key]}")
        )
    return problems


def _check_decisions(
    conn: Connection, name: str | None, expected: dict[tuple[str, int, str], dict[str, Any]]
) -> list[StateProblem]:
    problems: list[StateProblem] = []
    seen: set[tuple[str, int, str]] = set()
    query = sa.select(
        decisions.c.name, decisions.c.version, decisions.c.actor, decisions.c.decision, decisions.c.comment,
        decisions.c.policy_hash, decisions.c.digests, decisions.c.statement,
    )  # fmt: skip
    for row in conn.execute(_where_name(query, decisions.c.name, name)):
        key = (row.name, int(row.version), row.actor)
        seen.add(key)
        label = f"{row.name}:{row.version} by {row.actor}"
        want = expected.get(key)
        if want is None:
            problems.append(StateProblem("decisions", label, "no approval or rejection event records it"))
            continue
        digests = row.digests if isinstance(row.digests, dict) else _payload(row.digests)
        differs = [
            what
            for what, have, should in (
                ("decision", row.decision, want["decision"]),
                ("comment", row.comment or "", want["comment"] or ""),
                ("policy hash", row.policy_hash, want["policy_hash"]),
                ("digests", _canonical(digests), _canonical(want["digests"])),
                ("signed statement", _canonical(row.statement), _canonical(want["statement"])),
            )
            if have != should
        ]
        if differs:
            problems.append(StateProblem("decisions", label, f"{', '.join(differs)} differ from the chain"))
    for key in sorted(set(expected) - seen):
        problems.append(
            StateProblem("decisions", f"{key[0]}:{key[1]} by {key[2]}", "recorded in the chain but missing")
        )
    return problems
