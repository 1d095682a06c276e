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
  `approvals`?" (from the shape's own fields), or a field's own words (:func:`described`).

Each face formats a :class:`Problem` its own way (a policy names file, line and key; a
request body the field) and raises its own error class. What a value *means* together with
others (a decline threshold above accept, a rule name used twice) stays in the code that
reads the shape, after :func:`check`, reported through the same :class:`Problem`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from workbench.core.yaml_text import line_of

__all__ = ["Names", "Number", "Problem", "Shape", "ShapeError", "check", "described", "dotted", "invalid", "one_of"]

S = TypeVar("S", bound="Shape")


class Shape(BaseModel):
    """Base of every declared shape: unknown keys refused, instances frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """Refuse a key the shape lacks, suggesting the closest one it has (before pydantic's
        ``extra="forbid"``, which knows no suggestions)."""
        if isinstance(data, dict):
            allowed = [field.alias or name for name, field in cls.model_fields.items()]
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f" Did you mean `{close[0]}`?" if close else f" Allowed: {', '.join(allowed)}."
                    raise PydanticCustomError("unknown_key", "unknown key.{hint}", {"key": str(key), "hint": hint})
        return data


def _as_list(value: Any) -> Any:
    """One name may stand for a list of one (an empty key never gets here: :func:`check` drops nulls)."""
    return [value] if isinstance(value, str) else value


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


def described(what: str) -> WrapValidator:
    """Say a field's type and range errors, its items' included, as "must be WHAT, got VALUE"."""

    def _wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except PydanticValidationError as exc:
            # Only errors about the value itself or its items; a key of a mapping inside names itself.
            if any(
                e["type"] not in _DESCRIBED_KINDS or any(isinstance(s, str) for s in e["loc"]) for e in exc.errors()
            ):
                raise
            raise invalid(f"must be {what}, got {value!r}.") from None

    return WrapValidator(_wrap)


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
        kind, ctx = str(error["type"]), error.get("ctx") or {}
        if kind == "unknown_key":
            path = (*path, ctx["key"])
        full = (*prefix, *path)
        line = line_of(document, full) if document is not None else None
        raise ShapeError(Problem(full, _message(error), line, kind, ctx.get("hint", ""))) from None


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
    if kind == "unknown_key":
        return str(error["msg"])
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
