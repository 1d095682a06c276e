"""The local engine: a bounded read → score → write pipeline on one machine.

A reader thread, prediction lanes and a writer thread, with small queues between them:
the reader decodes Parquet record batches (pyarrow releases the GIL), checks them
against the contract, builds the model's input and draws the drift samples, so this
work overlaps prediction; the lanes (:class:`_Lanes`, two on a multi-core CPU) predict
(XGBoost releases the GIL), route and explain, and the calling thread takes their
results in input order; the writer appends the output and the review rows to staged
Parquet files and runs each batch's drift check. At most a few batches are alive at
once, so memory stays flat however large the input is.

Between batches the engine asks ``should_stop`` and reports progress. Any error,
or a stop, removes everything staged and re-raises; on success the staged output
is left for the caller to commit (the job service does so in its final transaction).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.errors import WorkbenchError
from workbench.scoring.batch import BatchScorer
from workbench.scoring.runtime import scoring_state
from workbench.scoring.sinks import OutputTarget, PartWriter
from workbench.scoring.sources import ScoringInput
from workbench.scoring.values import (
    BatchResult,
    ModelBundle,
    Progress,
    ScoreOptions,
    ScoringCancelled,
    ScoringOutcome,
    ShouldStop,
    Tally,
)

__all__ = ["score_local"]

_DONE = object()
_POLL_S = 0.1


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(box: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            box.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _read(
    batches: Iterator[Any], scorer: BatchScorer, total: int, inbox: queue.Queue[Any], stop: threading.Event
) -> None:
    """Decode, validate and encode batches ahead of the predicting thread."""
    try:
        for number, first_row, batch, path in batches:
            context = (
                f"batch {number} of {total} (input rows {first_row + 1:,}-{first_row + batch.num_rows:,} "
                f"of {os.path.basename(path)})"
            )
            if not _put(inbox, (first_row, scorer.prepare(batch, context=context, first_row=first_row)), stop):
                return
        _put(inbox, _DONE, stop)
    except BaseException as exc:
        _put(inbox, _Failed(exc), stop)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class _Lanes:
    """Two batches predicted at once, each on half the cores; one lane on a GPU or when explaining.

    One ``inplace_predict`` on every core ends each call at a barrier: when the reader,
    the writer or pyarrow's decoder take a core from one of XGBoost's threads, the others
    wait for it. Two calls in flight on half the cores each keep both busy instead, and
    the batch after next is already predicting while this one is routed and handed to
    the writer (measured 7-10% less wall time on two cores; docs/performance.md).
    ``inplace_predict`` is thread-safe; results are taken in input order.
    """

    def __init__(self, scorer: BatchScorer, device: str, options: ScoreOptions) -> None:
        cores = _cores()
        parallel = device == "cpu" and options.explain == "none" and not options.review_reasons and cores >= 2
        self.width = 2 if parallel else 1
        if parallel:
            scorer.booster.set_param({"nthread": cores // 2})
        self._pool = concurrent.futures.ThreadPoolExecutor(self.width, thread_name_prefix="workbench-score-predict")

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> concurrent.futures.Future[BatchResult]:
        return self._pool.submit(fn, *args, **kwargs)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Writer(threading.Thread):
    """Appends output tables and review frames to their staged files, in order."""

    def __init__(
        self,
        output: PartWriter,
        review_path: Path,
        outbox: queue.Queue[Any],
        stop: threading.Event,
        scorer: BatchScorer,
        decision_log: Path | None = None,
        compression: str = "zstd",
    ) -> None:
        super().__init__(name="workbench-score-writer", daemon=True)
        self.log = PartWriter(str(decision_log), compression) if decision_log is not None else None
        self.scorer = scorer
        self.batch_drift: list[dict[str, Any]] = []
        self.output = output
        self.review_path = review_path
        self.outbox = outbox
        self.stop = stop
        self.review: PartWriter | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        try:
            while True:
                try:
                    item = self.outbox.get(timeout=_POLL_S)
                except queue.Empty:
                    if self.stop.is_set():
                        return
                    continue
                if item is _DONE:
                    return
                mark = time.perf_counter()
                table, review, check, log = item
                self.output.write(table)
                if self.log is not None:
                    self.log.write(log)
                if review is not None:
                    if self.review is None:
                        self.review = PartWriter(str(self.review_path), "zstd")
                    self.review.write(review.to_arrow())
                self.seconds += time.perf_counter() - mark
                if check is not None:
                    self.batch_drift.append(self.scorer.check_drift(check))
        except BaseException as exc:
            self.error = exc
            self.stop.set()
        finally:
            self.output.close()
            if self.log is not None:
                self.log.close()
            if self.review is not None:
                self.review.close()


def _drain(box: queue.Queue[Any]) -> None:
    while True:
        try:
            box.get_nowait()
        except queue.Empty:
            return


@scoring_state
def score_local(
    source: ScoringInput,
    target: OutputTarget,
    staging: str,
    bundle: ModelBundle,
    options: ScoreOptions,
    *,
    device: str,
    review_path: Path,
    decision_log: Path | None = None,
    on_progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    queue_depth: int = 2,
) -> ScoringOutcome:
    """Score ``source`` into ``staging`` (see :class:`OutputTarget`); review rows go to ``review_path``,
    the decision log (:mod:`~workbench.scoring.decision_log`) to ``decision_log`` when given.

    Arrow allocates from the system allocator meanwhile, and Python's cyclic garbage
    collector is paused (:func:`~workbench.scoring.runtime.scoring_state`).
    """
    started = time.perf_counter()
    scorer = BatchScorer(bundle, options, device=device, total_rows=source.rows, schema=source.schema)
    columns = scorer.columns(source.column_names)
    dictionary = scorer.read_dictionary(columns)
    total_batches = source.batch_count(options.batch_rows)
    target.prepare(staging)
    review_path.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    inbox: queue.Queue[Any] = queue.Queue(maxsize=queue_depth)
    outbox: queue.Queue[Any] = queue.Queue(maxsize=queue_depth)
    reader = threading.Thread(
        target=_read,
        args=(source.batches(columns, options.batch_rows, dictionary), scorer, total_batches, inbox, stop),
        name="workbench-score-reader",
        daemon=True,
    )
    if decision_log is not None:
        decision_log.parent.mkdir(parents=True, exist_ok=True)
    writer = _Writer(
        target.writer(target.file_path(staging), options.compression),
        review_path,
        outbox,
        stop,
        scorer,
        decision_log,
        options.compression,
    )
    tally = Tally(devices={device})
    drift: list[pl.DataFrame] = []
    waited = 0.0
    lanes = _Lanes(scorer, device, options)
    in_flight: collections.deque[concurrent.futures.Future[BatchResult]] = collections.deque()

    def settle() -> bool:
        """Count the oldest batch in flight, hand it to the writer and report progress;
        False if the writer has stopped."""
        if not _account(in_flight.popleft().result(), tally, drift, outbox, stop):
            return False
        if on_progress is not None:
            on_progress(tally.rows)
        return True

    try:
        reader.start()
        writer.start()
        while True:
            mark = time.perf_counter()
            try:
                item = _next(inbox, writer)
            except WorkbenchError:  # e.g. a contract violation: count the batches scored before it
                with contextlib.suppress(Exception):  # the violation is the error to report
                    while in_flight and settle():
                        pass
                raise
            waited += time.perf_counter() - mark
            if item is _DONE:
                break
            if should_stop is not None and should_stop():
                raise ScoringCancelled(f"Job {bundle.job_id} was cancelled after {tally.rows:,} rows.")
            first_row, prepared = item
            in_flight.append(lanes.submit(scorer.finish, prepared, first_row=first_row))
            if len(in_flight) >= lanes.width and not settle():
                break
        while in_flight and not stop.is_set() and settle():
            pass
        if tally.batches == 0:
            empty = source.schema.empty_table().select(columns)
            _account(scorer.score(empty, first_row=0, context="the empty input"), tally, drift, outbox, stop)
        _put(outbox, _DONE, stop)
        writer.join()
        if stop.is_set() and writer.error is None:
            raise RuntimeError("The output writer stopped before the job finished.")
        if writer.error is not None:
            raise writer.error
        tally.batch_drift = writer.batch_drift
    except BaseException:
        stop.set()
        lanes.close()
        _drain(inbox)
        _drain(outbox)
        reader.join(timeout=5)
        writer.join(timeout=30)
        target.discard(staging)
        review_path.unlink(missing_ok=True)
        if decision_log is not None:
            decision_log.unlink(missing_ok=True)
        raise
    reader.join(timeout=5)
    lanes.close()
    return ScoringOutcome(
        drift_limit=bundle.drift_limit,
        tally=tally,
        wall_seconds=time.perf_counter() - started,
        device=device,
        explain_device=scorer.explain_device,
        engine="local",
        drift_sample=pl.concat(drift, how="vertical_relaxed") if drift else None,
        drift_baseline=scorer.baseline(),
        review_path=review_path if tally.review_rows else None,
        decision_log=decision_log,
        timings={"waiting_for_input": waited, "writing": writer.seconds},
    )


def _next(inbox: queue.Queue[Any], writer: _Writer) -> Any:
    while True:
        if writer.error is not None:
            raise writer.error
        try:
            item = inbox.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        if isinstance(item, _Failed):
            raise item.error
        return item


def _account(
    result: BatchResult,
    tally: Tally,
    drift: list[pl.DataFrame],
    outbox: queue.Queue[Any],
    stop: threading.Event,
) -> bool:
    """Add up one scored batch and hand it to the writer; False if the writer has stopped."""
    tally.add_batch(result)
    if result.drift is not None:
        drift.append(result.drift)
    return _put(outbox, (result.table, result.review, result.drift_check, result.log), stop)
