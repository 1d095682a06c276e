"""Which parameter values of a notebook are files, read or written, as its run will see them.

The kernel runs in the notebook's folder (as in JupyterLab and ``workbench run``), so a
parameter's path is resolved against that folder, never against the project root. For
each string value that names a path inside the project:

* a file that exists there is a **dep**;
* a file that exists only relative to the project root is a **problem**: the run would not
  find it, so promotion refuses and names the corrected value (``../data/x.parquet``);
* an **out** is inferred when the parameter is named like an output (see
  :func:`is_output_name`), its value has a file extension, and the file does not exist yet.
  A value another stage already produces becomes a dep instead, and one this stage already
  lists as an out stays an out after the first run has created it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from workbench.core.errors import ValidationError
from workbench.project.config import Project

__all__ = ["OUTPUT_NAME_RULE", "ParameterPaths", "is_output_name", "parameter_paths"]

OUTPUT_NAME_RULE = "`out`, `output`, `out_*`, `output_*`, `*_out`, `*_output` or `*_path`"
_OUTPUT_NAMES = ("out", "output")
_OUTPUT_PREFIXES = ("out_", "output_")
_OUTPUT_SUFFIXES = ("_out", "_output", "_path")
_PROJECT_FILES = ("params.yaml", "dvc.yaml", "dvc.lock")
_RESERVED = (".git", ".dvc", ".workbench")


def is_output_name(name: str) -> bool:
    """Whether a parameter is named like an output (the rule in :data:`OUTPUT_NAME_RULE`)."""
    lowered = name.lower()
    return lowered in _OUTPUT_NAMES or lowered.startswith(_OUTPUT_PREFIXES) or lowered.endswith(_OUTPUT_SUFFIXES)


@dataclass
class ParameterPaths:
    """Deps and outs found in parameter values, and the values that point at the wrong folder."""

    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _inside(project: Project, candidate: Path) -> str | None:
    try:
        rel = project.relative(candidate)
    except (ValidationError, OSError):
        return None
    if rel == "." or rel.split("/")[0] in _RESERVED:
        return None
    return rel


def _overlaps(rel: str, others: set[str]) -> bool:
    """``rel`` is inside, or contains, one of ``others`` (DVC refuses overlapping outs)."""
    path = PurePosixPath(rel)
    return any(path in PurePosixPath(o).parents or PurePosixPath(o) in path.parents for o in others)


def parameter_paths(
    project: Project,
    notebook_rel: str,
    values: Mapping[str, Any],
    *,
    produced_here: set[str],
    produced_elsewhere: set[str],
    previous_outs: set[str],
) -> ParameterPaths:
    """Classify the parameters of ``notebook_rel`` whose values are paths (see the module docstring)."""
    folder = (project.root / notebook_rel).parent
    notebook_dir = PurePosixPath(notebook_rel).parent
    found = ParameterPaths()
    skip = {notebook_rel, *_PROJECT_FILES}
    for name, value in values.items():
        if not isinstance(value, str) or not value or "\n" in value or len(value) > 400 or os.path.isabs(value):
            continue
        rel = _inside(project, folder / value)
        if rel is None or rel in skip:
            continue
        here = project.root / rel
        if here.is_file():
            if rel in produced_here:
                continue
            (found.outs if rel in previous_outs else found.deps).append(rel)
            continue
        if here.exists():
            continue  # a folder: DVC could track it, but only the notebook knows whether it reads or writes it
        from_root = _inside(project, project.root / value)
        if notebook_dir != PurePosixPath(".") and from_root is not None and (project.root / from_root).is_file():
            corrected = PurePosixPath(os.path.relpath(project.root / from_root, folder)).as_posix()
            found.problems.append(
                f"parameter `{name}` = {value!r} names {from_root} relative to the project root, but the "
                f"notebook runs in {notebook_dir}/, where {value!r} does not exist; set it to {corrected!r}"
            )
            continue
        if not is_output_name(name) or not PurePosixPath(rel).suffix or rel in produced_here:
            continue
        if rel in produced_elsewhere:
            found.deps.append(rel)
        elif not _overlaps(rel, produced_here | produced_elsewhere):
            found.outs.append(rel)
    return found
