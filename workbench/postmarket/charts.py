"""Vega-Lite charts of monitoring, declared once with Altair (as :mod:`workbench.charts`).

- :func:`rates_over_time`: automation, review and override rates per version and window;
- :func:`realized_auc`: realized AUC per version and window;
- :func:`calibration_curve`: mean score against the observed rate per score bin.

Each takes a :class:`~workbench.postmarket.report.MonitoringReport`'s rows and returns a
Vega-Lite v5 specification (a dict) that JupyterLab renders natively.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.charts import MIME_TYPE, WIDTH

__all__ = ["MIME_TYPE", "calibration_curve", "monitoring_chart", "rates_over_time", "realized_auc"]


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


def _rates(windows: Iterable[Mapping[str, Any]]) -> Any:
    alt = _altair()
    rows = _long(windows, ("automation_rate", "review_rate", "override_rate"))
    chart = (
        alt.Chart(alt.Data(values=rows), title="Automation, review and override rates")
        .mark_line(point=True)
        .encode(
            x=alt.X("end:T", title="window end"),
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
            x=alt.X("end:T", title="window end"),
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
