"""The ``parameters`` cell: reading it, typing it, and validating values against it.

Parameters are read with papermill's own inspection, so what workbench promises is
what papermill will inject. A strict pass over the cell's syntax tree adds what
papermill does not check: exactly one tagged cell, one plain assignment per line,
and literal defaults. Nothing in the cell runs code: an IPython shell escape or
magic (``!ls /etc``, ``%run``, ``%%bash``) and any computed value (``chr(47) + 'etc'``,
a name, a call) is refused with its line, so the promotion checks (absolute paths
among them) see every default exactly as the notebook will use it. Each default's
type (``int``, ``float``, ``bool``, ``str``, ``list``, ``dict``; ``any`` for ``None``)
is the contract that values from ``params.yaml`` and ``-p key=value`` must meet
before a kernel starts.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ParameterError

__all__ = [
    "PARAMETERS_TAG",
    "ParamSpec",
    "parameter_cells",
    "parse_cli_value",
    "read_parameters",
    "resolve_values",
]

PARAMETERS_TAG = "parameters"
_TYPES: dict[str, tuple[type[Any], ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "list": (list, tuple),
    "dict": (dict,),
}


@dataclass(frozen=True)
class ParamSpec:
    """One notebook parameter: its name, type, literal default and help text."""

    name: str
    type_name: str
    default: Any
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type_name, "default": self.default, "help": self.help}

    def check(self, value: Any) -> Any:
        """Return ``value`` in this parameter's type, or raise ``TypeError`` saying why."""
        if self.type_name == "any":
            try:
                json.dumps(value, allow_nan=True)
            except (TypeError, ValueError):
                raise TypeError(
                    f"parameter `{self.name}` takes a plain value (number, string, bool, list, dict or null), "
                    f"got {value!r} ({type(value).__name__}); quote it to pass text"
                ) from None
            return value
        allowed = _TYPES[self.type_name]
        if isinstance(value, bool) and self.type_name != "bool":
            raise TypeError(self._mismatch(value))
        if not isinstance(value, allowed):
            raise TypeError(self._mismatch(value))
        if self.type_name == "float":
            return float(value)
        if self.type_name == "list":
            return list(value)
        return value

    def _mismatch(self, value: Any) -> str:
        return (
            f"parameter `{self.name}` expects {self.type_name} (the notebook's default is {self.default!r}), "
            f"got {value!r} ({type(value).__name__})"
        )


