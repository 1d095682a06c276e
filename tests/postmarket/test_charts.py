"""Monitoring charts: the spec ``wb.monitoring`` returns is valid against the Vega-Lite v5 JSON schema
Altair ships (checked directly, not through Altair) and is drawn to SVG offline by vl-convert."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workbench.charts import score_distribution, to_svg, validate_spec
from workbench.core.errors import ValidationError
from workbench.postmarket import add_outcomes
from workbench.postmarket.view import monitoring_view
from workbench.project.workspace import Workspace

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_monitoring_chart_is_valid_vega_lite_and_draws_offline(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    chart = monitoring_view(workspace, "admissions", window="30d").chart
    assert chart["$schema"] == "https://vega.github.io/schema/vega-lite/v5.20.1.json"
    assert len(chart["vconcat"]) == 3  # rates, realized AUC, calibration: outcomes exist
    validate_spec(chart)
    svg = to_svg(chart)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and float(root.attrib["width"]) > 400
    texts = _texts(svg)
    for title in ("Automation, review and override rates", "Realized AUC", "Calibration (reliability bins)"):
        assert title in texts
    assert {"v1", "v2"} <= set(texts)  # both versions in the legend
    assert "http://" not in svg.replace("http://www.w3.org/", "")  # nothing linked from outside


def test_a_chart_without_outcomes_is_the_rates_alone(two_versions: tuple[Workspace, Path]) -> None:
    workspace, _ = two_versions
    chart = monitoring_view(workspace, "admissions", window="job").chart
    assert "vconcat" not in chart and chart["title"] == "Automation, review and override rates"
    validate_spec(chart)
    assert "Automation, review and override rates" in _texts(to_svg(chart))


def test_a_broken_spec_is_refused_with_the_place_named() -> None:
    spec = score_distribution({"job 1": [{"bin_start": 0.0, "bin_end": 0.5, "count": 3}]})
    validate_spec(spec)
    spec["mark"] = {"type": "bar", "opacity": "half"}
    with pytest.raises(ValidationError, match=r"specification:\nmark/opacity: 'half' is not of type 'number'"):
        validate_spec(spec)


def test_drawing_never_fetches_data() -> None:
    spec = {"data": {"url": "https://example.org/rows.csv"}, "mark": "point"}
    with pytest.raises(ValueError, match="External data url not allowed"):
        to_svg(spec)
