"""Opaque page cursors for the API's keyset-paginated lists.

A list answers ``next_cursor``: a token the client sends back as ``?cursor=`` for the
next page, and otherwise treats as opaque (it is URL-safe base64 of a small JSON
object naming the list and the key to continue after). Keyset pagination makes each
page cost the same however deep it is, and keeps the order stable while rows are
added: every item is listed exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json

from workbench.core.errors import ValidationError

__all__ = ["MAX_CURSOR_LENGTH", "decode_cursor", "encode_cursor"]

MAX_CURSOR_LENGTH = 200
_MAX_KEY = 2**62  # keys are database integers; anything larger was not made here


def encode_cursor(kind: str, key: int) -> str:
    """The cursor that continues the ``kind`` list after ``key``."""
    raw = json.dumps({"list": kind, "after": key}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str) -> int:
    """The key a cursor of the ``kind`` list continues after; 400 for anything else."""
    problem = ValidationError(
        f"The cursor {cursor[:40]!r} is not one this list returned; start again without `cursor` "
        "and follow `next_cursor` from each page."
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise problem
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise problem from None
    if not isinstance(data, dict) or data.get("list") != kind:
        raise problem
    key = data.get("after")
    if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= _MAX_KEY:
        raise problem
    return key
