"""Notebook files written inline: a test shows the cells it checks or runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.notebooks import write_notebook

NotebookFactory = Callable[..., Path]


@pytest.fixture
def make_notebook(tmp_path: Path) -> NotebookFactory:
    def make(name: str, cells: list[str], **options: object) -> Path:
        return write_notebook(tmp_path / name, cells, **options)  # type: ignore[arg-type]

    return make
