"""``score``: submit a scoring job and run it here, or in the background with ``detach``.

This is the one function behind ``workbench score``, ``wb.score`` and the Jobs panel.
A detached job runs in a new process (``workbench jobs run ID``, its own session, so
closing the terminal or the kernel does not stop it) with its output logged to
``.workbench/jobs/<id>/job.log``; ``jobs list|show|cancel`` follow it.
"""

from __future__ import annotations

import os
from typing import Any

from workbench.core.clock import utcnow
from workbench.jobs.execute import run_job
from workbench.jobs.listing import read_job
from workbench.jobs.request import ScoreRequest
from workbench.jobs.submit import submit_score_job
from workbench.jobs.values import Job, ProgressCallback, job_dir
from workbench.processes import start_detached, this_host, workbench_command
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs

__all__ = ["detach_job", "score", "score_request"]


def detach_job(workspace: Workspace, job: Job) -> Job:
    """Start ``workbench jobs run ID`` for a queued job in a background process; returns the job."""
    log_path = job_dir(workspace.project, job.id) / "job.log"
    root = workspace.project.root
    command = [*workbench_command(), "-C", str(root), "jobs", "run", job.id]
    # The child acts as the same user; everything else (database URL, artifacts) comes from the project.
    process = start_detached(command, cwd=root, env={"WORKBENCH_USER": workspace.actor}, log_path=log_path)
    with workspace.transaction() as tx:
        tx.conn.execute(
            jobs.update()
            .where(jobs.c.id == job.id, jobs.c.status == "queued")
            .values(pid=process.pid, host=this_host(), heartbeat_at=utcnow(), log_path=str(log_path))
        )
        return read_job(tx.conn, job.id)


def score(
    workspace: Workspace,
    ref: str,
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    detach: bool = False,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Job:
    """Score ``input`` with the version ``ref`` names into ``output``, as a tracked job.

    ``input`` and ``output`` are Parquet files or folders (local paths inside the
    project, or fsspec URLs). ``options`` are a :class:`~workbench.jobs.request.ScoreRequest`'s
    by name, with its defaults: ``device`` (``auto``, ``cpu``, ``cuda``), ``engine``
    (``local``, ``dask`` with ``scheduler`` or ``workers``), ``explain`` (``none``,
    ``approx``, ``exact``) with ``top_k`` reasons per row, ``review_reasons``,
    ``batch_rows``, ``drift_rows``, ``batch_drift_rows`` (0 turns the batch checks off),
    ``partition_rows``, ``compression``, ``keep`` (input columns carried to the output),
    ``overwrite``. ``progress(rows_done, rows_total)`` is called after each batch.
    Returns the succeeded job (or, with ``detach``, the queued job now running in the
    background); raises the error that failed it otherwise.
    """
    return score_request(workspace, ScoreRequest.build(ref, input, output, **options), detach=detach, progress=progress)


def score_request(
    workspace: Workspace, request: ScoreRequest, *, detach: bool = False, progress: ProgressCallback | None = None
) -> Job:
    """:func:`score` for a request already built (the server's and the CLI's way)."""
    job = submit_score_job(workspace, request)
    if detach:
        return detach_job(workspace, job)
    return run_job(workspace, job.id, progress=progress)
