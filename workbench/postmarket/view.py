"""``wb.monitoring(MODEL)``: the report as a polars frame and a chart, shown natively in JupyterLab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.postmarket.charts import MIME_TYPE, monitoring_chart
from workbench.postmarket.report import MonitoringReport, monitoring_report
from workbench.project.workspace import Workspace

__all__ = ["MonitoringView", "monitoring_view"]


@dataclass(frozen=True)
class MonitoringView:
    """``frame``: one row per version and window; ``chart``: a Vega-Lite v5 spec; ``report``: everything."""

    report: MonitoringReport
    frame: pl.DataFrame
    chart: dict[str, Any]

    def __iter__(self) -> Any:  # frame, chart = wb.monitoring("admissions")
        return iter((self.frame, self.chart))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME_TYPE: self.chart, "text/plain": repr(self.frame)}


def monitoring_view(workspace: Workspace, name: str, *, window: str | None = None) -> MonitoringView:
    report = monitoring_report(workspace, name, window=window)
    rows = [w.to_dict() for w in report.windows]
    return MonitoringView(report, report.frame(), monitoring_chart(rows))
