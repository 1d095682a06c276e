"""Notebook files written inline: a test shows the cells it checks or runs."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_notebook"]


def write_notebook(
    path: Path, cells: list[str], *, parameters: int | tuple[int, ...] | None = 0, language: str = "python"
) -> Path:
    """A v4 notebook whose ``cells`` are code cells; ``parameters`` says which are tagged ``parameters``."""
    import nbformat

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
