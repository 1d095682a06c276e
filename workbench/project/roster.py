"""The roster: the people who may sign, their public keys and their roles.

It is declared in the project's settings and committed with the repository::

    [tool.workbench.people.ana]
    key = "ecdsa-sha2-nistp256 AAAAE2Vj... ana@uni.example"
    roles = ["approver"]

    [tool.workbench.people.ben]
    key = "ecdsa-sha2-nistp256 AAAAE2Vj... ben@uni.example"
    roles = ["approver", "policy-admin"]
    demo = true          # a throw-away key (the admissions demo); shown as such everywhere

A person's name is what statements they sign carry as ``signer``. :attr:`Roster.sha256`
identifies the roster's content (names, key fingerprints, roles, demo marks), so an
event or a statement can say which roster it was judged against.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictStr

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.hashing import sha256_bytes
from workbench.core.shapes import Shape, ShapeError, check, described, dotted, invalid
from workbench.core.statements import SignedStatement, fingerprint, parse_public_key, verify
from workbench.core.values import plain_fields

__all__ = ["ROLES", "Person", "Roster", "parse_roster"]

#: Roles the roster may grant, and what each one guards.
ROLES = {
    "author": "register model versions",
    "approver": "approve or reject a version",
    "policy-admin": "adopt a policy or the roster",
    "reviewer": "decide review-queue items",
    "operator": "score with production",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}$")


@dataclass(frozen=True)
class Person:
    name: str
    key: str  # the OpenSSH public key line
    fingerprint: str
    roles: tuple[str, ...] = ()
    demo: bool = False

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class Roster:
    people: dict[str, Person] = field(default_factory=dict)

    def content(self) -> str:
        """Canonical JSON of the roster (names, key lines, roles, demo marks): what an adoption records."""
        people = {
            p.name: {"key": p.key, "roles": list(p.roles), "demo": p.demo}
            for p in sorted(self.people.values(), key=lambda p: p.name)
        }
        return json.dumps(people, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.content().encode("utf-8"))

    def by_fingerprint(self, key: str) -> Person | None:
        return next((p for p in self.people.values() if p.fingerprint == key), None)

    def roles_of(self, name: str) -> tuple[str, ...]:
        person = self.people.get(name)
        return person.roles if person else ()

    def verified_signer(self, signed: SignedStatement) -> Person | None:
        """The roster person who made ``signed``: the statement's signer, whose key made a valid signature."""
        person = self.people.get(signed.statement.signer)
        if person is None or person.fingerprint != signed.key:
            return None
        return person if verify(signed, person.key) else None

    def to_dict(self) -> dict[str, Any]:
        return {"people": [p.to_dict() for p in sorted(self.people.values(), key=lambda p: p.name)]}


def _role(value: str) -> str:
    if value not in ROLES:
        raise invalid(f"unknown role {value!r}; roles are {', '.join(ROLES)}.")
    return value


def _public_key(value: str) -> str:
    try:
        parse_public_key(value)
    except ValidationError as exc:
        raise invalid(exc.message) from None
    return value.strip()


def _person_name(value: str) -> str:
    if not _NAME.match(value):
        raise invalid(f"{value!r} is not a usable name (letters, digits, . _ @ + -).")
    return value


class _Person(Shape):
    key: Annotated[
        StrictStr,
        described("a P-256 or ed25519 public key line (`workbench keys show` prints yours)"),
        AfterValidator(_public_key),
    ]
    roles: Annotated[list[Annotated[StrictStr, AfterValidator(_role)]], described('a list such as ["approver"]')] = (
        Field(default_factory=list)
    )
    demo: StrictBool = False


class _People(Shape):
    people: dict[Annotated[str, AfterValidator(_person_name)], _Person] = Field(default_factory=dict)


def parse_roster(data: Any, source: Path | str = "[tool.workbench.people]") -> Roster:
    """Validate ``[tool.workbench.people]`` (a table of people); errors name the person and the key."""
    try:
        shape = check(_People, {"people": data})
    except ShapeError as exc:
        problem = exc.problem
        person = f".{problem.path[1]}" if len(problem.path) > 1 else ""
        key = f"`{dotted(problem.path[2:])}` " if len(problem.path) > 2 else ""
        raise ConfigError(f"{source}: [tool.workbench.people{person}]: {key}{problem.message}") from None
    people: dict[str, Person] = {}
    seen: dict[str, str] = {}
    for name, entry in shape.people.items():
        print_ = fingerprint(entry.key)
        if print_ in seen:
            raise ConfigError(
                f"{source}: [tool.workbench.people.{name}]: the same key is listed for {seen[print_]!r}; "
                "one key belongs to one person."
            )
        seen[print_] = name
        people[name] = Person(name, entry.key, print_, tuple(dict.fromkeys(entry.roles)), entry.demo)
    return Roster(people)
