"""Contract override files: widen what a derived contract accepts, from YAML.

A training frame rarely shows every legitimate value, so an analyst can widen the
derived contract with a small file checked in next to the notebook::

    keys:                        # row identifiers, carried to outputs, never features
      - applicant_id             # dtype taken from the training frame ...
      - name: batch_id           # ... or given here
        dtype: String
        nullable: true
    columns:
      age: {min: 16, max: 99}    # widen the range seen in training
      program:
        categories: [law]        # add allowed values; appended, so existing codes keep their meaning
      gpa: {nullable: true}      # allow nulls

Overrides only widen: narrowing a range or un-marking nulls is refused, and so is
turning a model feature into a key (the model would lose an input). Every error
names the file, the line (when read from a file) and the YAML key at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

from workbench.contracts.dtypes import FLOAT_DTYPES, INTEGER_DTYPES, dtype_to_str
from workbench.contracts.model import DEFAULT_MAX_KEY_BYTES, ColumnSpec, InputContract
from workbench.core.errors import ValidationError
from workbench.core.shapes import Number, Shape, ShapeError, check, described, invalid
from workbench.core.yaml_text import YamlSyntaxError, parse_yaml, plain

__all__ = ["ColumnOverride", "ContractOverrides", "KeyOverride", "apply_overrides", "load_overrides"]

# A key longer than this is a document, not an identifier.
_MAX_KEY_LIMIT = 1 << 20
_KEY_DTYPES = frozenset({*INTEGER_DTYPES, *FLOAT_DTYPES, "Boolean", "String", "Categorical", "Date", "Binary"})


@dataclass(frozen=True)
class ColumnOverride:
    name: str
    minimum: float | int | None = None
    maximum: float | int | None = None
    add_categories: tuple[str, ...] = ()
    nullable: bool = False


@dataclass(frozen=True)
class KeyOverride:
    name: str
    dtype: str | None = None
    nullable: bool = False
    max_bytes: int | None = None


def _widen_only(value: bool) -> bool:
    if not value:
        raise invalid("can only be true: overrides widen a contract, never narrow it")
    return value


def _category(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str | int):
        raise invalid(f"must be text, a whole number or true/false, got {value!r}")
    return str(value)


def _key_dtype(value: str) -> str:
    if value not in _KEY_DTYPES:
        raise invalid(f"must be one of {sorted(_KEY_DTYPES)}, got {value!r}")
    return value


class _Column(Shape):
    minimum: Number | None = Field(default=None, alias="min")
    maximum: Number | None = Field(default=None, alias="max")
    categories: list[Annotated[str, PlainValidator(_category)]] = Field(default_factory=list)
    nullable: Annotated[StrictBool, AfterValidator(_widen_only)] = False

    @model_validator(mode="after")
    def _sensible(self) -> _Column:
        if not self.model_fields_set:
            raise invalid(f"must be a non-empty mapping with any of {_COLUMN_KEYS}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise invalid(f"has min {self.minimum} above max {self.maximum}")
        return self


_COLUMN_KEYS = ["min", "max", "categories", "nullable"]


def _named(value: Any) -> Any:
    """A key is a column name, or a mapping with its ``name``."""
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict) or "name" not in value:
        raise invalid("must be a column name or a mapping with `name`")
    return value


class _Key(Shape):
    name: StrictStr
    dtype: Annotated[StrictStr, AfterValidator(_key_dtype)] | None = None
    nullable: StrictBool = False
    max_bytes: (
        Annotated[
            StrictInt, Field(ge=1, le=_MAX_KEY_LIMIT), described(f"a whole number of bytes from 1 to {_MAX_KEY_LIMIT}")
        ]
        | None
    ) = None


class _OverrideFile(Shape):
    keys: list[Annotated[_Key, BeforeValidator(_named)]] = Field(default_factory=list)
    columns: dict[str, _Column] = Field(default_factory=dict)


@dataclass(frozen=True)
class ContractOverrides:
    """A parsed, shape-checked override file; :func:`apply_overrides` checks it against a contract."""

    columns: tuple[ColumnOverride, ...] = ()
    keys: tuple[KeyOverride, ...] = ()
    source: str = "<overrides>"

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<overrides>", document: Any = None) -> ContractOverrides:
        """Shape-check ``data``; ``document`` (the round-trip YAML it came from) gives lines."""
        if data is not None and not isinstance(data, dict):
            raise ValidationError(
                f"Contract override file {source}: the top level must be a mapping with keys, columns."
            )
        try:
            shape = check(_OverrideFile, data, document=document)
        except ShapeError as exc:
            problem = exc.problem
            at = f"{source}:{problem.line}" if problem.line else source
            message = f"is not a known key.{problem.hint}" if problem.kind == "unknown_key" else problem.message
            text = message.rstrip(".") + ("" if message.endswith("?") else ".")
            raise ValidationError(f"Contract override file {at}: `{problem.dotted}` {text}") from None
        columns = tuple(
            ColumnOverride(name, c.minimum, c.maximum, tuple(c.categories), c.nullable)
            for name, c in shape.columns.items()
        )
        keys = tuple(KeyOverride(k.name, k.dtype, k.nullable, k.max_bytes) for k in shape.keys)
        return cls(columns=columns, keys=keys, source=source)


def load_overrides(path: str | Path) -> ContractOverrides:
    """Read and shape-check a YAML contract override file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"Contract override file {path} does not exist; check the path.") from None
    try:
        document = parse_yaml(text, keep_lines=True)
    except YamlSyntaxError as exc:
        raise ValidationError(f"Contract override file {path} is not valid YAML: {exc}") from None

    return ContractOverrides.from_dict(plain(document), source=str(path), document=document)


