"""Notebook files written inline: a test shows the cells it checks or runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

NotebookFactory = Callable[..., Path]


def write_notebook(
    path: Path, cells: list[str], *, parameters: int | tuple[int, ...] | None = 0, language: str = "python"
) -> Path:
    """Write a v4 notebook with ``cells`` as code cells; ``parameters`` says which are tagged."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": language}
    tagged = (parameters,) if isinstance(parameters, int) else parameters or ()
    for index, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if index in tagged:
            cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def make_notebook(tmp_path: Path) -> NotebookFactory:
    def make(name: str, cells: list[str], **options: object) -> Path:
        return write_notebook(tmp_path / name, cells, **options)  # type: ignore[arg-type]

    return make
