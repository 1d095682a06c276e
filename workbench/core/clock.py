"""The one clock: timezone-aware UTC times, ISO-8601 on the wire."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["isoformat", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
