"""Prometheus metrics of one worker: requests, errors, latency per model and route, the decision mix.

Each metric's labelled children are kept once found: ``labels()`` validates and locks on every
call, which was a visible part of a single-row request's time on the event loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

__all__ = ["ServeMetrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServeMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "workbench_serve_requests", "Decide requests by model and HTTP status", ["model", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.errors = Counter("workbench_serve_errors", "Decide requests answered 4xx/5xx", ["model", "status"],
                              registry=self.registry)  # fmt: skip
        self.latency = Histogram(
            "workbench_serve_request_seconds", "Decide latency by model", ["model"], buckets=_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.route_latency = Histogram(
            "workbench_serve_decision_seconds",
            "Decide latency by model and route, once per request for each route its rows took",
            ["model", "route"], buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.decisions = Counter(
            "workbench_serve_decisions", "Decisions by model, arm, version, decision and route",
            ["model", "arm", "version", "decision", "route"], registry=self.registry,
        )  # fmt: skip
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def decided(self, model: str, answers: list[dict[str, Any]]) -> None:
        mix = Counter((a["arm"], a["version"], a["decision"], a["route"]) for a in answers)
        for (arm, version, decision, route), n in mix.items():  # one label lookup per kind, not per row
            self._child(self.decisions, model, arm, str(version), decision, route).inc(n)

    def request(self, model: str, status: int, seconds: float, routes: Iterable[str] = ()) -> None:
        """One answered request; ``routes`` are the routes its rows took (each observed once per request)."""
        self._child(self.requests, model, str(status)).inc()
        if status >= 400:
            self._child(self.errors, model, str(status)).inc()
            return
        self._child(self.latency, model).observe(seconds)
        for route in routes:
            self._child(self.route_latency, model, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
