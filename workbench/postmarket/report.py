"""``monitor report``: what a model's decisions did, per version and window.

For each version and window (the trailing ``Nd`` days, or each ``job``) it reads the
decision logs of the model's succeeded jobs and the decisions ``workbench serve`` took online
(``online_decisions``, one ``serve`` job per serving process and version, its rows only
within the window), the current outcomes, the review items' decisions and the jobs' own
records, and reports:

* rows decided, automation rate (share not sent to a human), review rate, and the
  override rate (share of decided review items where the reviewer overruled the model's
  leaning: the reviewers' decisions are outcomes too);
* with outcomes: outcome coverage, realized AUC, Brier score, expected calibration error
  with its reliability bins, accuracy of the automatic decisions, and fairness on outcomes
  per sensitive column (see :mod:`.metrics`; only automatic decisions count there);
* the newest job's drift verdict (share, drifted columns named);
* throughput, and per-batch latency p50/p95/p99 (the worst job's in the window; batch jobs
  only: online requests have their latency histograms at the service's ``/metrics``);
* CPU-seconds per 1,000 decisions (the scoring process's own CPU; a Dask job's workers are
  not counted), and money when the policy's ``monitoring`` sets ``cost_per_cpu_hour`` or
  ``cost_per_gpu_hour``;
* staff hours saved: automated rows x the policy's ``minutes_per_manual_review`` / 60.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import NotFound, PermissionDenied, ValidationError
from workbench.drift.verdict import recorded_verdict
from workbench.governance.adoption import governing_policy
from workbench.jobs.decision_log import decision_logs_of
from workbench.postmarket.decisions import current_outcomes, require_model, scan_log
from workbench.postmarket.metrics import auc, brier, fairness, reliability
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, model_versions, online_decisions, review_items

__all__ = ["MonitoringReport", "WindowStats", "monitoring_report", "parse_window"]

_WINDOW = re.compile(r"^(\d{1,4})d$")


def parse_window(window: str) -> timedelta | None:
    """``Nd`` as a timedelta; ``job`` as None; anything else a ValidationError."""
    if window == "job":
        return None
    match = _WINDOW.match(window or "")
    if not match or int(match.group(1)) == 0:
        raise ValidationError(f"Unknown window {window!r}: use 7d, 30d (any number of days) or job.")
    return timedelta(days=int(match.group(1)))


@dataclass(frozen=True)
class WindowStats:
    """One version's figures over one window."""

    version: int
    window: str
    start: str | None
    end: str | None
    jobs: int
    rows: int
    automated: int
    automation_rate: float | None
    review_rate: float | None
    reviewed: int
    overrides: int
    override_rate: float | None
    outcomes: int
    outcome_coverage: float | None
    auc: float | None
    brier: float | None
    calibration_error: float | None
    automated_accuracy: float | None
    fairness_gap: float | None
    drift_share: float | None
    drifted_columns: tuple[str, ...]
    rows_per_second: float | None
    p50_batch_latency_ms: float | None
    p95_batch_latency_ms: float | None
    p99_batch_latency_ms: float | None
    cpu_seconds_per_1k: float | None
    cost_per_1k: float | None
    staff_hours_saved: float | None
    reliability: list[dict[str, Any]] = field(default_factory=list)
    fairness: dict[str, Any] = field(default_factory=dict)
    job_ids: tuple[str, ...] = ()  # the jobs whose decisions these figures read (SLO evidence)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["drifted_columns"] = list(self.drifted_columns)
        data["job_ids"] = list(self.job_ids)
        return data


@dataclass(frozen=True)
class MonitoringReport:
    model: str
    window: str
    generated_at: str
    settings: dict[str, Any]
    windows: list[WindowStats]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "window": self.window,
            "generated_at": self.generated_at,
            "settings": self.settings,
            "windows": [w.to_dict() for w in self.windows],
        }

    def frame(self) -> pl.DataFrame:
        """One row per version and window, the scalar figures only."""
        rows = [
            {k: v for k, v in w.to_dict().items() if k not in ("reliability", "fairness", "drifted_columns", "job_ids")}
            for w in self.windows
        ]
        return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def _settings(workspace: Workspace, name: str) -> dict[str, Any]:
    try:
        with workspace.read() as conn:
            policy = governing_policy(conn, workspace.project, name)
    except (NotFound, PermissionDenied):
        return {"min_group_size": 30, "sensitive_note": "no governing policy"}
    monitoring = policy.monitoring or {}
    return {
        "min_group_size": policy.min_group_size,
        "window": monitoring.get("window"),
        "minutes_per_manual_review": monitoring.get("minutes_per_manual_review"),
        "cost_per_cpu_hour": monitoring.get("cost_per_cpu_hour"),
        "cost_per_gpu_hour": monitoring.get("cost_per_gpu_hour"),
    }


def _routing_labels(conn: Any, workspace: Workspace, name: str) -> tuple[str, str]:
    """The accept and review labels of the governing policy's routing (what the online service routes by)."""
    from workbench.scoring.routing import parse_routing

    try:
        routing = governing_policy(conn, workspace.project, name).routing
    except (NotFound, PermissionDenied):
        routing = {}
    accept, _, review = parse_routing(routing or {}).decision_labels
    return accept, review


def _jobs(workspace: Workspace, name: str) -> pl.DataFrame:
    """The model's succeeded batch jobs with their routing labels and what their records say, and each
    serving process's ``serve`` job that decided online (``ended_at``: its newest decision)."""
    from workbench.scoring.routing import parse_routing

    with workspace.read() as conn:
        rows = conn.execute(
            sa.select(jobs.c.id, jobs.c.version, jobs.c.ended_at, jobs.c.options, jobs.c.stats, jobs.c.drift)
            .where(jobs.c.name == name, jobs.c.status == "succeeded", jobs.c.kind != "serve")
            .order_by(jobs.c.ended_at)
        ).all()
        online = conn.execute(
            sa.select(
                online_decisions.c.served_by,
                online_decisions.c.version,
                sa.func.max(online_decisions.c.created_at).label("last"),
            )
            .where(online_decisions.c.name == name)
            .group_by(online_decisions.c.served_by, online_decisions.c.version)
        ).all()
        ids = [r.id for r in rows] + [o.served_by for o in online]
        reviewed = {
            r.job_id: (int(r.decided), int(r.overrides or 0))
            for r in conn.execute(
                sa.select(
                    review_items.c.job_id,
                    sa.func.count().label("decided"),
                    sa.func.sum(sa.case((review_items.c.override.is_(True), 1), else_=0)).label("overrides"),
                )
                .where(review_items.c.job_id.in_(ids), review_items.c.status == "decided")
                .group_by(review_items.c.job_id)
            )
        }
        online_labels = _routing_labels(conn, workspace, name) if online else ("", "")
    records = []
    for r in rows:
        accept, _, review = parse_routing((r.options or {}).get("routing") or {}).decision_labels
        stats = r.stats or {}
        verdict = recorded_verdict(r.drift)
        records.append(
            {
                "job": r.id,
                "job_version": int(r.version),
                "ended_at": r.ended_at,
                "accept_label": accept,
                "review_label": review,
                "reviewed": reviewed.get(r.id, (0, 0))[0],
                "overrides": reviewed.get(r.id, (0, 0))[1],
                "seconds": float(stats.get("seconds") or 0.0),
                "cpu_seconds": (stats.get("timings") or {}).get("cpu_seconds"),
                "device": stats.get("device") or "cpu",
                "latency": stats.get("batch_latency_ms") or {},
                "drift_share": None if verdict is None else verdict.share,
                "drifted": [] if verdict is None else list(verdict.drifted_columns),
                "online": False,
            }
        )
    for o in online:
        records.append(
            {
                "job": o.served_by,
                "job_version": int(o.version),
                "ended_at": o.last,
                "accept_label": online_labels[0],
                "review_label": online_labels[1],
                "reviewed": reviewed.get(o.served_by, (0, 0))[0],
                "overrides": reviewed.get(o.served_by, (0, 0))[1],
                "seconds": 0.0,
                "cpu_seconds": None,
                "device": "cpu",
                "latency": {},
                "drift_share": None,
                "drifted": [],
                "online": True,
            }
        )
    frame = pl.DataFrame(records, infer_schema_length=None, schema_overrides={"ended_at": pl.Datetime("us", "UTC")})
    return frame.sort("ended_at", nulls_last=False) if online else frame


def _latency(job_rows: list[dict[str, Any]], key: str) -> float | None:
    values = [j["latency"].get(key) for j in job_rows if j["latency"].get(key) is not None]
    return max(values) if values else None


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _window(
    version: int,
    label: str,
    counts: tuple[int, int, int],
    joined: pl.DataFrame,
    job_rows: list[dict[str, Any]],
    sensitive: list[str],
    settings: dict[str, Any],
) -> WindowStats:
    """One window's figures: ``counts`` are its (rows, automated, rows of batch jobs); ``joined`` its decisions
    with outcomes. Throughput, CPU and cost are the batch jobs' (online requests are timed by the service)."""
    rows, automated, batch_rows = counts
    reviewed = sum(j["reviewed"] for j in job_rows)
    overrides = sum(j["overrides"] for j in job_rows)
    scores = joined.get_column("score").cast(pl.Float64).to_numpy()
    labels = joined.get_column("label").cast(pl.Int64).to_numpy()
    ece, bins = reliability(scores, labels)
    auto = joined.filter(~pl.col("is_review"))
    accuracy = (
        float(
            (auto.get_column("selected").cast(pl.Int64) == auto.get_column("label").cast(pl.Int64))
            .cast(pl.Float64)
            .to_numpy()
            .mean()
        )
        if auto.height
        else None
    )
    fair = fairness(auto, sensitive, int(settings.get("min_group_size") or 30))
    gaps = [f["fairness_gap"] for f in fair.values() if f["fairness_gap"] is not None]
    batch = [j for j in job_rows if not j["online"]]
    seconds = sum(j["seconds"] for j in batch)
    cpu = [j["cpu_seconds"] for j in batch]
    cpu_total = sum(cpu) if cpu and all(c is not None for c in cpu) else None
    cost = None
    cpu_price, gpu_price = settings.get("cost_per_cpu_hour"), settings.get("cost_per_gpu_hour")
    if cpu_total is not None and (cpu_price is not None or gpu_price is not None):
        cost = 0.0
        for j in batch:
            if j["device"] == "cuda" and gpu_price is not None:
                cost += j["seconds"] / 3600 * float(gpu_price)
            elif cpu_price is not None:
                cost += (j["cpu_seconds"] or 0.0) / 3600 * float(cpu_price)
    minutes = settings.get("minutes_per_manual_review")
    newest = batch[-1] if batch else None  # the drift verdict is a batch job's
    ended = [j["ended_at"] for j in job_rows if j["ended_at"] is not None]
    return WindowStats(
        version=version,
        window=label,
        start=min(ended).isoformat() if ended else None,
        end=max(ended).isoformat() if ended else None,
        jobs=len(job_rows),
        rows=rows,
        automated=automated,
        automation_rate=_ratio(automated, rows),
        review_rate=_ratio(rows - automated, rows),
        reviewed=reviewed,
        overrides=overrides,
        override_rate=_ratio(overrides, reviewed),
        outcomes=joined.height,
        outcome_coverage=_ratio(joined.height, rows),
        auc=auc(scores, labels),
        brier=brier(scores, labels),
        calibration_error=ece,
        automated_accuracy=accuracy,
        fairness_gap=max(gaps) if gaps else None,
        drift_share=None if newest is None else newest["drift_share"],
        drifted_columns=tuple(newest["drifted"] if newest else ()),
        rows_per_second=_ratio(batch_rows, seconds),
        p50_batch_latency_ms=_latency(job_rows, "p50"),
        p95_batch_latency_ms=_latency(job_rows, "p95"),
        p99_batch_latency_ms=_latency(job_rows, "p99"),
        cpu_seconds_per_1k=None if cpu_total is None or not batch_rows else cpu_total / batch_rows * 1000,
        cost_per_1k=None if cost is None or not batch_rows else cost / batch_rows * 1000,
        staff_hours_saved=None if minutes is None else automated * float(minutes) / 60,
        reliability=bins,
        fairness=fair,
        job_ids=tuple(j["job"] for j in job_rows),
    )


def _online_scan(
    workspace: Workspace, name: str, job: str, sensitive: list[str], since: datetime | None
) -> pl.LazyFrame | None:
    """The online decisions of the serve job ``job`` (since ``since``), as a decision log's columns: row key,
    score, decision and the sensitive columns the service logged with each row."""
    query = sa.select(
        online_decisions.c.row_key, online_decisions.c.score, online_decisions.c.decision, online_decisions.c.input
    ).where(online_decisions.c.name == name, online_decisions.c.served_by == job)
    if since is not None:
        query = query.where(online_decisions.c.created_at >= since)
    with workspace.read() as conn:
        rows = conn.execute(query.order_by(online_decisions.c.id)).all()
    if not rows:
        return None
    columns: dict[str, list[Any]] = {
        "row_key": [r.row_key for r in rows],
        "score": [r.score for r in rows],
        "decision": [r.decision for r in rows],
    }
    for column in sensitive:
        values = [(r.input or {}).get(column) for r in rows]
        if any(v is not None for v in values):
            columns[column] = values
    frame = pl.DataFrame(columns, schema_overrides={"row_key": pl.String, "score": pl.Float64, "decision": pl.String})
    return frame.lazy()


