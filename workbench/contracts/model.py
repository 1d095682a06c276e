"""The input contract as values: :class:`ColumnSpec` and :class:`InputContract`.

Both are frozen and round-trip through plain JSON (``to_dict``/``from_dict``), which
is how the registry stores a contract with a model version and how a scoring job
reads it back. ``FORMAT_VERSION`` is bumped if the shape ever changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.contracts.dtypes import dtype_kind
from workbench.core.errors import ValidationError

__all__ = ["DEFAULT_MAX_KEY_BYTES", "FORMAT_VERSION", "ColumnSpec", "InputContract"]

FORMAT_VERSION = 1
ROLES = ("feature", "key")
#: The longest text or binary key value (UTF-8 bytes) a contract accepts unless it says otherwise:
#: keys are copied into every output row and every review item, so one huge key costs storage everywhere.
DEFAULT_MAX_KEY_BYTES = 256


@dataclass(frozen=True)
class ColumnSpec:
    """One column the model's input must have.

    ``dtype`` is the contract dtype string (see :mod:`workbench.contracts.dtypes`).
    ``minimum``/``maximum`` are set for numeric features; ``categories`` for
    string, categorical, enum and boolean features (booleans as ``"false"``/``"true"``).
    For a categorical feature the order of ``categories`` *is* the encoding: value
    ``categories[i]`` reaches the model as code ``i``. Key columns carry no
    ranges or categories; they are row identifiers copied to outputs, and a text or
    binary key value may be at most ``max_bytes`` long (UTF-8 bytes; None means
    :data:`DEFAULT_MAX_KEY_BYTES`).
    """

    name: str
    dtype: str
    role: str = "feature"
    nullable: bool = False
    minimum: float | int | None = None
    maximum: float | int | None = None
    categories: tuple[str, ...] | None = None
    max_bytes: int | None = None

    @property
    def kind(self) -> str:
        """``integer``, ``float``, ``boolean``, ``categorical`` or ``other``."""
        return dtype_kind(self.dtype)

    @property
    def key_limit(self) -> int:
        """The longest value (bytes) this column accepts as a key."""
        return self.max_bytes if self.max_bytes is not None else DEFAULT_MAX_KEY_BYTES

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "dtype": self.dtype,
            "role": self.role,
            "nullable": self.nullable,
            "min": self.minimum,
            "max": self.maximum,
            "categories": None if self.categories is None else list(self.categories),
        }
        if self.max_bytes is not None:  # only when set, so contracts stored before it read back unchanged
            data["max_bytes"] = self.max_bytes
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        try:
            categories = data.get("categories")
            spec = cls(
                name=str(data["name"]),
                dtype=str(data["dtype"]),
                role=str(data.get("role", "feature")),
                nullable=bool(data.get("nullable", False)),
                minimum=data.get("min"),
                maximum=data.get("max"),
                categories=None if categories is None else tuple(str(c) for c in categories),
                max_bytes=None if data.get("max_bytes") is None else int(data["max_bytes"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"A contract column entry is malformed ({exc!r}): {data!r}. "
                "Re-derive the contract with `derive_contract`."
            ) from None
        if spec.role not in ROLES:
            raise ValidationError(f"Contract column {spec.name!r} has role {spec.role!r}; expected one of {ROLES}.")
        return spec


@dataclass(frozen=True)
class InputContract:
    """What a model's input must look like.

    ``columns`` are the key and feature columns in the order of the training frame.
    ``features`` are the model's inputs in the order the model expects them (the
    training frame's order unless ``derive_contract(features=...)`` said otherwise).
    ``keys`` identify rows and are carried to outputs but never reach the model.
    ``target`` is recorded for lineage only; scoring input need not have it.
    """

    columns: tuple[ColumnSpec, ...]
    features: tuple[str, ...]
    keys: tuple[str, ...] = ()
    target: str | None = None
    rows: int = 0
    format_version: int = FORMAT_VERSION
    _by_name: dict[str, ColumnSpec] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_name = {c.name: c for c in self.columns}
        if len(by_name) != len(self.columns):
            raise ValidationError("A contract lists the same column twice.")
        for name in (*self.features, *self.keys):
            if name not in by_name:
                raise ValidationError(f"Contract lists {name!r} as a feature or key but has no column for it.")
        object.__setattr__(self, "_by_name", by_name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every contract column (keys and features) in training-frame order."""
        return tuple(c.name for c in self.columns)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The same as ``features``, under the name XGBoost uses."""
        return self.features

    def column(self, name: str) -> ColumnSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError(
                f"Column {name!r} is not in the contract; its columns are {list(self.names)}."
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def feature_types(self) -> list[str]:
        """XGBoost ``feature_types`` for the features: ``"c"`` for categorical columns, ``"q"`` otherwise.

        Pass them with ``enable_categorical=True`` when training on
        :func:`~workbench.contracts.feature_matrix` to get native categorical splits.
        """
        return ["c" if self._by_name[f].kind == "categorical" else "q" for f in self.features]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "columns": [c.to_dict() for c in self.columns],
            "features": list(self.features),
            "keys": list(self.keys),
            "target": self.target,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputContract:
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValidationError(
                f"Contract format version {version} is not supported (this workbench reads {FORMAT_VERSION}). "
                "Upgrade workbench or re-register the model."
            )
        try:
            return cls(
                columns=tuple(ColumnSpec.from_dict(c) for c in data["columns"]),
                features=tuple(data["features"]),
                keys=tuple(data.get("keys", ())),
                target=data.get("target"),
                rows=int(data.get("rows", 0)),
            )
        except (KeyError, TypeError) as exc:
            raise ValidationError(f"A contract is malformed: missing or bad field {exc}.") from None
