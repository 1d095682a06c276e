"""Executing a notebook with papermill: timing, progress, timeout and kernel death.

:func:`execute_notebook` runs papermill's own engine (nbclient underneath) and adds
what unattended runs need, through nbclient's hooks rather than a fork:

- a callback per cell start and end (the CLI draws progress from it) and the
  duration of every executed cell;
- one timeout for the whole run (``timeout_func`` gives each cell what is left);
- a kernel that dies (``os._exit``, the OOM killer) is reported as such, with
  the cell it died in, instead of a hang or a generic error;
- the kernel gets extra environment variables and a working folder without
  touching this process's ``os.environ`` or current folder, and its own output
  goes to a log file.

The notebook is written only to ``output`` (never to the source). Notebook
failures are returned as an :class:`ExecutionOutcome`, not raised; only a
missing kernel raises :class:`~workbench.core.errors.NotebookError`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workbench.core.errors import NotebookError
from workbench.store.files import atomic_write_text

__all__ = ["CellEvent", "CellTiming", "ExecutionOutcome", "execute_notebook"]

INJECTED_TAG = "injected-parameters"


@dataclass(frozen=True)
class CellEvent:
    """A cell started (``kind="start"``) or finished (``kind="end"``).

    ``position`` counts executable cells from 1 to ``total``; ``index`` is the
    cell's 0-based index in the source notebook (None for papermill's injected
    parameters cell).
    """

    kind: str
    position: int
    total: int
    index: int | None
    summary: str
    duration_s: float | None = None
    ok: bool = True


@dataclass(frozen=True)
class CellTiming:
    index: int | None
    duration_s: float
    status: str  # "ok" or "error"

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "duration_s": round(self.duration_s, 6), "status": self.status}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellTiming:
        return cls(data.get("index"), float(data.get("duration_s", 0.0)), str(data.get("status", "ok")))


@dataclass(frozen=True)
class ExecutionOutcome:
    """How a run ended. ``status`` is ``succeeded``, ``failed`` or ``timed-out``."""

    status: str
    cells: tuple[CellTiming, ...] = ()
    error_cell: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    duration_s: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass
class _Tracker:
    """Follows the hooks: which cell runs, for how long, and where it stopped."""

    total: int
    on_cell: Callable[[CellEvent], None] | None
    cells: list[CellTiming] = field(default_factory=list)
    position: int = 0
    injected: int = 0
    current: tuple[int, int | None, str, float] | None = None  # (exec index, source index, summary, start)

    def start(self, cell: Any, cell_index: int, **_: Any) -> None:
        is_injected = INJECTED_TAG in (cell.get("metadata", {}).get("tags") or [])
        source_index = None if is_injected else cell_index - self.injected
        if is_injected:
            self.injected += 1
        if cell.cell_type != "code" or not cell.source.strip():
            return
        self.position += 1
        summary = "parameters (injected)" if is_injected else cell.source.strip().splitlines()[0][:80]
        self.current = (cell_index, source_index, summary, time.monotonic())
        self._emit(CellEvent("start", self.position, self.total, source_index, summary))

    def executed(self, cell: Any, cell_index: int, execute_reply: Mapping[str, Any], **_: Any) -> None:
        if self.current is None:
            return
        ok = execute_reply.get("content", {}).get("status") == "ok"
        self._finish(ok)

    def _finish(self, ok: bool) -> tuple[int, int | None] | None:
        if self.current is None:
            return None
        exec_index, source_index, summary, started = self.current
        duration = time.monotonic() - started
        self.cells.append(CellTiming(source_index, duration, "ok" if ok else "error"))
        self.current = None
        self._emit(CellEvent("end", self.position, self.total, source_index, summary, duration, ok))
        return exec_index, source_index

    def fail_current(self) -> tuple[int, int | None] | None:
        """Close the cell that was running when execution stopped; its indices, if one was."""
        return self._finish(False)

    def _emit(self, event: CellEvent) -> None:
        if self.on_cell is not None:
            self.on_cell(event)


def _kernel_manager_class(env: Mapping[str, str], cwd: Path, log: IO[str] | None) -> type:
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        """Starts the kernel with the run's environment, folder and log, leaving this process alone."""

        # AsyncKernelManager's start_kernel is a coroutine; jupyter_client's annotations only
        # describe KernelManager's synchronous wrapper of it.
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**os.environ, **kw.get("env", {}), **env}
            kw["cwd"] = str(cwd)
            if log is not None:
                kw["stdout"] = log
                kw["stderr"] = log
            await super().start_kernel(**kw)

    return RunKernelManager


def _executable_cells(path: Path, notebook: Any | None) -> int:
    if notebook is None:
        import nbformat

        notebook = nbformat.read(path, as_version=4)
    return sum(1 for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip())


