"""Promotion checks: can this notebook run unattended, anywhere?

:func:`check_notebook` collects every problem instead of stopping at the first, so
an analyst fixes them all in one go: the parameters cell (see
:mod:`workbench.notebooks.parameters`), code that does not parse, a kernel that is
not Python, and absolute paths (``/home/ana/data.csv``, ``C:\\data``, ``~/data``),
which work on one machine only. A line that really needs an absolute path can say
so with the comment ``# workbench: allow-absolute-path``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.notebooks.parameters import ParamSpec, parameter_cells, read_parameters
from workbench.notebooks.reading import load_notebook

__all__ = ["ALLOW_ABSOLUTE_MARK", "NotebookReport", "absolute_paths", "check_notebook"]

ALLOW_ABSOLUTE_MARK = "workbench: allow-absolute-path"
_POSIX_ABSOLUTE = re.compile(r"^(?:/|~/)[\w.-]+(?:/[^\n]*)?$")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class NotebookReport:
    """What the checks found: the parameters, and every problem as a sentence."""

    path: str
    parameters: tuple[ParamSpec, ...] = ()
    problems: tuple[str, ...] = ()
    parameters_cell: int | None = None
    notebook: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "parameters": [spec.to_dict() for spec in self.parameters],
            "problems": list(self.problems),
            "parameters_cell": self.parameters_cell,
        }


def _looks_absolute(text: str) -> bool:
    return bool(_POSIX_ABSOLUTE.match(text) or _WINDOWS_ABSOLUTE.match(text))


def _parse(source: str) -> tuple[ast.Module, str]:
    """Parse cell source; IPython magics and shell escapes are turned into Python first."""
    try:
        return ast.parse(source), source
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
        return ast.parse(python), python


def absolute_paths(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string literal in ``source`` that looks like an absolute path.

    Raises ``SyntaxError`` when the source does not parse.
    """
    tree, python = _parse(source)
    lines = python.splitlines()
    found: list[tuple[int, str]] = []
    # In f"{folder}/name.csv" the literal part "/name.csv" continues a path that
    # starts elsewhere; only an f-string's leading literal can make it absolute.
    continuations = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values[1:]
        if isinstance(part, ast.Constant)
    }
    for node in ast.walk(tree):
        if id(node) in continuations:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _looks_absolute(node.value):
            line = node.lineno
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            if ALLOW_ABSOLUTE_MARK not in text:
                found.append((line, node.value))
    return sorted(found)


def _language(notebook: Any) -> str | None:
    metadata = notebook.get("metadata", {})
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    return language.lower() if isinstance(language, str) else None


def check_notebook(path: Path, display: str | None = None) -> NotebookReport:
    """Run every promotion check on the notebook at ``path``.

    A file that is not a notebook raises :class:`~workbench.core.errors.NotebookError`
    (nothing else can be checked); everything else is collected into the report.
    """
    shown = display or str(path)
    notebook = load_notebook(path, shown)
    problems: list[str] = []
    language = _language(notebook)
    if language is not None and language != "python":
        problems.append(f"the notebook's kernel language is {language}; workbench runs Python notebooks only")
    specs, parameter_problems = read_parameters(notebook)
    problems.extend(parameter_problems)
    for spec in specs:
        for value in _strings(spec.default):
            if _looks_absolute(value):
                problems.append(
                    f"parameter `{spec.name}` defaults to the absolute path {value!r}; use a path relative to "
                    "the notebook's folder so the pipeline runs on any machine"
                )
    tagged = parameter_cells(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        try:
            found = absolute_paths(cell.source)
        except SyntaxError as exc:
            problems.append(f"cell {index + 1} does not parse ({exc.msg}, line {exc.lineno}): fix it so it can run")
            continue
        if index in tagged:
            continue  # reported per parameter above
        for line, value in found:
            problems.append(
                f"cell {index + 1}, line {line}: absolute path {value!r}; use a path relative to the notebook's "
                f"folder (or mark the line with `# {ALLOW_ABSOLUTE_MARK}`)"
            )
    return NotebookReport(
        path=shown,
        parameters=tuple(specs),
        problems=tuple(problems),
        parameters_cell=tagged[0] if len(tagged) == 1 else None,
        notebook=notebook,
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []
