"""The values a scoring engine takes and gives back.

:class:`ScoreOptions` are the job's knobs, :class:`ModelBundle` is everything about
the model a worker needs (plain bytes and dicts, so it pickles to Dask workers);
per batch, :class:`Prepared` is a checked batch ready to predict, :class:`DriftCheck`
its drift sample and :class:`BatchResult` what it produced; :class:`Tally` adds up
what the batches did into a :class:`ScoringOutcome`. Nothing here scores: the engines
(:mod:`.batch`, :mod:`.local`, :mod:`.dask_engine`) import these values, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.core.errors import JobError, ValidationError
from workbench.core.values import plain_fields

__all__ = [
    "ENGINES",
    "EXPLAIN_METHODS",
    "BatchResult",
    "DriftCheck",
    "ModelBundle",
    "Prepared",
    "Progress",
    "ScoreOptions",
    "ScoringCancelled",
    "ScoringOutcome",
    "ShouldStop",
    "Tally",
]

EXPLAIN_METHODS = ("none", "approx", "exact")
ENGINES = ("local", "dask")
MAX_TOP_K = 20
_MAX_BATCH_DRIFT = 1_000

#: Called with the rows finished so far, after each batch (local) or partition (Dask).
Progress = Callable[[int], None]
#: Polled between batches; True stops the job (cancellation).
ShouldStop = Callable[[], bool]


class ScoringCancelled(JobError):
    """The job was asked to stop; its staged output has been removed."""


@dataclass(frozen=True)
class ScoreOptions:
    """How to score. ``device`` is a request (``auto``, ``cpu``, ``cuda``, ``cuda:N``).

    ``drift_rows`` bounds the uniform sample of the input kept for the job's drift check
    (and the training reference it is compared with); ``batch_drift_rows`` is the sample
    of each batch checked against the same reference as the batch streams past.
    ``review_reasons`` computes approximate reasons for the rows sent to review when
    ``explain`` is ``none`` (with ``approx`` or ``exact`` they get the rows' own
    reasons anyway). It is off by default: approximate contributions cost about five
    predictions per row, so a review share of a few percent adds 10-20% to a job.
    """

    explain: str = "none"
    top_k: int = 3
    batch_rows: int = 100_000
    device: str = "auto"
    drift_rows: int = 20_000
    batch_drift_rows: int = 2_000
    seed: int = 0
    review_reasons: bool = False
    compression: str = "zstd"
    partition_rows: int = 1_000_000
    #: Input columns carried through to the output beside the keys (``--keep``).
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        keep = (self.keep,) if isinstance(self.keep, str) else tuple(self.keep or ())
        if not all(isinstance(name, str) and name for name in keep):
            raise ValidationError(f"keep takes column names (non-empty strings), got {list(keep)!r}.")
        object.__setattr__(self, "keep", tuple(dict.fromkeys(keep)))
        if self.explain not in EXPLAIN_METHODS:
            raise ValidationError(f"Unknown --explain {self.explain!r}; use one of {', '.join(EXPLAIN_METHODS)}.")
        bounds = (("top_k", 1), ("batch_rows", 1), ("drift_rows", 0), ("batch_drift_rows", 0), ("partition_rows", 1))
        for name, low in bounds:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValidationError(f"{name} must be a whole number >= {low}, got {value!r}.")
        if self.top_k > MAX_TOP_K:
            raise ValidationError(f"top_k must be at most {MAX_TOP_K}, got {self.top_k}.")
        if self.compression not in ("zstd", "snappy", "lz4", "gzip", "none"):
            raise ValidationError(f"Unknown compression {self.compression!r}; use zstd, snappy, lz4, gzip or none.")

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreOptions:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class ModelBundle:
    """The model as a worker receives it: verified UBJ bytes, contract and routing as dicts."""

    name: str
    version: int
    model: bytes = field(repr=False)
    contract: dict[str, Any]
    routing: dict[str, Any]
    job_id: str
    #: Columns that are not model inputs but are watched for drift (``register(monitor=...)``).
    monitor: tuple[str, ...] = ()
    #: The version's training reference (Parquet bytes) that every batch is checked against.
    reference: bytes | None = field(default=None, repr=False)
    #: The policy's ``monitoring.drift_share_limit``: a batch above it is flagged.
    drift_limit: float | None = None
    #: Input columns the decision log keeps beside the decisions (sensitive attributes, ``monitor``).
    logged: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriftCheck:
    """A batch's drift sample, waiting for :meth:`~workbench.scoring.batch.BatchScorer.check_drift`
    (the local engine's writer thread runs it, off the reader's and the predictor's way)."""

    first_row: int
    rows: int
    sample: pl.DataFrame


@dataclass
class Prepared:
    """A validated record batch and its features (a columnar Arrow table), ready to predict."""

    batch: Any
    features: Any
    warnings: dict[str, int]
    seconds: float
    drift: pl.DataFrame | None = None
    drift_check: DriftCheck | None = None
    #: Per feature with a row outside the training range, that row mask.
    outside: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class BatchResult:
    """What one batch produced. ``table`` is the output as Arrow; ``review`` and ``drift`` may be None."""

    table: Any
    rows: int
    seconds: float
    decisions: dict[str, int]
    routes: dict[str, int]
    review: pl.DataFrame | None = None
    drift: pl.DataFrame | None = None
    warnings: dict[str, int] = field(default_factory=dict)
    drift_check: DriftCheck | None = None
    #: Rows sent to review as outside the training range, per column.
    outside: dict[str, int] = field(default_factory=dict)
    #: The batch's decision log rows (:mod:`workbench.scoring.decision_log`).
    log: Any = None


@dataclass
class Tally:
    """Counts and timings summed over batches (and over partitions, with :meth:`merge`)."""

    rows: int = 0
    batches: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    review_rows: int = 0
    batch_seconds: list[float] = field(default_factory=list)
    contract_warnings: dict[str, int] = field(default_factory=dict)
    devices: set[str] = field(default_factory=set)
    batch_drift: list[dict[str, Any]] = field(default_factory=list)
    #: Rows sent to review as outside the training range, per column.
    outside_training_range: dict[str, int] = field(default_factory=dict)

    def add_counts(self, target: dict[str, int], values: dict[str, int]) -> None:
        for key, count in values.items():
            target[key] = target.get(key, 0) + int(count)

    def add_batch(self, result: BatchResult) -> None:
        """Count one scored batch (its review and drift rows are kept by the engine)."""
        self.rows += result.rows
        self.batches += 1
        self.add_counts(self.decisions, result.decisions)
        self.add_counts(self.routes, result.routes)
        self.add_counts(self.contract_warnings, result.warnings)
        self.add_counts(self.outside_training_range, result.outside)
        self.batch_seconds.append(result.seconds)
        if result.review is not None:
            self.review_rows += result.review.height

    def merge(self, other: Tally) -> None:
        self.rows += other.rows
        self.batches += other.batches
        self.add_counts(self.decisions, other.decisions)
        self.add_counts(self.routes, other.routes)
        self.review_rows += other.review_rows
        self.batch_seconds.extend(other.batch_seconds)
        self.add_counts(self.contract_warnings, other.contract_warnings)
        self.add_counts(self.outside_training_range, other.outside_training_range)
        self.devices |= other.devices
        self.batch_drift = sorted([*self.batch_drift, *other.batch_drift], key=lambda b: b["first_row"])

    def drift_summary(self, limit: float | None) -> dict[str, Any]:
        """Every batch's drift check: how many ran, the largest share, the batches over ``limit``.

        ``batches`` lists each check (first input row, rows, sample rows, drift share and
        drifted columns; ``error`` when it could not run), the first 1,000 of them.
        """
        checked = [b for b in self.batch_drift if "drift_share" in b]
        over = [b for b in checked if limit is not None and b["drift_share"] > limit]
        return {
            "checked": len(checked),
            "failed": len(self.batch_drift) - len(checked),
            "limit": limit,
            "max_share": max((b["drift_share"] for b in checked), default=None),
            "over_limit": len(over),
            "first_over_limit_row": over[0]["first_row"] if over else None,
            "batches": self.batch_drift[:_MAX_BATCH_DRIFT],
        }

    def latency_ms(self) -> dict[str, float | None]:
        if not self.batch_seconds:
            return {"p50": None, "p95": None, "p99": None, "max": None}
        values = np.asarray(self.batch_seconds) * 1000.0
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        return {
            "p50": round(float(p50), 3),
            "p95": round(float(p95), 3),
            "p99": round(float(p99), 3),
            "max": round(float(values.max()), 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "batches": self.batches,
            "decisions": dict(sorted(self.decisions.items())),
            "routes": dict(sorted(self.routes.items())),
            "review_rows": self.review_rows,
            "contract_warnings": dict(sorted(self.contract_warnings.items())),
            "outside_training_range": dict(sorted(self.outside_training_range.items())),
            "devices": sorted(self.devices),
        }


@dataclass
class ScoringOutcome:
    """What an engine did: its tally, timings, the drift sample and the staged review rows."""

    tally: Tally
    wall_seconds: float
    device: str
    explain_device: str | None
    engine: str
    partitions: int = 1
    drift_sample: Any = None  # a polars DataFrame of the contract's features, or None
    review_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    drift_limit: float | None = None
    #: The reference as the batches were checked against it (local engine), for the job's check.
    drift_baseline: Any = None
    #: The staged decision log (Parquet), or None when the job was asked not to keep one.
    decision_log: Path | None = None
    #: A shadow challenger's summary (``workbench.jobs.shadow``), or None.
    shadow: dict[str, Any] | None = None

    def stats(self) -> dict[str, Any]:
        tally = self.tally
        seconds = max(self.wall_seconds, 1e-9)
        return {
            **tally.to_dict(),
            "engine": self.engine,
            "device": self.device,
            "explain_device": self.explain_device,
            "partitions": self.partitions,
            "seconds": round(self.wall_seconds, 4),
            "rows_per_s": round(tally.rows / seconds, 1),
            "batch_latency_ms": tally.latency_ms(),
            "drift_sample_rows": 0 if self.drift_sample is None else int(self.drift_sample.height),
            "batch_drift": tally.drift_summary(self.drift_limit),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            **({"shadow": self.shadow} if self.shadow else {}),
        }
