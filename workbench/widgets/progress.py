"""A notebook progress bar for scoring jobs: an ipywidgets ``IntProgress`` that moves as the job runs.

:class:`JobProgressBar` is a ``progress(rows_done, rows_total)`` callback: pass it to
:func:`workbench.jobs.score` and the bar advances after every batch (widget updates
are sent to the front end while the cell still runs). For a detached job,
:meth:`JobProgressBar.follow` polls the job in a background thread instead.
:func:`score_with_progress` shows a bar and scores, which is what ``wb.score`` does.
"""

from __future__ import annotations

import html
import threading
import time

import ipywidgets as widgets

from workbench.core.errors import WorkbenchError
from workbench.jobs.listing import get_job
from workbench.jobs.request import ScoreRequest
from workbench.jobs.score import score_request
from workbench.jobs.values import Job
from workbench.project.workspace import Workspace

__all__ = ["JobProgressBar", "score_with_progress"]


class JobProgressBar(widgets.VBox):
    """A progress bar and a status line for one scoring job."""

    def __init__(self, description: str = "scoring") -> None:
        self.bar = widgets.IntProgress(
            value=0, min=0, max=1, description=description, bar_style="info", layout=widgets.Layout(width="60%")
        )
        self.label = widgets.HTML("<small>waiting to start</small>")
        self.started = time.monotonic()
        super().__init__([self.bar, self.label])

    def __call__(self, rows_done: int, rows_total: int | None) -> None:
        self.update(rows_done, rows_total)

    def update(self, rows_done: int, rows_total: int | None) -> None:
        total = max(1, rows_total or rows_done or 1)
        if self.bar.max != total:
            self.bar.max = total
        self.bar.value = min(rows_done, total)
        seconds = max(time.monotonic() - self.started, 1e-9)
        share = f" ({rows_done / total:.0%})" if rows_total else ""
        of = f" / {rows_total:,}" if rows_total is not None else ""
        self.label.value = f"<small>{rows_done:,}{of} rows{share}, {rows_done / seconds:,.0f} rows/s</small>"

    def finish(self, job: Job) -> None:
        """Show how the job ended."""
        if job.rows_total:
            self.bar.max = max(1, job.rows_total)
        self.bar.value = job.rows_done if job.status == "succeeded" else self.bar.value
        self.bar.bar_style = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}.get(
            job.status, "info"
        )
        decisions = ", ".join(f"{k} {v:,}" for k, v in job.stats.get("decisions", {}).items())
        text = f"job {job.short_id} {job.status}: {job.rows_done:,} rows"
        if decisions:
            text += f"; {decisions}"
        if job.error:
            text += f"; {job.error}"
        self.label.value = f"<small>{html.escape(text)}</small>"

    def fail(self, error: BaseException) -> None:
        self.bar.bar_style = "danger"
        message = error.message if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"
        self.label.value = f"<small>{html.escape(message)}</small>"

    def follow(self, workspace: Workspace, job_id: str, *, interval_s: float = 1.0) -> threading.Thread:
        """Poll a (detached) job until it ends, moving the bar; returns the polling thread."""

        def poll() -> None:
            while True:
                try:
                    job = get_job(workspace, job_id)
                except WorkbenchError as exc:
                    self.fail(exc)
                    return
                self.update(job.rows_done, job.rows_total)
                if job.done:
                    self.finish(job)
                    return
                time.sleep(interval_s)

        thread = threading.Thread(target=poll, name=f"workbench-follow-{job_id[:12]}", daemon=True)
        thread.start()
        return thread


def score_with_progress(workspace: Workspace, request: ScoreRequest, *, detach: bool = False) -> Job:
    """:func:`workbench.jobs.score_request` with a progress bar displayed in the notebook."""
    from IPython.display import display

    bar = JobProgressBar()
    display(bar)
    try:
        job = score_request(workspace, request, detach=detach, progress=bar)
    except BaseException as exc:
        bar.fail(exc)
        raise
    if detach:
        bar.follow(workspace, job.id)
    else:
        bar.finish(job)
    return job
