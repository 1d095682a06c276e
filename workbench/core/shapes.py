"""Declared shapes: what a YAML section or a JSON body must look like, checked by pydantic.

Every input a person writes (a policy and its sections, a contract override file, an
HTTP request body) is declared once as a pydantic model, a *shape*: unknown keys are
refused (``extra="forbid"``), booleans, whole numbers and numbers are strict (a quoted
``"false"`` is text, never read as true), and constraints such as ``ge=0`` sit on the
field. :func:`check` validates and turns pydantic's first error into a :class:`Problem`:

* the path to the key (``("checks", "aprovals")``) and its dotted form
  (``checks.aprovals``, ``rules[0].when``);
* the key's 1-based line, when given the round-trip document the data came from
  (:func:`workbench.core.yaml_text.line_of`);
* a message in plain words: "must be a number, got 'half'", "unknown key. Did you mean
  `approvals`?" (the suggestion comes from the shape's own field names at that place).

Each face formats a :class:`Problem` its own way (a policy names file, line and key; a
request body the field) and raises its own error class. What a value *means* together with
others (a decline threshold above accept, a rule name used twice) stays in the code that
reads the shape, after :func:`check`, reported through the same :class:`Problem`.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from workbench.core.yaml_text import line_of

__all__ = ["Names", "Number", "Problem", "Shape", "ShapeError", "check", "dotted", "invalid", "one_of"]

S = TypeVar("S", bound="Shape")


class Shape(BaseModel):
    """Base of every declared shape: unknown keys refused, instances frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """One name may stand for a list of one; an empty key (``models:``) is no names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


#: A list of names that may be written as one name (``roles: approver``).
Names = Annotated[tuple[str, ...], BeforeValidator(_as_list)]


def invalid(message: str) -> PydanticCustomError:
    """An error for a validator to raise; ``message`` is shown as written."""
    return PydanticCustomError("workbench", message)


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"must be a number, got {value!r}.")
    return value


#: A number as written: an int stays an int, a float a float; booleans and text are refused.
Number = Annotated[float | int, PlainValidator(_number)]


def one_of(*values: str) -> AfterValidator:
    """A text field limited to ``values``: ``Annotated[str, one_of("run", "repro")]``."""

    def _check(value: str) -> str:
        if value not in values:
            raise invalid(f"{value!r} is not one of {', '.join(values)}.")
        return value

    return AfterValidator(_check)


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: the path into the data, its line when known, the message."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None
    kind: str = ""  # pydantic's error type; "unknown_key" for a key the shape does not have
    hint: str = ""  # for an unknown key: " Did you mean `x`?" or " Allowed: a, b."

    @property
    def dotted(self) -> str:
        """``checks.fairness.gender`` or ``rules[0].when``."""
        return dotted(self.path)

    @property
    def key(self) -> str:
        """The last key on the path (a list index names its list): ``metrics`` for ``checks.metrics[0]``."""
        names = [step for step in self.path if isinstance(step, str)]
        return names[-1] if names else ""


class ShapeError(ValueError):
    """Data that does not fit its shape; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.dotted}: {problem.message}" if problem.path else problem.message)
        self.problem = problem


