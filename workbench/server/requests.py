"""Reading request bodies and query arguments, with the limits the API promises.

A body is one JSON object of at most :data:`MAX_BODY_BYTES`, nested at most
:data:`MAX_DEPTH` levels, whose numbers are finite (no ``NaN``, ``Infinity`` or
``-Infinity``, which Python's json would otherwise accept, nor a literal that overflows
to infinity); anything else is a :class:`~workbench.core.errors.ValidationError` (400)
that says what was wrong, never a 500.
:class:`JsonBody` hands out typed fields and refuses unknown keys, so a typo in a
client never passes silently. This is input checking for the HTTP face only; what
the values mean is decided by the service the handler calls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from workbench.core.errors import ValidationError

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "MAX_LIST_ITEMS", "MAX_TEXT", "JsonBody", "parse_body"]

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_TEXT = 4000
MAX_LIST_ITEMS = 200


def parse_body(raw: bytes, allowed: tuple[str, ...]) -> JsonBody:
    """The request body as a :class:`JsonBody`; an empty body is an empty object."""
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(
            f"The request body has {len(raw)} bytes; the workbench API accepts at most {MAX_BODY_BYTES}.",
            details={"limit": MAX_BODY_BYTES, "size": len(raw)},
        )
    if not raw.strip():
        return JsonBody({}, allowed)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite as exc:
        raise ValidationError(
            f"The request body holds the non-finite number {exc.text}; the workbench API accepts finite "
            "numbers only (JSON itself has no NaN or Infinity).",
            details={"value": exc.text},
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except (UnicodeDecodeError, ValueError) as exc:
        # json.JSONDecodeError, and ValueError for an integer of more than 4300 digits.
        raise ValidationError(f"The request body is not valid JSON ({exc}); send one JSON object.") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"The request body must be a JSON object, not {type(data).__name__}.")
    if _depth(data) > MAX_DEPTH:
        raise _too_deep()
    return JsonBody(data, allowed)


class _NonFinite(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _refuse_constant(text: str) -> Any:
    """``parse_constant`` hook: Python's json would read NaN, Infinity and -Infinity."""
    raise _NonFinite(text)


def _finite_float(text: str) -> float:
    """``parse_float`` hook: a literal such as ``1e999`` is valid JSON but reads as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def _too_deep() -> ValidationError:
    return ValidationError(
        f"The request body nests arrays or objects more than {MAX_DEPTH} levels deep; "
        "the workbench API's bodies are shallow objects.",
        details={"limit": MAX_DEPTH},
    )


def _depth(value: Any) -> int:
    """How deeply ``value`` nests containers (a scalar is 0), without recursion; it stops
    counting past MAX_DEPTH."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


class JsonBody:
    """A parsed JSON object with typed accessors; unknown keys are refused up front."""

    def __init__(self, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ValidationError(
                f"Unknown field(s) {', '.join(unknown)} in the request body; allowed: {', '.join(allowed) or 'none'}.",
                details={"unknown": unknown, "allowed": list(allowed)},
            )
        self.data = data

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, default: str = "", *, max_length: int = MAX_TEXT) -> str:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ValidationError(f"`{key}` must be a string, not {type(value).__name__}.")
        if len(value) > max_length:
            raise ValidationError(f"`{key}` is {len(value)} characters long; the limit is {max_length}.")
        return value

    def optional_text(self, key: str, *, max_length: int = MAX_TEXT) -> str | None:
        if self.data.get(key) is None:
            return None
        return self.text(key, max_length=max_length)

    def required_text(self, key: str, *, max_length: int = MAX_TEXT) -> str:
        value = self.optional_text(key, max_length=max_length)
        if not value:
            raise ValidationError(f"`{key}` is required.")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ValidationError(f"`{key}` must be true or false, not {value!r}.")
        return value

    def text_list(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError(f"`{key}` must be a list of strings.")
        if len(value) > MAX_LIST_ITEMS:
            raise ValidationError(f"`{key}` has {len(value)} items; the limit is {MAX_LIST_ITEMS}.")
        return [item for item in value if item.strip()]

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError(f"`{key}` must be a JSON object.")
        return value

    def number(self, key: str, default: float | None = None, *, minimum: float | None = None) -> float | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"`{key}` must be a number, not {value!r}.")
        if minimum is not None and value < minimum:
            raise ValidationError(f"`{key}` must be at least {minimum}.")
        return float(value)