def execute_notebook(
    source: Path,
    output: Path,
    *,
    parameters: Mapping[str, Any],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    kernel_name: str = "python3",
    timeout_s: float | None = None,
    log_path: Path | None = None,
    on_cell: Callable[[CellEvent], None] | None = None,
    start_timeout_s: float = 60.0,
    notebook: Any | None = None,
) -> ExecutionOutcome:
    """Run ``source`` with papermill into ``output``; never raises for a failing notebook.

    ``notebook`` is ``source`` already loaded, when the caller has it (saves a parse).
    """
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    tracker = _Tracker(_executable_cells(source, notebook) + (1 if parameters else 0), on_cell)
    started = time.monotonic()
    deadline = started + timeout_s if timeout_s else None
    engine_options: dict[str, Any] = {"on_cell_start": tracker.start, "on_cell_executed": tracker.executed}
    if deadline is not None:
        # Zero would mean "no limit" to nbclient, so an exhausted budget is a tiny positive one.
        engine_options["timeout_func"] = lambda _cell: max(deadline - time.monotonic(), 0.001)
    log = log_path.open("a", encoding="utf-8") if log_path is not None else None
    try:
        engine_options["kernel_manager_class"] = _kernel_manager_class(env or {}, cwd, log)
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=dict(parameters),
            kernel_name=kernel_name,
            language="python",
            progress_bar=False,
            log_output=False,
            stdout_file=log,
            stderr_file=log,
            start_timeout=int(start_timeout_s),
            **engine_options,
        )
    except PapermillExecutionError as exc:
        tracker.fail_current()
        return _outcome(tracker, started, "failed", _source_index(tracker, exc.cell_index), exc.ename, exc.evalue)
    except CellTimeoutError:
        stopped = tracker.fail_current()
        where = _where(stopped, tracker)
        message = f"The run exceeded its timeout of {timeout_s:g} s{where}; it was stopped there."
        _mark_stopped(output, stopped, message)
        return _outcome(tracker, started, "timed-out", _index(stopped), "Timeout", message)
    except DeadKernelError:
        stopped = tracker.fail_current()
        message = (
            f"The kernel died{_where(stopped, tracker)}: the process exited (os._exit, a crash, or the "
            "out-of-memory killer). Check the run's log and the machine's memory."
        )
        _mark_stopped(output, stopped, message)
        return _outcome(tracker, started, "failed", _index(stopped), "KernelDied", message)
    except NoSuchKernel as exc:
        raise NotebookError(
            f"No Jupyter kernel named {kernel_name!r} is installed. Install one with "
            f"`python -m ipykernel install --sys-prefix --name {kernel_name}`.",
        ) from exc
    except (RuntimeError, TimeoutError, OSError) as exc:
        # Kernel start-up failures: "Kernel didn't respond in 60 seconds", a missing interpreter.
        stopped = tracker.fail_current()
        message = f"The kernel could not run the notebook: {exc}".strip()
        if output.exists():
            _mark_stopped(output, stopped, message)
        return _outcome(tracker, started, "failed", _index(stopped), type(exc).__name__, message)
    finally:
        if log is not None:
            log.close()
    return _outcome(tracker, started, "succeeded", None, None, None)


def _outcome(
    tracker: _Tracker, started: float, status: str, cell: int | None, name: str | None, message: str | None
) -> ExecutionOutcome:
    return ExecutionOutcome(status, tuple(tracker.cells), cell, name, message, time.monotonic() - started)


def _index(stopped: tuple[int, int | None] | None) -> int | None:
    return stopped[1] if stopped else None


def _where(stopped: tuple[int, int | None] | None, tracker: _Tracker) -> str:
    if stopped is None:
        return " before the first cell ran"
    if stopped[1] is None:
        return " while setting the parameters"
    return f" in cell {stopped[1] + 1} ({tracker.position} of {tracker.total} executable cells)"


def _source_index(tracker: _Tracker, exec_index: int) -> int | None:
    """Map papermill's cell index (which counts the injected cell) to the source notebook's."""
    cell = tracker.cells[-1] if tracker.cells else None
    if cell is not None and cell.status == "error":
        return cell.index
    return exec_index - tracker.injected


def _mark_stopped(output: Path, stopped: tuple[int, int | None] | None, message: str) -> None:
    """Make the kept notebook say where and why execution stopped, as papermill does for errors."""
    import nbformat

    if not output.exists():
        return
    notebook = nbformat.read(output, as_version=4)
    stop_at = stopped[0] if stopped else 0
    for index, cell in enumerate(notebook.cells):
        state = cell.metadata.setdefault("papermill", {})
        if index == stop_at and stopped is not None:
            state["status"] = "failed"
            state["exception"] = True
        elif index > stop_at or stopped is None:
            state["status"] = "pending"
    notebook.metadata.setdefault("papermill", {})["exception"] = True
    banner = nbformat.v4.new_markdown_cell(f"**workbench: execution stopped.** {message}")
    banner.metadata["tags"] = ["workbench-error"]
    notebook.cells.insert(0, banner)
    atomic_write_text(output, nbformat.writes(notebook))
