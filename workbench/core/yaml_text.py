"""The one way workbench reads YAML: ruamel.yaml, YAML 1.2, the dialect DVC reads too.

:func:`parse_yaml` gives plain Python values; with ``keep_lines`` it gives ruamel's
round-trip nodes, which remember where each key sits, so that a validator can name the
file, line and key of a mistake (:func:`line_of`). :func:`plain` turns those nodes into
plain values once checking is done. Text only: reading the file is the caller's business.

One exception reads YAML 1.1 through PyYAML on purpose: a ``-p key=value`` given on the
command line (``notebooks.parameters.parse_cli_value``), so that ``yes`` and ``1e3`` keep
the meaning papermill's users expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["YamlSyntaxError", "line_of", "parse_yaml", "plain"]


class YamlSyntaxError(ValueError):
    """Text that is not YAML; ``line`` is 1-based where the parser knows it."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.problem = problem
        self.line = line


def parse_yaml(text: str, *, keep_lines: bool = False) -> Any:
    """The document in ``text`` (None when empty); raises :class:`YamlSyntaxError`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt" if keep_lines else "safe").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(str(problem), mark.line + 1 if mark is not None else None) from None


def line_of(node: Any, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the key or item that ``path`` leads to in a round-trip document,
    or of the deepest part of it that exists; None for plain values."""
    line = None
    for step in path:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(node, dict) and step in node:
                line, node = lc.key(step)[0] + 1, node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                line, node = lc.item(step)[0] + 1, node[step]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def plain(value: Any) -> Any:
    """Round-trip nodes as plain Python values: dicts with text keys, lists, and the plain
    types of their scalars (a timestamp stays a datetime)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
