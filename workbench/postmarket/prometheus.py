"""Prometheus metrics for operators: ``/workbench/metrics`` and ``workbench metrics --textfile``.

Each scrape builds a fresh :class:`prometheus_client.CollectorRegistry` from the store (nothing is
registered globally, so two projects in one process never mix):

* ``workbench_jobs{model,status}``: scoring jobs by status;
* ``workbench_rows_scored_total{model,version}``: rows of succeeded jobs;
* ``workbench_decisions_total{model,route}``: decisions of succeeded jobs by route;
* ``workbench_batch_latency_seconds{model,version,quantile}``: the newest job's per-batch latency
  p50/p95/p99 (a summary: jobs keep their percentiles, not every batch's time);
* ``workbench_review_queue_depth{model}`` and ``workbench_review_queue_oldest_age_seconds{model}``;
* ``workbench_drift_share{model,version}``: the newest job's drift share;
* ``workbench_slo_status{model,version,objective,status}``: 1 for the objective's current status
  (met, breached, no_data), evaluated as :func:`workbench.postmarket.slo.evaluate_slos` does, and
  ``workbench_slo_observed{model,version,objective}``.

The job part folds each succeeded job's stats in once (:mod:`.job_totals`), so a scrape reads no stats
JSON for jobs it has seen. The SLO part reads decision logs, so it is cached per project by the audit
chain's head (every job and every outcome batch moves it), the governing policies' hashes and the hour
(windows slide).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from workbench.core.clock import as_utc, utcnow
from workbench.postmarket.job_totals import JobTotals, job_totals
from workbench.postmarket.slo import SloStatus, evaluate_slos, model_names, policy_of
from workbench.project.workspace import Workspace
from workbench.store.schema import audit_head, jobs, review_items

__all__ = ["CONTENT_TYPE", "metrics_text", "write_textfile"]

#: The exposition format's content type (text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_SLO_CACHE: dict[str, tuple[tuple[Any, ...], list[SloStatus]]] = {}
_SLO_LOCK = threading.Lock()


def _slo_statuses(workspace: Workspace, names: list[str], head: Any) -> list[SloStatus]:
    policies = tuple((name, getattr(policy_of(workspace, name), "sha256", None)) for name in names)
    key = (head, policies, utcnow().strftime("%Y%m%d%H"))
    cache_id = str(workspace.project.root)
    with _SLO_LOCK:
        cached = _SLO_CACHE.get(cache_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    statuses = [s for name, sha in policies if sha for s in evaluate_slos(workspace, name).statuses]
    with _SLO_LOCK:
        _SLO_CACHE[cache_id] = (key, statuses)
    return statuses


class _StoreCollector(Collector):
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def collect(self) -> Iterator[Metric]:
        with self.workspace.read() as conn:
            by_status = conn.execute(
                sa.select(jobs.c.name, jobs.c.status, sa.func.count())
                .where(jobs.c.kind == "score")
                .group_by(jobs.c.name, jobs.c.status)
            ).all()
            totals = job_totals(self.workspace, conn)
            queue = conn.execute(
                sa.select(jobs.c.name, sa.func.count(), sa.func.min(review_items.c.created_at))
                .join(jobs, jobs.c.id == review_items.c.job_id)
                .where(review_items.c.status == "open")
                .group_by(jobs.c.name)
            ).all()
            head = conn.execute(sa.select(audit_head.c.seq)).scalar()
        yield from self._jobs(by_status, totals)
        depth = GaugeMetricFamily("workbench_review_queue_depth", "Open review items", labels=["model"])
        age = GaugeMetricFamily(
            "workbench_review_queue_oldest_age_seconds", "Age of the oldest open review item", labels=["model"]
        )
        now = utcnow()
        for name, count, oldest in queue:
            depth.add_metric([name], count)
            created = as_utc(oldest)
            if created is not None:
                age.add_metric([name], max((now - created).total_seconds(), 0.0))
        yield depth
        yield age
        yield from self._slos(_slo_statuses(self.workspace, model_names(self.workspace), head))

    def _jobs(self, by_status: Sequence[Any], totals: JobTotals) -> Iterator[Metric]:
        status = GaugeMetricFamily("workbench_jobs", "Scoring jobs by status", labels=["model", "status"])
        for name, state, count in by_status:
            status.add_metric([name or "", state], count)
        yield status
        scored = CounterMetricFamily(
            "workbench_rows_scored", "Rows scored by succeeded jobs", labels=["model", "version"]
        )
        for labels, value in sorted(totals.rows.items()):
            scored.add_metric(list(labels), value)
        yield scored
        decided = CounterMetricFamily(
            "workbench_decisions", "Decisions of succeeded jobs by route", labels=["model", "route"]
        )
        for labels, value in sorted(totals.routes.items()):
            decided.add_metric(list(labels), value)
        yield decided
        latency = SummaryMetricFamily(
            "workbench_batch_latency_seconds",
            "Per-batch latency of the newest succeeded job (quantiles)",
            labels=["model", "version"],
        )
        drift = GaugeMetricFamily(
            "workbench_drift_share", "Drift share of the newest succeeded job", labels=["model", "version"]
        )
        for labels, job in sorted(totals.newest.items(), key=lambda item: item[0]):
            ms = job.latency_ms
            quantiles = [(q, ms[k] / 1000) for q, k in (("0.5", "p50"), ("0.95", "p95"), ("0.99", "p99")) if ms.get(k)]
            if quantiles:
                names = {"model": labels[0], "version": labels[1]}
                latency.add_sample("workbench_batch_latency_seconds_count", names, job.batches)
                latency.add_sample("workbench_batch_latency_seconds_sum", names, job.seconds)
                for quantile, seconds in quantiles:
                    latency.add_sample("workbench_batch_latency_seconds", {**names, "quantile": quantile}, seconds)
            if job.drift_share is not None:
                drift.add_metric(list(labels), job.drift_share)
        yield latency
        yield drift

    def _slos(self, statuses: list[SloStatus]) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "workbench_slo_status",
            "1 for each objective's current status (met, breached, no_data) over the policy's window",
            labels=["model", "version", "objective", "status"],
        )
        observed = GaugeMetricFamily(
            "workbench_slo_observed", "The objective's observed value", labels=["model", "version", "objective"]
        )
        for s in statuses:
            for name in ("met", "breached", "no_data"):
                state.add_metric([s.model, str(s.version), s.objective, name], 1.0 if s.status == name else 0.0)
            if s.observed is not None:
                observed.add_metric([s.model, str(s.version), s.objective], s.observed)
        yield state
        yield observed


def _registry(workspace: Workspace) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(workspace))
    return registry


def metrics_text(workspace: Workspace) -> bytes:
    """The project's metrics in Prometheus' text format."""
    return generate_latest(_registry(workspace))


def write_textfile(workspace: Workspace, path: str | os.PathLike[str]) -> Path:
    """Write the metrics to ``path`` (inside the project or an allowed folder) for node_exporter's textfile
    collector: written beside it and renamed, so a scrape never reads half a file."""
    target = workspace.project.resolve_inside(path, "metrics textfile")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(target), _registry(workspace))
    return target
