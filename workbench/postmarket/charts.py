"""Vega-Lite charts of monitoring, declared once with Altair (as :mod:`workbench.charts`).

- :func:`rates_over_time`: automation, review and override rates per version and window;
- :func:`realized_auc`: realized AUC per version and window;
- :func:`calibration_curve`: mean score against the observed rate per score bin;
- :func:`drift_share_over_time`: each window's drift share against the policy's limit;
- :func:`latency_over_time`: per-batch latency p50/p95/p99 per window;
- :func:`selection_rate_over_time`: the share of automatic accepts per sensitive group.

Each takes a :class:`~workbench.postmarket.report.MonitoringReport`'s rows (``selection_rate_over_time``
rows of ``end``, ``version``, ``group``, ``rate``) and returns a Vega-Lite v5 specification (a dict) that
JupyterLab renders natively and the audit report draws as static SVG (:func:`workbench.charts.to_svg`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.charts import MIME_TYPE, WIDTH

#: Window ends as dates: with one window Vega would otherwise tick in milliseconds (".793").
_TIME_AXIS = {"format": "%b %d %H:%M", "labelAngle": 0}

__all__ = [
    "MIME_TYPE",
    "calibration_curve",
    "drift_share_over_time",
    "latency_over_time",
    "monitoring_chart",
    "rates_over_time",
    "realized_auc",
    "selection_rate_over_time",
]


def _altair() -> Any:
    import altair

    return altair


def _long(windows: Iterable[Mapping[str, Any]], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"version": f"v{w['version']}", "window": w["window"], "end": w.get("end"), "metric": m, "value": w[m]}
        for w in windows
        for m in metrics
        if w.get(m) is not None
    ]


def rates_over_time(windows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return _rates(windows).to_dict()


def realized_auc(windows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return _auc(windows).to_dict()


def calibration_curve(windows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return _calibration(windows).to_dict()


def drift_share_over_time(windows: Iterable[Mapping[str, Any]], limit: float | None = None) -> dict[str, Any]:
    """Drift share per window, coloured by version, with the policy's ``drift_share_limit`` as a dashed rule."""
    alt = _altair()
    line = _over_time(alt, _long(windows, ("drift_share",)), "Drift share", "drift share", "version:N", [0, 1])
    if limit is None:
        return line.properties(width=WIDTH).to_dict()
    rule = (
        alt.Chart(alt.Data(values=[{"limit": float(limit)}]))
        .mark_rule(strokeDash=[4, 3], color="black")
        .encode(y="limit:Q", tooltip=[alt.Tooltip("limit:Q", title="drift share limit")])
    )
    return alt.layer(line, rule).properties(width=WIDTH).to_dict()


def latency_over_time(windows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-batch latency percentiles per window (ms), one line per percentile."""
    alt = _altair()
    rows = [
        {**row, "metric": row["metric"].removesuffix("_batch_latency_ms")}
        for row in _long(windows, ("p50_batch_latency_ms", "p95_batch_latency_ms", "p99_batch_latency_ms"))
    ]
    return _over_time(alt, rows, "Batch latency", "ms", "metric:N", None).properties(width=WIDTH).to_dict()


def selection_rate_over_time(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of automatic accepts per sensitive group per window (``group`` reads ``column=value``)."""
    alt = _altair()
    values = [{**row, "metric": row["group"], "value": row["rate"]} for row in rows if row.get("rate") is not None]
    chart = _over_time(alt, values, "Selection rate (automatic accepts) per group", "rate", "metric:N", [0, 1])
    return chart.properties(width=WIDTH).to_dict()


def _over_time(alt: Any, rows: list[dict[str, Any]], title: str, y_title: str, color: str, domain: Any) -> Any:
    scale = alt.Scale(domain=domain) if domain else alt.Undefined
    return (
        alt.Chart(alt.Data(values=rows), title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("end:T", title="window end", axis=_TIME_AXIS),
            y=alt.Y("value:Q", title=y_title, scale=scale),
            color=alt.Color(color, title=None),
            tooltip=["version:N", "window:N", "metric:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )


def _rates(windows: Iterable[Mapping[str, Any]]) -> Any:
    alt = _altair()
    rows = _long(windows, ("automation_rate", "review_rate", "override_rate"))
    chart = (
        alt.Chart(alt.Data(values=rows), title="Automation, review and override rates")
        .mark_line(point=True)
        .encode(
            x=alt.X("end:T", title="window end", axis=_TIME_AXIS),
            y=alt.Y("value:Q", title="rate", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N"),
            strokeDash=alt.StrokeDash("version:N"),
            tooltip=["version:N", "window:N", "metric:N", alt.Tooltip("value:Q", format=".1%")],
        )
    )
    return chart.properties(width=WIDTH)


def _auc(windows: Iterable[Mapping[str, Any]]) -> Any:
    alt = _altair()
    rows = _long(windows, ("auc",))
    chart = (
        alt.Chart(alt.Data(values=rows), title="Realized AUC")
        .mark_line(point=True)
        .encode(
            x=alt.X("end:T", title="window end", axis=_TIME_AXIS),
            y=alt.Y("value:Q", title="AUC", scale=alt.Scale(domain=[0.5, 1])),
            color=alt.Color("version:N"),
            tooltip=["version:N", "window:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    return chart.properties(width=WIDTH)


def _calibration(windows: Iterable[Mapping[str, Any]]) -> Any:
    alt = _altair()
    rows = [{**b, "version": f"v{w['version']}", "window": w["window"]} for w in windows for b in w["reliability"]]
    diagonal = alt.Chart(alt.Data(values=[{"x": 0, "y": 0}, {"x": 1, "y": 1}])).mark_line(
        strokeDash=[4, 4], color="gray"
    )
    curve = (
        alt.Chart(alt.Data(values=rows), title="Calibration (reliability bins)")
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_score:Q", title="mean score", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed_rate:Q", title="observed rate", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("version:N"),
            tooltip=["version:N", "window:N", "bin:N", "rows:Q", "observed_rate:Q"],
        )
    )
    return alt.layer(diagonal.encode(x="x:Q", y="y:Q"), curve).properties(width=WIDTH)


def monitoring_chart(windows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The rates, the realized AUC and the calibration curve side by side in one spec."""
    alt = _altair()
    rows = list(windows)
    parts = [_rates(rows)]
    if any(w.get("auc") is not None for w in rows):
        parts += [_auc(rows), _calibration(rows)]
    return alt.vconcat(*parts).to_dict() if len(parts) > 1 else parts[0].to_dict()
