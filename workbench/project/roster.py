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
from typing import Any

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.hashing import sha256_bytes
from workbench.core.statements import SignedStatement, fingerprint, parse_public_key, verify

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
        return {
            "name": self.name,
            "key": self.key,
            "fingerprint": self.fingerprint,
            "roles": list(self.roles),
            "demo": self.demo,
        }


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


def parse_roster(data: Any, source: Path | str = "[tool.workbench.people]") -> Roster:
    """Validate ``[tool.workbench.people]`` (a table of people); errors name the person and the key."""
    if data is None:
        return Roster()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [tool.workbench.people] must be a table of people, each with `key` and `roles`.")
    people: dict[str, Person] = {}
    seen: dict[str, str] = {}
    for name, entry in data.items():
        where = f"{source}: [tool.workbench.people.{name}]"
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{where}: {name!r} is not a usable name (letters, digits, . _ @ + -).")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table with `key` and `roles`.")
        unknown = sorted(set(entry) - {"key", "roles", "demo"})
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; a person has key, roles and demo.")
        key = entry.get("key")
        if not isinstance(key, str):
            raise ConfigError(
                f"{where}: `key` must be a P-256 or ed25519 public key line (`workbench keys show` prints yours)."
            )
        try:
            parse_public_key(key)
            print_ = fingerprint(key)
        except ValidationError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ConfigError(f'{where}: `roles` must be a list such as ["approver"].')
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise ConfigError(f"{where}: unknown role(s) {', '.join(bad)}; roles are {', '.join(ROLES)}.")
        demo = entry.get("demo", False)
        if not isinstance(demo, bool):
            raise ConfigError(f"{where}: `demo` must be true or false (unquoted).")
        if print_ in seen:
            raise ConfigError(f"{where}: the same key is listed for {seen[print_]!r}; one key belongs to one person.")
        seen[print_] = name
        people[name] = Person(name, key.strip(), print_, tuple(dict.fromkeys(roles)), demo)
    return Roster(people)