def dotted(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def check(shape: type[S], data: Any, *, document: Any = None, prefix: Sequence[str | int] = ()) -> S:
    """``data`` validated as ``shape``; raises :class:`ShapeError` for the first problem.

    ``document`` is the round-trip YAML the data was read from (for line numbers);
    ``prefix`` is where ``data`` sits inside it (``("routing",)`` for a policy's section).
    """
    try:
        return shape.model_validate(_without_nulls({} if data is None else data))
    except PydanticValidationError as exc:
        error = exc.errors(include_url=False)[0]
        # A mapping's key that fails its own check is reported at the key ("[key]" dropped).
        path = tuple(step for step in error["loc"] if isinstance(step, str | int) and step != "[key]")
        kind = str(error["type"])
        if kind == "extra_forbidden":
            allowed = _fields_at(shape, path[:-1])
            close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else f" Allowed: {', '.join(allowed)}."
            message, kind = f"unknown key.{hint}", "unknown_key"
        else:
            hint = ""
            described = _described(shape, path)
            if described is not None and kind in _DESCRIBED_KINDS:
                path = path[: described[0]]
                message = f"must be {described[1]}, got {error.get('input')!r}."
            else:
                message = _message(error)
        full = (*prefix, *path)
        line = line_of(document, full) if document is not None else None
        raise ShapeError(Problem(full, message, line, kind, hint)) from None


def _without_nulls(value: Any) -> Any:
    """A key written with no value (``roles:``) is the same as a key left out: its default holds."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


# Errors about a value's type or range, which a field's ``description`` phrases for it.
_DESCRIBED_KINDS = frozenset(
    {
        "bool_type", "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "finite_number",
        "string_type", "list_type", "tuple_type", "dict_type", "greater_than_equal", "greater_than",
        "less_than_equal", "less_than", "too_long", "string_too_long", "too_short", "string_too_short",
        "string_pattern_mismatch",
    }
)  # fmt: skip


def _message(error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    simple = {
        "bool_type": f"must be true or false (unquoted), got {value!r}.",
        "int_type": f"must be a whole number, got {value!r}.",
        "int_parsing": f"must be a whole number, got {value!r}.",
        "int_from_float": f"must be a whole number, got {value!r}.",
        "float_type": f"must be a number, got {value!r}.",
        "float_parsing": f"must be a number, got {value!r}.",
        "finite_number": f"must be a finite number, got {value!r}.",
        "string_type": f"must be a string, got {value!r}.",
        "list_type": f"must be a list, got {type(value).__name__}.",
        "tuple_type": f"must be a list, got {type(value).__name__}.",
        "dict_type": f"must be a mapping of keys to values, got {type(value).__name__}.",
        "model_type": f"must be a mapping of keys to values, got {type(value).__name__}.",
        "model_attributes_type": f"must be a mapping of keys to values, got {type(value).__name__}.",
        "missing": "is required.",
    }
    if kind in simple:
        return simple[kind]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "above", "less_than_equal": "at most"}
        bound = next(iter(ctx.values()))
        shown = f"{bound:g}" if isinstance(bound, float) else bound
        return f"must be {word.get(kind, 'below')} {shown}, got {value!r}."
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected', '')}."
    if kind in ("too_short", "string_too_short") and ctx.get("min_length") == 1:
        return "is required."
    if kind in ("too_long", "string_too_long"):
        limit = ctx.get("max_length")
        size = len(value) if hasattr(value, "__len__") else "?"
        unit = "characters" if kind == "string_too_long" else "items"
        return f"has {size} {unit}; the limit is {limit}."
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def _described(shape: Any, path: Sequence[str | int]) -> tuple[int, str] | None:
    """The deepest field on ``path`` whose ``description`` says what it must be, and how many
    steps lead to it: ``keep[0]`` given as 7 is reported as "`keep` must be a list of strings"."""
    found = None
    current: Any = shape
    for depth, step in enumerate(path, start=1):
        model = _unwrap(current)
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = next((f for n, f in model.model_fields.items() if step in (n, f.alias)), None)
            if field is not None and field.description:
                found = (depth, field.description)
        current = _step(current, step)
        if current is None:
            break
    # It speaks for the field's own value and its items, not for a key of a mapping inside it.
    if found is not None and all(isinstance(step, int) for step in path[found[0] :]):
        return found
    return None


def _fields_at(shape: Any, path: Sequence[str | int]) -> list[str]:
    """The keys the shape allows at ``path`` (field aliases where set), for "did you mean"."""
    current: Any = shape
    for step in path:
        current = _step(current, step)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]``, ``X | None`` and ``Optional[X]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _step(annotation: Any, step: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if step in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, Sequence) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None