def parameter_cells(notebook: Any) -> list[int]:
    """Indices of the cells tagged ``parameters``."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if PARAMETERS_TAG in (cell.get("metadata", {}).get("tags") or [])
    ]


def _type_of(default: Any, annotation: str | None) -> str:
    if annotation in _TYPES:
        return annotation
    if default is None:
        return "any"
    for name in ("bool", "int", "float", "str"):
        if type(default) is _TYPES[name][0]:
            return name
    if isinstance(default, list | tuple):
        return "list"
    if isinstance(default, dict):
        return "dict"
    return "unsupported"


def _plain(value: Any) -> Any:
    """Tuples become lists so that defaults survive YAML and JSON unchanged."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def read_parameters(notebook: Any) -> tuple[list[ParamSpec], list[str]]:
    """The parameters of ``notebook`` and every problem found while reading them.

    Problems are sentences; an empty list means the cell is fit for papermill.
    """
    cells = parameter_cells(notebook)
    if not cells:
        return [], [
            "no cell is tagged `parameters`: put the defaults in one code cell and add the tag `parameters` "
            "to it (JupyterLab: property inspector, Cell Tags)"
        ]
    if len(cells) > 1:
        shown = ", ".join(str(index + 1) for index in cells)
        return [], [f"cells {shown} are all tagged `parameters`: keep the tag on exactly one cell"]
    cell = notebook.cells[cells[0]]
    where = f"parameters cell (cell {cells[0] + 1})"
    if cell.cell_type != "code":
        return [], [f"the {where} is a {cell.cell_type} cell: the tag belongs on a code cell"]
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        ipython = _ipython_lines(cell.source)
        if ipython:
            return [], [
                f"{where}, line {number}: `{text}` is {kind}: the parameters cell may only assign literal "
                "defaults (`name = value`), so move it to a later cell"
                for number, text, kind in ipython
            ]
        return [], [f"the {where} does not parse: {exc.msg} at line {exc.lineno}"]

    from nbformat import from_dict
    from papermill.inspection import _infer_parameters

    # papermill's own reading is the contract: these are the names it will inject. Like papermill's
    # loader, give every cell a tags list first (its inspection expects one), on a copy.

    copy = from_dict(
        {**notebook, "cells": [{**cell, "metadata": {"tags": [], **cell.metadata}} for cell in notebook.cells]}
    )
    inspected = {param.name: param for param in _infer_parameters(copy, name="python3", language="python")}
    problems: list[str] = []
    specs: list[ParamSpec] = []
    for statement in tree.body:
        line = f"{where}, line {statement.lineno}"
        target, value_node, annotation = _assignment(statement)
        if target is None or value_node is None:
            text = ast.get_source_segment(cell.source, statement) or type(statement).__name__
            problems.append(
                f"{line}: `{text.splitlines()[0]}` is not a plain assignment; the parameters cell may only "
                "assign one literal default per line (move other code to the next cell)"
            )
            continue
        try:
            default = ast.literal_eval(value_node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            text = _one_line(ast.get_source_segment(cell.source, value_node) or "...")
            why = _computed(cell.source, value_node)
            problems.append(
                f"{line}: the default of `{target}` (`{text}`) is not a literal ({why}); "
                "write the value itself (a number, string, True/False, None, a list or a dict) and compute "
                "derived values in a later cell"
            )
            continue
        found = inspected.get(target)
        if found is None:
            problems.append(f"{line}: papermill cannot read the assignment of `{target}`; write it as `{target} = ...`")
            continue
        type_name = _type_of(default, annotation or _annotation_name(found.inferred_type_name))
        if type_name == "unsupported":
            problems.append(
                f"{line}: the default of `{target}` is a {type(default).__name__}; parameters must be "
                "int, float, bool, str, list, dict or None"
            )
            continue
        if any(spec.name == target for spec in specs):
            problems.append(f"{line}: `{target}` is assigned twice; keep one default")
            continue
        specs.append(ParamSpec(target, type_name, _plain(default), found.help or ""))
    return specs, problems


def _ipython_lines(source: str) -> list[tuple[int, str, str]]:
    """``(line, text, what it is)`` of each line of ``source`` that is IPython syntax rather than Python.

    IPython turns every shell escape, magic and help request into a ``get_ipython()`` call;
    a line it rewrote into one is such a line (a cell magic takes the whole cell, from line 1).
    """
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        python = TransformerManager().transform_cell(source)
    except Exception:  # IPython cannot read it either: an ordinary syntax error, reported as such
        return []
    found = []
    for number, (text, rewritten) in enumerate(zip(source.splitlines(), python.splitlines(), strict=False), 1):
        if text.strip() != rewritten.strip() and "get_ipython()" in rewritten:
            found.append((number, text.strip(), _ipython_kind(text.strip())))
    return found


def _ipython_kind(text: str) -> str:
    if text.startswith("%%"):
        return "an IPython cell magic"
    if text.startswith("%"):
        return "an IPython magic"
    if text.startswith("!") or text.partition("=")[2].lstrip().startswith("!"):
        return "an IPython shell command"
    if text.startswith("?") or text.endswith("?"):
        return "an IPython help request"
    return "IPython syntax"


_LITERAL_NODES = (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp)


def _computed(source: str, value: ast.expr) -> str:
    """What makes ``value`` not a literal, in words: the first part of it that is computed."""
    node = next(
        (n for n in ast.walk(value) if isinstance(n, ast.expr) and not isinstance(n, _LITERAL_NODES)),
        value,
    )
    if isinstance(node, ast.UnaryOp | ast.BinOp | ast.BoolOp | ast.Compare | ast.IfExp):
        kind = "an expression"
    elif isinstance(node, ast.Call):
        kind = "a function call"
    elif isinstance(node, ast.Name):
        kind = "a variable"
    elif isinstance(node, ast.Attribute):
        kind = "an attribute"
    elif isinstance(node, ast.JoinedStr):
        kind = "an f-string"
    else:
        kind = "computed"
    if node is value:
        return f"it is {kind}"
    return f"`{_one_line(ast.get_source_segment(source, node) or '...')}` in it is {kind}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None, str | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id, statement.value, None
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value is not None:
        annotation = statement.annotation.id if isinstance(statement.annotation, ast.Name) else None
        return statement.target.id, statement.value, annotation
    return None, None, None


def _annotation_name(inferred: str | None) -> str | None:
    return inferred if inferred in _TYPES else None


def parse_cli_value(spec: ParamSpec | None, text: str) -> Any:
    """Turn the text of ``-p key=value`` into a value: YAML for typed parameters, the raw text for strings."""
    if spec is not None and spec.type_name == "str":
        return text
    # PyYAML (YAML 1.1) on purpose, not workbench.core.yaml_text: `yes` and `1e3` keep the
    # meaning they have always had on this command line.
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def resolve_values(
    specs: list[ParamSpec],
    base: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    base_label: str = "params.yaml",
) -> dict[str, Any]:
    """Defaults, overlaid with ``base`` (typed values) and then ``overrides`` (``-p`` texts).

    Raises :class:`ParameterError` listing every unknown key and every type mismatch.
    """
    by_name = {spec.name: spec for spec in specs}
    known = ", ".join(sorted(by_name)) or "none"
    problems: list[str] = []
    values = {spec.name: spec.default for spec in specs}
    for source, items, parse in ((base_label, base or {}, False), ("-p", overrides or {}, True)):
        for key, raw in items.items():
            spec = by_name.get(key)
            if spec is None:
                problems.append(f"unknown parameter `{key}` (from {source}); the notebook's parameters are: {known}")
                continue
            value = parse_cli_value(spec, raw) if parse and isinstance(raw, str) else raw
            try:
                values[key] = spec.check(value)
            except TypeError as exc:
                problems.append(f"{exc} (from {source})")
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} parameter problems"
        raise ParameterError(
            f"Invalid parameters: {summary}. Fix the value, or see the notebook's parameters cell.", details=problems
        )
    return values
