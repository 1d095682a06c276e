"""``run_notebook``: parameters checked before a kernel starts, run records, outputs, failures."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import NotebookError, NotFound, ParameterError, ValidationError
from workbench.pipelines.promote import promote
from workbench.pipelines.run import run_notebook
from workbench.pipelines.runs import get_run, list_runs
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events
from workbench.store.schema import runs

NotebookFactory = Callable[..., Path]
CONTEXT_CELL = (
    "import json\nimport workbench as wb\nctx = wb.context()\n"
    "json.dump({**ctx.to_dict(), 'n': n, 'label': label}, open('context.json', 'w'))"
)


def _run_count(workspace: Workspace) -> int:
    with workspace.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()


@pytest.fixture
def promoted(dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory) -> Path:
    source = notebook("notebooks/report.ipynb", ["n = 1\nlabel = 'a'\nratio = 0.5", CONTEXT_CELL])
    promote(dvc_workspace, "notebooks/report.ipynb", stage="report")
    (dvc_project / "params.yaml").write_text("report:\n  n: 5  # from params.yaml\n  label: a\n  ratio: 0.5\n")
    return source


def test_unknown_and_mistyped_parameters_fail_before_any_kernel(
    dvc_workspace: Workspace, promoted: Path, dvc_project: Path
) -> None:
    with pytest.raises(ParameterError) as caught:
        run_notebook(dvc_workspace, "report", params={"colour": "red", "n": "many"})
    assert caught.value.exit_code == 2
    assert any("unknown parameter `colour` (from -p)" in item for item in caught.value.details)
    assert any("parameter `n` expects int" in item and "got 'many' (str)" in item for item in caught.value.details)
    (dvc_project / "params.yaml").write_text("report:\n  n: 1.5\n")
    with pytest.raises(ParameterError, match="parameter `n` expects int"):
        run_notebook(dvc_workspace, "report")
    assert _run_count(dvc_workspace) == 0
    assert not (dvc_project / "runs" / "report").joinpath("report.ipynb").exists()


def test_targets_are_checked(dvc_workspace: Workspace, promoted: Path, notebook: NotebookFactory) -> None:
    with pytest.raises(NotFound, match="No stage 'nope' in dvc.yaml"):
        run_notebook(dvc_workspace, "nope")
    notebook("other.ipynb", ["x = 1"])
    with pytest.raises(ValidationError, match="Stage 'report' runs notebooks/report.ipynb, not other.ipynb"):
        run_notebook(dvc_workspace, "other.ipynb", stage="report")
    with pytest.raises(ValidationError, match="outside the project"):
        run_notebook(dvc_workspace, "../elsewhere.ipynb")
    with pytest.raises(ValidationError, match="Invalid stage name"):
        run_notebook(dvc_workspace, "notebooks/report.ipynb", stage="../x")
    with pytest.raises(ValidationError, match="--timeout must be a positive"):
        run_notebook(dvc_workspace, "report", timeout_s=0)
    with pytest.raises(ValidationError, match="is not a run id"):
        run_notebook(dvc_workspace, "report", run_id="../../etc")
    assert _run_count(dvc_workspace) == 0


@pytest.mark.slow
def test_a_stage_run_records_everything_and_writes_only_the_out(
    dvc_project: Path, dvc_workspace: Workspace, promoted: Path
) -> None:
    before = promoted.read_bytes()
    record = run_notebook(dvc_workspace, "report", params={"label": "42"}, trigger="test")
    assert record.status == "succeeded" and record.stage == "report" and record.trigger == "test"
    assert record.params == {"n": 5, "label": "42", "ratio": 0.5}
    assert record.output_path == "runs/report/report.ipynb"
    assert (dvc_project / record.output_path).is_file()
    assert dvc_workspace.artifacts.exists(record.output_digest or "")
    assert promoted.read_bytes() == before
    assert [cell.index for cell in record.cells] == [0, None, 1]
    assert record.duration_s is not None and record.duration_s > 0
    assert record.pid == os.getpid() and record.host == socket.gethostname()

    seen = json.loads((promoted.parent / "context.json").read_text())
    assert seen["run_id"] == record.id and seen["stage"] == "report" and seen["papermill"] is True
    assert seen["params"] == {"n": 5, "label": "42", "ratio": 0.5}
    assert (seen["n"], seen["label"]) == (5, "42")
    assert seen["project_root"] == str(dvc_project)

    assert get_run(dvc_workspace, record.id[:8]) == record
    with dvc_workspace.read() as conn:
        actions = [event.action for event in list_events(conn, subject=f"run:{record.id}")]
    assert actions == ["pipeline.run.start", "pipeline.run.finish"]


@pytest.mark.slow
def test_a_raising_notebook_is_recorded_failed_and_kept_under_workbench(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("fails.ipynb", ["x = 1", "y = 2", "raise ValueError(f'bad x={x}')", "z = 3"])
    promote(dvc_workspace, "fails.ipynb")
    with pytest.raises(NotebookError) as caught:
        run_notebook(dvc_workspace, "fails")
    message = caught.value.message
    assert "failed: the notebook raised ValueError in cell 3: bad x=1" in message
    record = get_run(dvc_workspace, caught.value.details["run_id"])
    assert record.status == "failed"
    assert (record.error_cell, record.error_name, record.error_message) == (2, "ValueError", "bad x=1")
    assert record.output_path == f".workbench/runs/{record.id}/fails.ipynb"
    assert (dvc_project / record.output_path).is_file()
    assert not (dvc_project / "runs/fails/fails.ipynb").exists()
    assert record.cells[-1].status == "error"
    assert dvc_workspace.verify_audit().ok


def test_runs_are_listed_newest_first_and_vanished_ones_are_failed(dvc_workspace: Workspace) -> None:
    now = utcnow()
    rows = [
        {"id": "abcd" + "1" * 28, "status": "succeeded", "pid": None},
        {"id": "abcd" + "2" * 28, "status": "running", "pid": 2**22 + 12345},  # no such process
        {"id": "c" * 32, "status": "running", "pid": os.getpid()},  # alive: left alone
    ]
    with dvc_workspace.transaction() as tx:
        for offset, row in enumerate(rows):
            tx.conn.execute(
                runs.insert().values(
                    notebook="nb.ipynb",
                    params={},
                    actor="a",
                    started_at=now.replace(microsecond=offset),
                    host=socket.gethostname(),
                    **row,
                )
            )
    listed = list_runs(dvc_workspace)
    assert [record.id for record in listed] == [row["id"] for row in reversed(rows)]
    assert listed[1].status == "failed" and listed[1].error_name == "ProcessVanished"
    assert listed[0].status == "running"
    assert [record.id for record in list_runs(dvc_workspace, status="failed")] == [rows[1]["id"]]
    with pytest.raises(ValidationError, match="matches several runs"):
        get_run(dvc_workspace, "abcd")
    with pytest.raises(ValidationError, match="is not a run id"):
        get_run(dvc_workspace, "ab")
    with pytest.raises(NotFound):
        get_run(dvc_workspace, "dddd")
    with pytest.raises(ValidationError, match="Unknown run status"):
        list_runs(dvc_workspace, status="done")


def test_no_cell_runs_when_the_run_cannot_be_recorded(
    dvc_workspace: Workspace, promoted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.core.errors import DatabaseUnavailable
    from workbench.notebooks.execute import CellEvent
    from workbench.pipelines import run as run_module

    def locked(self: run_module._RecordStart) -> None:
        self.error = DatabaseUnavailable("The database stayed locked by another writer.")

    executed: list[int] = []

    def fake_execute(*_args: object, on_cell: Callable[[CellEvent], None], **_kwargs: object) -> None:
        on_cell(CellEvent("start", 1, 2, 0, "n = 1"))  # the kernel is up: the first cell asks for the record
        executed.append(1)

    monkeypatch.setattr(run_module._RecordStart, "run", locked)
    monkeypatch.setattr(run_module, "execute_notebook", fake_execute)
    with pytest.raises(DatabaseUnavailable, match="locked"):
        run_notebook(dvc_workspace, "report")
    assert executed == []
    assert _run_count(dvc_workspace) == 0