def _decided(
    workspace: Workspace,
    name: str,
    job_rows: list[dict[str, Any]],
    sensitive: list[str],
    outcomes: pl.DataFrame,
    since: datetime | None = None,
) -> tuple[dict[str, tuple[int, int]], pl.DataFrame]:
    """Per job (rows, automated), and the decisions that have outcomes, read by lazy scans of the logs.

    Each log is scanned twice: once for its ``decision`` column alone (the counts), once for
    keys, score, decision and the sensitive columns, streamed through an inner join with the
    outcomes, so only decisions with ground truth are ever held in memory. Each row carries
    its log's index until after the join; the job, version and routing labels join it then,
    so the per-row work before the join is the key alone. A serve job's online decisions (those
    since ``since``) come from the store's ``online_decisions`` instead of a log."""
    with workspace.read() as conn:
        logs = {log.job_id: log for log in decision_logs_of(conn, name)}
    counts: list[pl.LazyFrame] = []
    parts: list[pl.LazyFrame] = []
    read: list[dict[str, Any]] = []
    for job in job_rows:
        if job["online"]:
            online = _online_scan(workspace, name, job["job"], sensitive, since)
            if online is None:
                continue
            scan = online
        else:
            log = logs.get(job["job"])
            if log is None:
                continue
            scan = scan_log(workspace, log, ["score", "decision", *sensitive])
        index = pl.lit(len(read), dtype=pl.UInt32).alias("log")
        present = scan.collect_schema()
        is_review = pl.col("decision") == job["review_label"]
        counts.append(scan.select(index, pl.len().alias("rows"), is_review.sum().alias("reviews")))
        parts.append(scan.select("row_key", "score", "decision", *[c for c in sensitive if c in present], index))
        read.append(
            {
                "log": len(read),
                "job": job["job"],
                "version": job["job_version"],
                "review_label": job["review_label"],
                "accept_label": job["accept_label"],
            }
        )
    if not parts:
        empty = pl.DataFrame(
            schema={"score": pl.Float64, "label": pl.Int8, "is_review": pl.Boolean, "selected": pl.Boolean}
        )
        return {}, empty.with_columns(pl.lit("").alias("job"), pl.lit(0, dtype=pl.Int32).alias("version"))
    jobs_read = pl.LazyFrame(read, schema_overrides={"log": pl.UInt32, "version": pl.Int32})
    joined = (
        pl.concat(parts, how="diagonal_relaxed")
        .join(outcomes.lazy().select("row_key", "label"), on="row_key", how="inner")
        .join(jobs_read, on="log", how="left")
        .with_columns(
            pl.col("score").cast(pl.Float64),
            (pl.col("decision") == pl.col("review_label")).alias("is_review"),
            (pl.col("decision") == pl.col("accept_label")).alias("selected"),
        )
        .drop("review_label", "accept_label", "decision", "log")
    )
    counted, decided = pl.collect_all([pl.concat(counts), joined], engine="streaming")
    per_job = {read[r["log"]]["job"]: (r["rows"], r["rows"] - r["reviews"]) for r in counted.iter_rows(named=True)}
    return per_job, decided


def _sum_counts(per_job: dict[str, tuple[int, int]], job_rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(rows, automated, rows of batch jobs) of ``job_rows``."""
    pairs = [per_job.get(j["job"], (0, 0)) for j in job_rows]
    batch = sum(per_job.get(j["job"], (0, 0))[0] for j in job_rows if not j["online"])
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs), batch


def monitoring_report(
    workspace: Workspace, name: str, *, window: str | None = None, within: str | None = None
) -> MonitoringReport:
    """The figures of ``name`` per version and window (default: the policy's ``monitoring.window``, else 30d).

    ``within`` (``Nd``) keeps only the jobs that ended in the trailing days: with ``window="job"``,
    the per-job rows of a window, as the Monitoring panel's charts draw them over time.
    """
    with workspace.read() as conn:
        require_model(conn, name)
        lineages = [
            lineage or {}
            for lineage in conn.execute(
                sa.select(model_versions.c.lineage).where(model_versions.c.name == name)
            ).scalars()
        ]
    settings = _settings(workspace, name)
    window = window or settings.get("window") or "30d"
    span = parse_window(window)
    kept = span if span is not None or within is None else parse_window(within)
    sensitive = sorted({c for lineage in lineages for c in lineage.get("sensitive") or ()})
    job_frame = _jobs(workspace, name)
    now = utcnow()
    if kept is not None and job_frame.height:
        job_frame = job_frame.filter(pl.col("ended_at") >= now - kept)
    job_rows = job_frame.to_dicts()
    outcomes = current_outcomes(workspace, name)
    per_job, joined = _decided(workspace, name, job_rows, sensitive, outcomes, now - kept if kept else None)
    windows: list[WindowStats] = []
    if span is None:
        for job in job_rows:
            part = joined.filter(pl.col("job") == job["job"])
            counts = _sum_counts(per_job, [job])
            windows.append(_window(job["job_version"], job["job"][:8], counts, part, [job], sensitive, settings))
    else:
        for version in sorted({j["job_version"] for j in job_rows}):
            mine = [j for j in job_rows if j["job_version"] == version]
            part = joined.filter(pl.col("version") == version)
            counts = _sum_counts(per_job, mine)
            windows.append(_window(version, window, counts, part, mine, sensitive, settings))
    return MonitoringReport(name, window, now.isoformat(), settings, windows)
