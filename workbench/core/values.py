"""Domain values shared across layers. Frozen dataclasses; no I/O.

Request/response shapes for the server live with the server; database tables live
in ``workbench.store.schema``. These are the values services hand each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar, cast

__all__ = ["AuditEvent", "ChainReport", "Identity", "from_row", "plain_fields"]

T = TypeVar("T")


def from_row(cls: type[T], row: Any, **given: Any) -> T:
    """``cls`` (a dataclass) from a database row: each field from the column of its name, unless
    ``given`` (a converted or renamed value); a field with neither takes its default."""
    columns, specs = row._mapping, fields(cast(Any, cls))
    taken = {spec.name: columns[spec.name] for spec in specs if spec.name in columns and spec.name not in given}
    return cls(**taken, **given)


def plain_fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields by name, as its ``to_dict`` serves them: tuples as lists, mappings as
    fresh dicts, times in ISO 8601 UTC; field by field (``dataclasses.asdict`` deep-copies)."""
    from workbench.core.clock import isoformat

    def _plain(item: Any) -> Any:
        if isinstance(item, tuple | list):
            return [_plain(each) for each in item]
        if isinstance(item, dict):
            return dict(item)
        return isoformat(item) if isinstance(item, datetime) else item

    return {spec.name: _plain(getattr(value, spec.name)) for spec in fields(value)}


@dataclass(frozen=True)
class Identity:
    """Who acts. ``source`` says where the name came from (server, env, git, os)."""

    name: str
    source: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    time: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainReport:
    """Outcome of recomputing the audit chain.

    ``broken_at`` is the first seq that does not verify and ``problem`` says how
    (``edited``, ``deleted``, ``inserted`` or ``truncated``).
    """

    ok: bool
    count: int
    head_hash: str
    head_seq: int
    broken_at: int | None = None
    problem: str | None = None
    message: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)
