"""Reading request bodies and query arguments, with the limits the API promises.

A body is one JSON object of at most :data:`MAX_BODY_BYTES`, nested at most
:data:`MAX_DEPTH` levels, whose numbers are finite (no ``NaN``, ``Infinity`` or
``-Infinity``, which Python's json would otherwise accept, nor a literal that overflows
to infinity); anything else is a :class:`~workbench.core.errors.ValidationError` (400)
that says what was wrong, never a 500.
Each endpoint's body is declared once below as a shape (:mod:`workbench.core.shapes`):
unknown keys are refused, so a typo in a client never passes silently, and a wrong type
names the field. This is input checking for the HTTP face only; what the values mean is
decided by the service the handler calls. ``openapi.yaml`` declares the same bodies for
clients (tests/server/test_openapi.py holds the two together).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr

from workbench.core.errors import ValidationError
from workbench.core.shapes import Shape, ShapeError, check, described

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_LIST_ITEMS",
    "MAX_TEXT",
    "DecisionBody",
    "NoBody",
    "PauseBody",
    "PromoteBody",
    "PromotionBody",
    "ReportBody",
    "ScheduleBody",
    "ScoreBody",
    "StageRunBody",
    "StatusBody",
    "parse_body",
    "read_json",
]

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_TEXT = 4000
MAX_LIST_ITEMS = 200


def read_json(raw: bytes) -> dict[str, Any]:
    """The request body as one JSON object, within the limits; an empty body is an empty object."""
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(
            f"The request body has {len(raw)} bytes; the workbench API accepts at most {MAX_BODY_BYTES}.",
            details={"limit": MAX_BODY_BYTES, "size": len(raw)},
        )
    if not raw.strip():
        return {}
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
    return data


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


S = TypeVar("S", bound=Shape)


def parse_body(raw: bytes, shape: type[S]) -> S:
    """The request body checked against its declared ``shape``; an empty body is an empty object."""
    data = read_json(raw)
    allowed = list(shape.model_fields)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            f"Unknown field(s) {', '.join(unknown)} in the request body; allowed: {', '.join(allowed) or 'none'}.",
            details={"unknown": unknown, "allowed": allowed},
        )
    try:
        return check(shape, data)
    except ShapeError as exc:
        problem = exc.problem
        raise ValidationError(f"`{problem.dotted}` {problem.message}", details={"field": problem.dotted}) from None


def _nonblank(items: list[str]) -> list[str]:
    return [item for item in items if item.strip()]


_Texts = Annotated[
    list[Annotated[StrictStr, Field(max_length=MAX_TEXT)]],
    Field(max_length=MAX_LIST_ITEMS),
    described("a list of strings"),
    AfterValidator(_nonblank),
]


class NoBody(Shape):
    """An action that takes no fields (``{}`` or nothing)."""


class DecisionBody(Shape):
    """A reviewer's or approver's decision with an optional comment."""

    decision: StrictStr = Field(min_length=1, max_length=20)
    comment: StrictStr = Field(default="", max_length=MAX_TEXT)


class PromoteBody(Shape):
    version: Annotated[StrictInt, Field(ge=1), described("the whole version number to promote")]
    reason: StrictStr = Field(default="", max_length=MAX_TEXT)


class ReportBody(Shape):
    path: StrictStr = Field(default="", max_length=500)


class StageRunBody(Shape):
    params: dict[str, Any] = Field(default_factory=dict)


class ScoreBody(Shape):
    """A scoring job; fields left out take :class:`~workbench.jobs.request.ScoreRequest`'s defaults."""

    model: StrictStr = Field(min_length=1, max_length=200)
    input: StrictStr = Field(min_length=1, max_length=500)
    output: StrictStr = Field(min_length=1, max_length=500)
    device: StrictStr = Field(default="", max_length=20)
    engine: StrictStr = Field(default="", max_length=10)
    explain: StrictStr = Field(default="", max_length=10)
    top_k: Annotated[StrictInt, Field(ge=1)] | None = None
    overwrite: StrictBool = False
    keep: _Texts = Field(default_factory=list)


class StatusBody(Shape):
    status: StrictStr = Field(min_length=1, max_length=20)


class PromotionBody(Shape):
    notebook: StrictStr = Field(min_length=1, max_length=500)
    stage: StrictStr = Field(default="", max_length=64)
    deps: _Texts = Field(default_factory=list)
    outs: _Texts = Field(default_factory=list)
    metrics: _Texts = Field(default_factory=list)
    plots: _Texts = Field(default_factory=list)
    force: StrictBool = False
    dry_run: StrictBool = False
    params: dict[str, Any] = Field(default_factory=dict)


class ScheduleBody(Shape):
    stage: StrictStr = Field(min_length=1, max_length=64)
    cron: StrictStr = Field(min_length=1, max_length=100)
    tz: StrictStr = Field(default="UTC", max_length=64)
    mode: StrictStr = Field(default="run", max_length=10)


class PauseBody(Shape):
    paused: Annotated[StrictBool, described('true to pause the schedule or false to resume it: {"paused": true}')]