def apply_overrides(
    contract: InputContract, overrides: ContractOverrides, *, frame: pl.DataFrame | None = None
) -> InputContract:
    """A new contract with ``overrides`` applied; ``frame`` (the training frame) supplies dtypes of new keys."""

    def fail(where: str, problem: str) -> ValidationError:
        return ValidationError(f"Contract override file {overrides.source}: `{where}` {problem}.")

    specs = {c.name: c for c in contract.columns}
    for override in overrides.columns:
        where = f"columns.{override.name}"
        if override.name not in specs:
            raise fail(where, f"names a column that is not in the contract; its columns are {list(specs)}")
        specs[override.name] = _widen(specs[override.name], override, where, fail)

    new_keys: list[str] = []
    extra: list[ColumnSpec] = []
    for i, key in enumerate(overrides.keys):
        where = f"keys[{i}]"
        if key.name in contract.features:
            raise fail(
                where,
                f"names {key.name!r}, a model feature; a key cannot be a feature. "
                "Derive the contract with `features=` that leave it out",
            )
        if key.max_bytes is not None:
            current = specs[key.name].key_limit if key.name in specs else DEFAULT_MAX_KEY_BYTES
            if key.max_bytes < current:
                raise fail(
                    f"{where}.max_bytes",
                    f"= {key.max_bytes} would narrow the key limit of {current} bytes; overrides may only widen it",
                )
        if key.name in contract.keys or key.name in new_keys:
            if key.max_bytes is not None and key.name in specs:
                specs[key.name] = replace(specs[key.name], max_bytes=key.max_bytes)
            continue
        dtype = key.dtype
        if dtype is None:
            if frame is None or key.name not in frame.schema:
                raise fail(where, f"names {key.name!r}, which is not in the training frame; give its `dtype`")
            dtype = dtype_to_str(frame.schema[key.name])
        new_keys.append(key.name)
        extra.append(ColumnSpec(name=key.name, dtype=dtype, role="key", nullable=key.nullable, max_bytes=key.max_bytes))

    columns = tuple(extra) + tuple(specs[c.name] for c in contract.columns)
    return replace(contract, columns=columns, keys=(*contract.keys, *new_keys))


def _widen(spec: ColumnSpec, override: ColumnOverride, where: str, fail: Any) -> ColumnSpec:
    changes: dict[str, Any] = {}
    if override.minimum is not None or override.maximum is not None:
        if spec.role != "feature" or spec.kind not in ("integer", "float"):
            raise fail(where, f"sets min/max, but {spec.name!r} is not a numeric feature ({spec.dtype})")
        for bound, value, current in (
            ("min", override.minimum, spec.minimum),
            ("max", override.maximum, spec.maximum),
        ):
            if value is None:
                continue
            narrows = current is not None and (value > current if bound == "min" else value < current)
            if narrows:
                raise fail(
                    f"{where}.{bound}",
                    f"= {value} would narrow the range [{spec.minimum}, {spec.maximum}] seen in training; "
                    "overrides may only widen it",
                )
            changes["minimum" if bound == "min" else "maximum"] = value
    if override.add_categories:
        if spec.categories is None:
            raise fail(f"{where}.categories", f"adds categories, but {spec.name!r} has no category set ({spec.dtype})")
        if spec.kind == "boolean" and not set(override.add_categories) <= {"true", "false"}:
            raise fail(f"{where}.categories", "of a boolean column can only be true or false")
        added = tuple(c for c in dict.fromkeys(override.add_categories) if c not in spec.categories)
        changes["categories"] = spec.categories + added
        if spec.kind == "boolean":
            changes["categories"] = tuple(sorted(changes["categories"]))
    if override.nullable:
        changes["nullable"] = True
    return replace(spec, **changes)
