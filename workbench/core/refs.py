"""Model references: ``name``, ``name:3``, ``name:latest`` and ``name@alias``.

The parser accepts exactly these forms and rejects anything else with a message
that shows the accepted forms. Names and aliases share one grammar so they are
safe as file names, URL path segments and audit subjects. Alias names are also
lowercase (:func:`check_alias`): ``Production`` could otherwise stand beside the
protected ``production``, look like it in every listing, and be moved without the gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core.errors import InvalidReference, ValidationError

__all__ = ["NAME_PATTERN", "ModelRef", "check_alias", "check_name", "parse_ref"]

NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_.-]{0,99}"
_NAME = re.compile(rf"^{NAME_PATTERN}$")
_REF = re.compile(rf"^(?P<name>{NAME_PATTERN})(?:(?::(?P<version>[0-9]+|latest))|(?:@(?P<alias>{NAME_PATTERN})))?$")

_FORMS = "`name`, `name:3`, `name:latest` or `name@alias`"


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a legal model or alias name, else raise."""
    if not isinstance(value, str) or not _NAME.match(value) or value.endswith((".", "-")):
        raise ValidationError(
            f"Invalid {what} {value!r}: use a letter first, then letters, digits, '_', '.' or '-' "
            "(at most 100 characters)."
        )
    return value


def _alias_problem(value: str) -> str | None:
    if value != value.lower():
        return (
            f"alias names are lowercase, so that {value!r} cannot stand beside {value.lower()!r}; use {value.lower()!r}"
        )
    return None


def check_alias(value: str) -> str:
    """Return ``value`` if it is a legal alias name (the name grammar, lowercase only), else raise.

    The one validation of alias names: every path that creates, moves or looks up an
    alias goes through it, so ``Production`` is refused everywhere ``production`` is used.
    """
    check_name(value, "alias")
    problem = _alias_problem(value)
    if problem:
        raise ValidationError(f"Invalid alias {value!r}: {problem}.")
    return value


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference. Exactly one of ``version`` and ``alias`` is set, or neither
    (``latest``). ``version`` None with ``alias`` None means the newest version."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.alias:
            return f"{self.name}@{self.alias}"
        if self.version is not None:
            return f"{self.name}:{self.version}"
        return f"{self.name}:latest"


def parse_ref(text: str) -> ModelRef:
    """Parse a model reference, raising :class:`InvalidReference` with the accepted forms."""
    if not isinstance(text, str):
        raise InvalidReference(f"A model reference must be a string, got {type(text).__name__}.")
    match = _REF.match(text.strip())
    if not match or match["name"].endswith((".", "-")):
        raise InvalidReference(f"Unknown model reference {text!r}: use {_FORMS}.")
    version = match["version"]
    if version is not None and version != "latest":
        number = int(version)
        if number < 1:
            raise InvalidReference(f"Unknown model reference {text!r}: versions start at 1.")
        return ModelRef(match["name"], version=number)
    alias = match["alias"]
    if alias is not None:
        if alias.endswith((".", "-")):
            raise InvalidReference(f"Unknown model reference {text!r}: use {_FORMS}.")
        problem = _alias_problem(alias)
        if problem:
            raise InvalidReference(f"Unknown model reference {text!r}: {problem} (`{match['name']}@{alias.lower()}`).")
    return ModelRef(match["name"], alias=alias)
