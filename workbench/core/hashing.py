"""Hashing helpers: sha256 of bytes and files, and canonical JSON.

Canonical JSON (sorted keys, no whitespace, UTF-8, no NaN) is what the audit chain
hashes, so the same event hashes the same on every machine and database.
"""

from __future__ import annotations

import hashlib
import json
from typing import IO, Any

__all__ = ["canonical_json", "sha256_bytes", "sha256_stream"]

_CHUNK = 1 << 20


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()
