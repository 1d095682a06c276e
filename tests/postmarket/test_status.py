"""The Monitoring panel's charts (:func:`workbench.postmarket.status.monitoring_charts`): a spec for what
the rows hold, None for what they do not (the server test checks them on a real report)."""

from __future__ import annotations

from typing import Any

from workbench.charts import validate_spec
from workbench.postmarket.status import monitoring_charts


def _row(**figures: Any) -> dict[str, Any]:
    base = {"version": 1, "window": "30d", "end": "2026-12-01T00:00:00+00:00", "reliability": []}
    return {**base, "automation_rate": 0.6, "review_rate": 0.4, "override_rate": None, "auc": None, **figures}


def test_no_rows_no_charts() -> None:
    assert monitoring_charts([]) == {"rates": None, "auc": None, "calibration": None}


def test_without_outcomes_only_the_rates() -> None:
    charts = monitoring_charts([_row(), _row(version=2)])
    assert charts["auc"] is None and charts["calibration"] is None
    rates = charts["rates"]
    assert rates is not None
    validate_spec(rates)
    assert {(r["version"], r["metric"]) for r in rates["data"]["values"]} == {
        (v, m) for v in ("v1", "v2") for m in ("automation_rate", "review_rate")
    }


def test_with_outcomes_the_auc_and_the_calibration_curve() -> None:
    bins = [{"bin": 0, "mean_score": 0.2, "observed_rate": 0.25, "rows": 40}]
    charts = monitoring_charts([_row(auc=0.81, reliability=bins)])
    for spec in charts.values():
        assert spec is not None
        validate_spec(spec)
    auc, calibration = charts["auc"], charts["calibration"]
    assert auc is not None and calibration is not None
    assert [r["value"] for r in auc["data"]["values"]] == [0.81]
    assert calibration["layer"][1]["data"]["values"] == [{**bins[0], "version": "v1", "window": "30d"}]
