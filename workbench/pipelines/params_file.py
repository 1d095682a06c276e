"""``params.yaml``: one section per stage, edited without losing comments.

Promotion merges a notebook's defaults into the stage's section with ruamel.yaml's
round-trip mode, so existing values, their order and every comment survive. A run
reads the section with a plain safe loader.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.yaml_text import YamlSyntaxError, parse_yaml, plain
from workbench.notebooks.parameters import ParamSpec

__all__ = ["PARAMS_FILE", "ParamsMerge", "merge_stage_params", "read_stage_params"]

PARAMS_FILE = "params.yaml"


@dataclass(frozen=True)
class ParamsMerge:
    """The new text of params.yaml and what changed in the stage's section."""

    text: str
    values: dict[str, Any]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: bool
    problems: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _checked_overrides(specs: list[ParamSpec], overrides: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    by_name = {spec.name: spec for spec in specs}
    known = ", ".join(sorted(by_name)) or "none"
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        spec = by_name.get(key)
        if spec is None:
            problems.append(
                f"unknown parameter `{key}` (from the values given); the notebook's parameters are: {known}"
            )
            continue
        try:
            checked[key] = spec.check(value)
        except TypeError as exc:
            problems.append(f"{exc} (from the values given)")
    return checked


def merge_stage_params(
    path: Path, stage: str, specs: list[ParamSpec], overrides: Mapping[str, Any] | None = None
) -> ParamsMerge:
    """Merge ``specs`` into ``stage``'s section of ``path``: keep valid existing values, add new
    parameters with their defaults, drop keys the notebook no longer has, and set ``overrides``
    (typed values, e.g. from the sidebar's promotion form) after checking them."""
    yaml = _yaml()
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        document = yaml.load(original) if original.strip() else None
    except Exception as exc:  # ruamel raises several unrelated classes
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix it before promoting.") from exc
    from ruamel.yaml.comments import CommentedMap

    if document is None:
        document = CommentedMap()
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a mapping of stage names to parameters.")
    section = document.get(stage)
    created = section is None
    if section is None:
        section = CommentedMap()
        document[stage] = section
    elif not isinstance(section, dict):
        raise ConfigError(f"{path}: `{stage}` must be a mapping of parameter names to values.")
    names = [spec.name for spec in specs]
    removed = tuple(key for key in list(section) if key not in names)
    for key in removed:
        del section[key]
    added: list[str] = []
    updated: list[str] = []
    problems: list[str] = []
    values: dict[str, Any] = {}
    chosen = _checked_overrides(specs, overrides or {}, problems)
    for spec in specs:
        if spec.name in chosen:
            value = chosen[spec.name]
            values[spec.name] = value
            if spec.name not in section:
                added.append(spec.name)
            elif plain(section[spec.name]) == value:
                continue
            else:
                updated.append(spec.name)
            section[spec.name] = value
            continue
        if spec.name in section:
            current = plain(section[spec.name])
            try:
                values[spec.name] = spec.check(current)
            except TypeError as exc:
                problems.append(f"{path.name} `{stage}`: {exc}; change the value or the notebook's default")
            continue
        section[spec.name] = spec.default
        values[spec.name] = spec.default
        added.append(spec.name)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    # Untouched sections leave the file byte-for-byte alone, even where ruamel would re-indent it.
    changed = bool(added or removed or created or updated)
    return ParamsMerge(
        text if changed else original, values, tuple(added), removed, changed, tuple(problems), tuple(updated)
    )


def read_stage_params(root: Path, stage: str) -> dict[str, Any]:
    """The stage's section of ``root/params.yaml`` (empty if the file or section is missing)."""
    path = root / PARAMS_FILE
    if not path.is_file():
        return {}
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix it or restore it from git.") from exc
    section = (data or {}).get(stage) if isinstance(data, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: `{stage}` must be a mapping of parameter names to values.")
    return section
