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

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from workbench.contracts.dtypes import FLOAT_DTYPES, INTEGER_DTYPES, dtype_to_str
from workbench.contracts.model import DEFAULT_MAX_KEY_BYTES, ColumnSpec, InputContract
from workbench.core.errors import ValidationError
from workbench.core.yaml_text import YamlSyntaxError, line_of, parse_yaml, plain

__all__ = ["ColumnOverride", "ContractOverrides", "KeyOverride", "apply_overrides", "load_overrides"]

_TOP_KEYS = ("keys", "columns")
_COLUMN_KEYS = ("min", "max", "categories", "nullable")
_KEY_KEYS = ("name", "dtype", "nullable", "max_bytes")
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


@dataclass(frozen=True)
class ContractOverrides:
    """A parsed, shape-checked override file; :func:`apply_overrides` checks it against a contract."""

    columns: tuple[ColumnOverride, ...] = ()
    keys: tuple[KeyOverride, ...] = ()
    source: str = "<overrides>"

    @classmethod
    def from_dict(
        cls, data: Any, *, source: str = "<overrides>", locate: Callable[[str], int | None] | None = None
    ) -> ContractOverrides:
        """Shape-check ``data``; ``locate`` gives the line of a key such as ``columns.age.min``."""

        def fail(where: str, problem: str) -> ValidationError:
            line = locate(where) if locate is not None else None
            at = f"{source}:{line}" if line else source
            return ValidationError(f"Contract override file {at}: `{where}` {problem}.")

        if data is None:
            return cls(source=source)
        if not isinstance(data, dict):
            raise ValidationError(f"Contract override file {source}: the top level must be a mapping with {_TOP_KEYS}.")
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise fail(str(unknown[0]), f"is not a known key; use {list(_TOP_KEYS)}")
        return cls(
            columns=_parse_columns(data.get("columns") or {}, fail),
            keys=_parse_keys(data.get("keys") or [], fail),
            source=source,
        )


def _number(value: Any, where: str, fail: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(where, f"must be a number, got {value!r}")
    return value


def _parse_columns(raw: Any, fail: Any) -> tuple[ColumnOverride, ...]:
    if not isinstance(raw, dict):
        raise fail("columns", "must be a mapping of column name to overrides")
    out = []
    for name, body in raw.items():
        where = f"columns.{name}"
        if not isinstance(body, dict) or not body:
            raise fail(where, f"must be a non-empty mapping with any of {list(_COLUMN_KEYS)}")
        unknown = [k for k in body if k not in _COLUMN_KEYS]
        if unknown:
            raise fail(f"{where}.{unknown[0]}", f"is not a known key; use {list(_COLUMN_KEYS)}")
        minimum = _number(body["min"], f"{where}.min", fail) if "min" in body else None
        maximum = _number(body["max"], f"{where}.max", fail) if "max" in body else None
        if minimum is not None and maximum is not None and minimum > maximum:
            raise fail(where, f"has min {minimum} above max {maximum}")
        categories = body.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str | int | bool) for c in categories):
            raise fail(f"{where}.categories", "must be a list of values")
        nullable = body.get("nullable", False)
        if not isinstance(nullable, bool):
            raise fail(f"{where}.nullable", f"must be true or false, got {nullable!r}")
        if "nullable" in body and not nullable:
            raise fail(f"{where}.nullable", "can only be true: overrides widen a contract, never narrow it")
        cats = tuple(("true" if c else "false") if isinstance(c, bool) else str(c) for c in categories)
        out.append(
            ColumnOverride(name=str(name), minimum=minimum, maximum=maximum, add_categories=cats, nullable=nullable)
        )
    return tuple(out)


def _parse_keys(raw: Any, fail: Any) -> tuple[KeyOverride, ...]:
    if not isinstance(raw, list):
        raise fail("keys", "must be a list of column names or {name, dtype, nullable} mappings")
    out = []
    for i, entry in enumerate(raw):
        where = f"keys[{i}]"
        if isinstance(entry, str):
            out.append(KeyOverride(name=entry))
            continue
        if not isinstance(entry, dict) or "name" not in entry:
            raise fail(where, "must be a column name or a mapping with `name`")
        unknown = [k for k in entry if k not in _KEY_KEYS]
        if unknown:
            raise fail(f"{where}.{unknown[0]}", f"is not a known key; use {list(_KEY_KEYS)}")
        dtype = entry.get("dtype")
        if dtype is not None and dtype not in _KEY_DTYPES:
            raise fail(f"{where}.dtype", f"must be one of {sorted(_KEY_DTYPES)}, got {dtype!r}")
        nullable = entry.get("nullable", False)
        if not isinstance(nullable, bool):
            raise fail(f"{where}.nullable", f"must be true or false, got {nullable!r}")
        max_bytes = entry.get("max_bytes")
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not 1 <= max_bytes <= _MAX_KEY_LIMIT
        ):
            raise fail(
                f"{where}.max_bytes", f"must be a whole number of bytes from 1 to {_MAX_KEY_LIMIT}, got {max_bytes!r}"
            )
        out.append(KeyOverride(name=str(entry["name"]), dtype=dtype, nullable=nullable, max_bytes=max_bytes))
    return tuple(out)


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

    def locate(where: str) -> int | None:
        # `columns.age.min` or `keys[0].dtype`: names between dots, indices in brackets.
        steps = [int(part[1:-1]) if part.startswith("[") else part for part in re.findall(r"\[\d+\]|[^.\[]+", where)]
        return line_of(document, steps)

    return ContractOverrides.from_dict(plain(document), source=str(path), locate=locate)


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
