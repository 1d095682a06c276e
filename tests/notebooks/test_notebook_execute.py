"""papermill execution with real kernels: timings, environment, timeout, kernel death."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from workbench.notebooks.execute import CellEvent, execute_notebook

pytestmark = pytest.mark.slow
NotebookFactory = Callable[..., Path]


def test_success_records_cells_uses_env_and_folder_and_leaves_the_source_alone(
    make_notebook: NotebookFactory, tmp_path: Path
) -> None:
    source = make_notebook(
        "nb/source.ipynb",
        [
            "n = 1",
            "import os\nwith open('seen.txt', 'w') as f:\n    f.write(f\"{n} {os.environ['WB_EXTRA']}\")",
            "# a comment only",
        ],
    )
    before = source.read_bytes()
    events: list[CellEvent] = []
    output = tmp_path / "out" / "executed.ipynb"
    outcome = execute_notebook(
        source,
        output,
        parameters={"n": 7},
        cwd=source.parent,
        env={"WB_EXTRA": "yes"},
        log_path=tmp_path / "run.log",
        on_cell=events.append,
    )
    assert outcome.succeeded and outcome.error_cell is None
    assert source.read_bytes() == before
    assert (source.parent / "seen.txt").read_text() == "7 yes"
    assert [cell.index for cell in outcome.cells] == [0, None, 1, 2]
    assert all(cell.status == "ok" and cell.duration_s >= 0 for cell in outcome.cells)
    assert [(event.kind, event.position, event.total) for event in events[:2]] == [("start", 1, 4), ("end", 1, 4)]
    executed = nbformat.read(output, as_version=4)
    assert "injected-parameters" in executed.cells[1].metadata["tags"]
    assert (tmp_path / "run.log").exists()


def test_a_dying_kernel_is_reported_as_such(make_notebook: NotebookFactory, tmp_path: Path) -> None:
    source = make_notebook("die.ipynb", ["x = 1", "y = 2", "import os\nos._exit(3)", "z = 3"])
    output = tmp_path / "die-out.ipynb"
    outcome = execute_notebook(source, output, parameters={}, cwd=tmp_path, timeout_s=120)
    assert outcome.status == "failed"
    assert outcome.error_name == "KernelDied"
    assert outcome.error_cell == 2
    assert "The kernel died in cell 3" in (outcome.error_message or "")
    assert outcome.duration_s < 60  # reported, not a hang
    kept = nbformat.read(output, as_version=4)
    assert "execution stopped" in kept.cells[0].source
    assert kept.cells[3].metadata["papermill"]["status"] == "failed"
    assert kept.cells[4].metadata["papermill"]["status"] == "pending"
