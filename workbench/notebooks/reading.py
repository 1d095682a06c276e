"""Loading a notebook file and validating it with nbformat.

Three bad inputs are told apart, each with a message that says what to do: a file
that is not a notebook at all, a notebook whose JSON is corrupt, and JSON that
nbformat rejects.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from workbench.core.errors import NotebookError, NotFound

__all__ = ["load_notebook"]


def load_notebook(path: Path, display: str | None = None) -> Any:
    """Read ``path`` as an nbformat v4 notebook (a ``NotebookNode``) or raise :class:`NotebookError`."""
    import nbformat

    shown = display or str(path)
    if not path.exists():
        raise NotFound(f"No notebook at {shown}; check the path (it is relative to the current folder).")
    if path.is_dir() or path.suffix != ".ipynb":
        raise NotebookError(f"{shown} is not a notebook: expected a Jupyter .ipynb file.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{shown} is not a notebook: it is not UTF-8 text ({exc.reason}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{shown} is corrupt: its JSON does not parse ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            "Restore it from git (`git checkout -- FILE`) or re-save it from JupyterLab."
        ) from exc
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise NotebookError(f"{shown} is not a notebook: the JSON has no `cells` and `nbformat` keys.")
    try:
        with warnings.catch_warnings():
            # nbformat warns while it upgrades old notebooks (missing cell ids); that is not an error here.
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except Exception as exc:  # nbformat raises jsonschema and its own errors alike
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookError(
            f"{shown} is not a valid notebook ({reason}). Open and re-save it in JupyterLab to repair it."
        ) from exc
    return notebook
