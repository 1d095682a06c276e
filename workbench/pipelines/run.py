"""``run_notebook``: execute a notebook (or a promoted stage) and record the run.

Parameters come from the stage's section of ``params.yaml``, overridden by ``-p``
values, and are checked against the types of the notebook's defaults before any
kernel starts. The run is recorded as ``running`` first, then with its outcome,
per-cell durations and, on failure, the cell, error name and message: a failed,
timed-out or killed run is never recorded as succeeded, and raises so the
process exits non-zero and ``dvc repro`` stops.

The source notebook is never written. papermill writes the executed notebook to
``.workbench/runs/<run id>/``; on success it is moved atomically to the stage's
out (``runs/NAME/NAME.ipynb``), on failure it stays there for inspection. Either
way its bytes go to the artifact store and the run records the digest.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.clock import utcnow
from workbench.core.errors import NotebookError, ValidationError
from workbench.notebooks.execute import CellEvent, ExecutionOutcome, execute_notebook
from workbench.notebooks.parameters import read_parameters, resolve_values
from workbench.notebooks.reading import load_notebook
from workbench.pipelines._files import move_into_place
from workbench.pipelines.dvc import check_stage_name, stage_notebook
from workbench.pipelines.params_file import read_stage_params
from workbench.pipelines.promote import executed_notebook_path
from workbench.pipelines.reproduce import launched_run_id
from workbench.pipelines.values import RunRecord
from workbench.project.config import Project

if TYPE_CHECKING:
    from workbench.project.workspace import Workspace

__all__ = ["DEFAULT_KERNEL", "new_run_id", "run_notebook"]

DEFAULT_KERNEL = "python3"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def new_run_id() -> str:
    return uuid.uuid4().hex


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            check=False,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head.stdout.strip() or None, bool(status.stdout.strip()) if status.returncode == 0 else None


def _trigger(explicit: str | None) -> str:
    if explicit:
        return explicit[:40]
    if os.environ.get("WORKBENCH_TRIGGER"):
        return os.environ["WORKBENCH_TRIGGER"][:40]
    if os.environ.get("DVC_EXP_NAME"):
        return "dvc-exp"
    if os.environ.get("DVC_STAGE"):
        return "dvc-repro"
    return "manual"


def _resolve_target(project: Project, target: str, stage: str | None, base_dir: Path) -> tuple[str, str | None]:
    """``(notebook relative to the root, stage or None)`` for ``workbench run TARGET [--stage NAME]``."""
    looks_like_file = target.endswith(".ipynb") or os.sep in target or "/" in target
    if stage is None and not looks_like_file:
        check_stage_name(target)
        return stage_notebook(project.root, target), target
    candidate = Path(target) if Path(target).is_absolute() else base_dir / target
    notebook = project.relative(candidate)  # refuses paths outside the project
    if stage is not None:
        check_stage_name(stage)
        promoted = stage_notebook(project.root, stage)
        if promoted != notebook:
            raise ValidationError(
                f"Stage {stage!r} runs {promoted}, not {notebook}; run `workbench run {stage}` or promote "
                f"{notebook} under another stage name."
            )
    return notebook, stage


def run_notebook(
    workspace: Workspace | Project,
    target: str,
    *,
    stage: str | None = None,
    params: Mapping[str, Any] | None = None,
    timeout_s: float | None = None,
    kernel_name: str | None = None,
    trigger: str | None = None,
    run_id: str | None = None,
    on_cell: Callable[[CellEvent], None] | None = None,
    base_dir: Path | None = None,
) -> RunRecord:
    """Run a notebook path or a stage name; returns the finished run or raises :class:`NotebookError`.

    ``params`` overrides values: strings are read like ``-p key=value`` (YAML, or the raw
    text for ``str`` parameters), other values are taken as they are.

    Given a :class:`Project` instead of a workspace, the workspace (database, acting user)
    is opened on the background thread that records the run while the kernel starts; that
    is what ``workbench run`` does to stay close to plain papermill's wall time.
    """
    if timeout_s is not None and timeout_s <= 0:
        raise ValidationError("--timeout must be a positive number of seconds.")
    if run_id is not None and not _RUN_ID.match(run_id):
        raise ValidationError(f"{run_id!r} is not a run id (32 lowercase hex characters).")
    project = workspace if isinstance(workspace, Project) else workspace.project
    notebook_rel, stage = _resolve_target(project, target, stage, (base_dir or Path.cwd()).resolve())
    if run_id is None:  # a stage the server started through `dvc repro` records under the id it chose
        run_id = launched_run_id(stage)
        if run_id is not None and not _RUN_ID.match(run_id):
            raise ValidationError(f"{run_id!r} is not a run id (32 lowercase hex characters).")
    source = project.root / notebook_rel
    loaded = load_notebook(source, notebook_rel)
    specs, problems = read_parameters(loaded)
    if problems:
        raise NotebookError(f"{notebook_rel} cannot be run: its parameters cell has problems.", details=list(problems))
    base = read_stage_params(project.root, stage) if stage else {}
    values = resolve_values(specs, base, params, base_label=f"params.yaml `{stage}`" if stage else "params.yaml")

    run_id = run_id or new_run_id()
    name = stage or Path(notebook_rel).stem
    run_dir = project.state_dir / "runs" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    working = run_dir / f"{name}.ipynb"
    log_path = run_dir / "run.log"
    trigger_text = _trigger(trigger)
    start = _RecordStart(
        workspace,
        {
            "id": run_id,
            "stage": stage,
            "notebook": notebook_rel,
            "params": values,
            "status": "running",
            "started_at": utcnow(),
            "log_path": project.relative(log_path),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "trigger": trigger_text,
            "timeout_s": timeout_s,
        },
    )
    start.start()

    def gated(event: CellEvent) -> None:
        if event.kind == "start" and event.position == 1:
            start.wait()  # no cell runs before the run is on record
        if on_cell is not None:
            on_cell(event)

    env = {
        "WORKBENCH_RUN_ID": run_id,
        "WORKBENCH_STAGE": stage or "",
        "WORKBENCH_NOTEBOOK": notebook_rel,
        "WORKBENCH_PARAMS": json.dumps(values),
        "WORKBENCH_PROJECT": str(project.root),
        "WORKBENCH_PAPERMILL": "1",
        "WORKBENCH_TRIGGER": trigger_text,
    }
    try:
        outcome = execute_notebook(
            source,
            working,
            parameters=values,
            cwd=source.parent,
            env=env,
            kernel_name=kernel_name or os.environ.get("WORKBENCH_KERNEL") or DEFAULT_KERNEL,
            timeout_s=timeout_s,
            log_path=log_path,
            on_cell=gated,
            notebook=loaded,
        )
    except BaseException as exc:
        start.join()
        if start.error is None and start.workspace is not None:  # on record: record how it ended
            cancelled = isinstance(exc, KeyboardInterrupt | SystemExit)
            outcome = ExecutionOutcome(
                "cancelled" if cancelled else "failed",
                error_name=type(exc).__name__,
                error_message="The run was interrupted." if cancelled else str(exc),
            )
            _finish(start.workspace, run_id, outcome, working if working.exists() else None)
        raise
    start.wait()
    destination = None
    if outcome.succeeded and working.exists():
        out = executed_notebook_path(stage) if stage else None
        destination = project.root / out if out else working
        if destination != working:
            try:
                move_into_place(working, destination)
            except OSError as exc:  # the notebook ran, but the stage's out cannot be written: not a success
                outcome = replace(
                    outcome,
                    status="failed",
                    error_name="OutputError",
                    error_message=f"the executed notebook could not be written to {out}: {exc}",
                )
                destination = working
    else:
        destination = working if working.exists() else None
    assert start.workspace is not None  # wait() raised otherwise
    record = _finish(start.workspace, run_id, outcome, destination)
    if not outcome.succeeded:
        raise NotebookError(_failure_message(record), details={"run_id": run_id, "status": record.status})
    return record


class _RecordStart(threading.Thread):
    """Writes the ``running`` record (with the git state) while the kernel starts.

    Opening the database (and importing SQLAlchemy to do it) and asking git take about
    as long as a kernel start-up; side by side they cost a run almost nothing. The
    first cell waits for the record.
    """

    def __init__(self, opener: Workspace | Project, values: dict[str, Any]) -> None:
        super().__init__(name="workbench-run-start", daemon=True)
        self.opener = opener
        self.values = values
        self.workspace: Workspace | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            from workbench.store.schema import runs

            workspace = self.opener
            if isinstance(workspace, Project):
                from workbench.project.identity import current_identity
                from workbench.project.workspace import Workspace

                workspace = Workspace(workspace, current_identity(workspace))
            commit, dirty = _git_state(workspace.project.root)
            with workspace.transaction() as tx:
                tx.conn.execute(
                    runs.insert().values(**self.values, actor=workspace.actor, git_commit=commit, git_dirty=dirty)
                )
                payload = {key: self.values[key] for key in ("stage", "notebook", "params")}
                tx.record("pipeline.run.start", f"run:{self.values['id']}", payload)
            self.workspace = workspace
        except BaseException as exc:  # handed to the main thread by wait()
            self.error = exc

    def wait(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def _finish(workspace: Workspace, run_id: str, outcome: ExecutionOutcome, output: Path | None) -> RunRecord:
    import sqlalchemy as sa

    from workbench.pipelines.runs import row_to_run
    from workbench.processes import RUN_LIFECYCLE, transition
    from workbench.store.schema import runs

    project = workspace.project
    digest = None
    if output is not None:
        try:
            digest = workspace.artifacts.put_file(
                output, name=output.name, media_type="application/x-ipynb+json"
            ).digest
        except OSError:
            digest = None  # the run's outcome matters more than the copy; the file itself is kept
    with workspace.transaction() as tx:
        transition(
            tx.conn,
            runs,
            run_id,
            RUN_LIFECYCLE,
            outcome.status,
            ended_at=utcnow(),
            cells=[cell.to_dict() for cell in outcome.cells],
            error_cell=outcome.error_cell,
            error_type=outcome.error_name,
            error=outcome.error_message,
            output_path=project.relative(output) if output is not None else None,
            output_digest=digest,
        )
        tx.record(
            "pipeline.run.finish",
            f"run:{run_id}",
            {"status": outcome.status, "error_name": outcome.error_name, "output_digest": digest},
        )
        row = tx.conn.execute(sa.select(runs).where(runs.c.id == run_id)).one()
    return row_to_run(row)


def _failure_message(record: RunRecord) -> str:
    short = record.id[:12]
    if record.status == "timed-out" or record.error_name in ("KernelDied", "Timeout", "OutputError"):
        what = record.error_message or record.status
    elif record.error_cell is None:  # the kernel could not start, or papermill itself failed
        what = f"{record.error_name}: {record.error_message}"
    else:
        what = f"the notebook raised {record.error_name} in cell {record.error_cell + 1}: {record.error_message}"
    what = what.rstrip(".")
    kept = f" The executed notebook is kept at {record.output_path}." if record.output_path else ""
    return f"Run {short} of {record.notebook} {record.status}: {what}.{kept} Details: `workbench runs show {short}`."
