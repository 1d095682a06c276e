"""The Dask engine: row-group partitions scored in parallel on ``distributed`` workers.

The client cuts the input into row-group-aligned partitions
(:meth:`~workbench.scoring.sources.ScoringInput.partitions`), broadcasts the model
bundle once, and submits :func:`score_partition` per partition. Each task streams its
row groups through the same :class:`~workbench.scoring.batch.BatchScorer` as the local
engine and writes one part, ``part-NNNNN.parquet``, into the staged output folder; it
returns its tally, its review rows and its drift sample, which the client gathers as
tasks finish. The staged folder is committed by the caller, so the output appears all
at once or not at all.

``scheduler`` is a ``distributed`` scheduler address; without one a ``LocalCluster``
of worker processes is started for the job and closed after it. Workers must see
the input and output paths (a shared disk or an object-store URL) and have
workbench installed. Contract violations and other workbench errors come back as
values and are re-raised on the client with the partition and batch they name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core import errors
from workbench.core.errors import JobError, WorkbenchError
from workbench.scoring.batch import BatchScorer
from workbench.scoring.device import resolve_device
from workbench.scoring.runtime import scoring_state
from workbench.scoring.sinks import OutputTarget, PartWriter
from workbench.scoring.sources import Partition, ScoringInput
from workbench.scoring.values import (
    ModelBundle,
    Progress,
    ScoreOptions,
    ScoringCancelled,
    ScoringOutcome,
    ShouldStop,
    Tally,
)

__all__ = ["score_dask", "score_partition"]

_POLL_S = 0.25
# One scorer per job per worker process: the booster is loaded once, not per task.
_SCORERS: dict[tuple[str, str], BatchScorer] = {}


def _scorer(bundle: ModelBundle, options: ScoreOptions, device: str, total_rows: int, schema: Any) -> BatchScorer:
    key = (bundle.job_id, device)
    scorer = _SCORERS.get(key)
    if scorer is None:
        nthread = None
        with contextlib.suppress(ImportError, ValueError):
            from distributed import get_worker

            nthread = get_worker().state.nthreads
        _SCORERS.clear()  # a worker serves one job at a time in practice; keep memory bounded
        scorer = _SCORERS[key] = BatchScorer(
            bundle, options, device=device, total_rows=total_rows, nthread=nthread, schema=schema
        )
    return scorer


@scoring_state
def score_partition(
    partition: Partition,
    source: ScoringInput,
    target: OutputTarget,
    staging: str,
    bundle: ModelBundle,
    options: ScoreOptions,
    device_request: str,
    partitions: int,
) -> dict[str, Any]:
    """Score one partition into its part file (runs on a worker, in :func:`scoring_state`)."""
    part_path = target.part_path(staging, partition.index)
    writer = PartWriter(part_path, options.compression, target.fs)
    try:
        device = resolve_device(device_request)
        scorer = _scorer(bundle, options, device, source.rows, source.schema)
        columns = scorer.columns(source.column_names)
        dictionary = scorer.read_dictionary(columns)
        tally = Tally(devices={device})
        reviews: list[pl.DataFrame] = []
        logs: list[Any] = []
        drifts: list[pl.DataFrame] = []
        first_row = partition.first_row
        handle = source.open_file(partition.path, dictionary)
        try:
            batches: Iterator[Any] = handle.iter_batches(
                batch_size=options.batch_rows, row_groups=list(partition.row_groups), columns=columns
            )
            for number, batch in enumerate(batches, start=1):
                context = (
                    f"partition {partition.index + 1} of {partitions}, batch {number} (input rows "
                    f"{first_row + 1:,}-{first_row + batch.num_rows:,} of {os.path.basename(partition.path)})"
                )
                result = scorer.score(batch, first_row=first_row, context=context)
                writer.write(result.table)
                logs.append(result.log)
                first_row += result.rows
                tally.add_batch(result)
                if result.drift_check is not None:
                    tally.batch_drift.append(scorer.check_drift(result.drift_check))
                if result.review is not None:
                    reviews.append(result.review)
                if result.drift is not None:
                    drifts.append(result.drift)
        finally:
            handle.close()
        writer.close()
    except WorkbenchError as exc:
        writer.close()
        target.discard(part_path)
        return {"ok": False, "error": {"type": type(exc).__name__, "message": exc.message, "details": exc.details}}
    return {
        "ok": True,
        "tally": tally,
        "review": pl.concat(reviews).to_arrow() if reviews else None,
        "log": _concat(logs),
        "drift": pl.concat(drifts, how="vertical_relaxed").to_arrow() if drifts else None,
        "explain_device": scorer.explain_device,
    }


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def _rebuild(error: dict[str, Any]) -> WorkbenchError:
    kind = getattr(errors, error["type"], None)
    if not (isinstance(kind, type) and issubclass(kind, WorkbenchError)):
        kind = JobError
    return kind(error["message"], details=error.get("details"))


@contextlib.contextmanager
def _client(scheduler: str | None, timeout_s: float, workers: int | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise JobError(
                f"Cannot reach the Dask scheduler at {scheduler} within {timeout_s:g} s ({exc}). Check the address "
                "and that the scheduler is running, or score with `--engine local`.",
                details={"scheduler": scheduler},
            ) from None
        with contextlib.closing(client):
            yield client
        return
    cores = os.cpu_count() or 1
    count = workers or max(1, min(4, cores))
    cluster = LocalCluster(
        n_workers=count,
        threads_per_worker=max(1, cores // count),
        processes=True,
        dashboard_address=None,
        # No dashboard, and the scheduler's HTTP endpoint on a free port: the default 8787 is
        # often taken (another cluster), which distributed reports with a warning.
        scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
        silence_logs=logging.ERROR,
    )
    try:
        client = Client(cluster, set_as_default=False)
        with contextlib.closing(client):
            yield client
    finally:
        cluster.close()


def score_dask(
    source: ScoringInput,
    target: OutputTarget,
    staging: str,
    bundle: ModelBundle,
    options: ScoreOptions,
    *,
    device: str,
    review_path: Path,
    decision_log: Path | None = None,
    scheduler: str | None = None,
    timeout_s: float = 10.0,
    workers: int | None = None,
    on_progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ScoringOutcome:
    """Score ``source`` on a Dask cluster into the staged folder ``staging`` (one part per partition).

    Each partition's decision log rows come back with its result and are appended to
    ``decision_log`` here (in completion order; the ``row`` column gives the input order).
    """
    from distributed import wait

    started = time.perf_counter()
    parts = source.partitions(options.partition_rows)
    review_path.parent.mkdir(parents=True, exist_ok=True)
    review_writer: PartWriter | None = None
    log_writer: PartWriter | None = None
    if decision_log is not None:
        decision_log.parent.mkdir(parents=True, exist_ok=True)
        log_writer = PartWriter(str(decision_log), options.compression)
    tally = Tally()
    drift: list[pl.DataFrame] = []
    explain_device: str | None = None
    futures: list[Any] = []
    with _client(scheduler, timeout_s, workers) as client:
        connected = time.perf_counter()
        try:
            target.prepare(staging)
            if not parts:
                return _empty(source, target, staging, bundle, options, device, started, log_writer)
            [shared] = client.scatter([bundle], broadcast=True, hash=False)
            futures = [
                client.submit(
                    score_partition,
                    part,
                    source,
                    target,
                    staging,
                    shared,
                    options,
                    device,
                    len(parts),
                    key=f"workbench-score-{bundle.job_id}-{part.index}",
                    pure=False,
                )
                for part in parts
            ]
            pending = set(futures)
            while pending:
                if should_stop is not None and should_stop():
                    raise ScoringCancelled(f"Job {bundle.job_id} was cancelled after {tally.rows:,} rows.")
                try:
                    with client.as_current():
                        done, pending = wait(pending, timeout=_POLL_S, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for future in done:
                    result = future.result()
                    if not result["ok"]:
                        raise _rebuild(result["error"])
                    tally.merge(result["tally"])
                    explain_device = result["explain_device"]
                    if result["review"] is not None:
                        review_writer = review_writer or PartWriter(str(review_path), "zstd")
                        review_writer.write(result["review"])
                    if log_writer is not None and result["log"] is not None:
                        log_writer.write(result["log"])
                    if result["drift"] is not None:
                        # An Arrow table comes back as a DataFrame (only an array becomes a Series).
                        drift.append(pl.from_arrow(result["drift"]))  # type: ignore[arg-type]
                if on_progress is not None:
                    on_progress(tally.rows)
            if review_writer is not None:
                review_writer.close()
            if log_writer is not None:
                log_writer.close()
        except BaseException:
            client.cancel(futures, force=True)
            if review_writer is not None:
                review_writer.close()
            if log_writer is not None:
                log_writer.close()
                Path(log_writer.path).unlink(missing_ok=True)
            target.discard(staging)
            review_path.unlink(missing_ok=True)
            raise
    used = sorted(tally.devices)
    return ScoringOutcome(
        drift_limit=bundle.drift_limit,
        tally=tally,
        wall_seconds=time.perf_counter() - started,
        device=used[0] if len(used) == 1 else "mixed",
        explain_device=explain_device,
        engine="dask",
        partitions=len(parts),
        drift_sample=pl.concat(drift, how="vertical_relaxed") if drift else None,
        review_path=review_path if tally.review_rows else None,
        decision_log=decision_log,
        timings={"connect": connected - started, "scoring": time.perf_counter() - connected},
    )


def _empty(
    source: ScoringInput,
    target: OutputTarget,
    staging: str,
    bundle: ModelBundle,
    options: ScoreOptions,
    device: str,
    started: float,
    log_writer: PartWriter | None = None,
) -> ScoringOutcome:
    """An input without rows still gets an output: one empty part with the output schema
    (and an empty decision log)."""
    resolved = resolve_device(device)
    scorer = BatchScorer(bundle, options, device=resolved, total_rows=0, schema=source.schema)
    columns = scorer.columns(source.column_names)
    empty = source.schema.empty_table().select(columns)
    writer = PartWriter(target.part_path(staging, 0), options.compression, target.fs)
    result = scorer.score(empty, first_row=0, context="the empty input")
    writer.write(result.table)
    writer.close()
    if log_writer is not None:
        log_writer.write(result.log)
        log_writer.close()
    return ScoringOutcome(
        drift_limit=bundle.drift_limit,
        tally=Tally(batches=1, devices={resolved}),
        wall_seconds=time.perf_counter() - started,
        device=resolved,
        explain_device=scorer.explain_device,
        engine="dask",
        partitions=0,
        decision_log=None if log_writer is None else Path(log_writer.path),
    )
