"""The audit report's "Post-market monitoring" section: SLO table, recorded breaches, realized figures,
overrides and the Vega-Lite charts drawn as static SVG by vl-convert, one offline file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from tests.support.governed import SCORING_POLICY, write_policy
from tests.support.scoring import write_input
from workbench.jobs import score
from workbench.postmarket import add_outcomes
from workbench.postmarket.slo import check_slos
from workbench.project.workspace import Workspace
from workbench.reports.audit_report import render_report


@pytest.fixture
def two_jobs(scoring_ws: Workspace) -> tuple[Workspace, Path]:
    """admissions:1 scores two inputs; the truth of every applicant is in data/truth.parquet."""
    root = scoring_ws.project.root
    frame = pl.read_parquet(write_input(root, n=1_600))
    frame.head(800).write_parquet(root / "data" / "first.parquet")
    frame.slice(800).write_parquet(root / "data" / "second.parquet")
    score(scoring_ws, "admissions:1", "data/first.parquet", "out/first.parquet")
    score(scoring_ws, "admissions:1", "data/second.parquet", "out/second.parquet")
    frame.select("applicant_id", pl.col("admit").alias("enrolled")).write_parquet(root / "data" / "truth.parquet")
    return scoring_ws, root / "data" / "truth.parquet"


def test_the_section_shows_slos_breaches_outcomes_and_charts(two_jobs: tuple[Workspace, Path]) -> None:
    workspace, truth = two_jobs
    write_policy(workspace.project.root, SCORING_POLICY + "  slos: ['realized_auc >= 0.999', 'review_rate <= 0.9']\n")
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    check_slos(workspace, "admissions")
    html = render_report(workspace, "admissions:1")
    section = html[html.index('<section id="monitoring">') : html.index('<section id="audit">')]
    assert "9. Post-market monitoring" in section and "10. Audit trail" in html
    assert re.search(
        r"realized_auc &gt;= 0.999</td><td class=\"num\">0\.\d+</td>\s*<td class=\"fail\">breached", section
    )
    assert re.search(r"review_rate &lt;= 0.9</td><td class=\"num\">0\.\d+</td>\s*<td class=\"pass\">met", section)
    assert "Recorded breaches" in section and "outcome coverage" in section
    assert not re.search(r"(src|href)=\"https?://", section)


SVG = "{http://www.w3.org/2000/svg}"


def _titles(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_charts_are_the_declared_vega_lite_ones_drawn_offline(two_jobs: tuple[Workspace, Path]) -> None:
    workspace, truth = two_jobs
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    html = render_report(workspace, "admissions:1")
    section = html[html.index('<section id="monitoring">') : html.index('<section id="audit">')]
    svgs = re.findall(r"<svg .*?</svg>", section, flags=re.S)
    titles = [_titles(svg) for svg in svgs]  # each one well-formed XML
    # vl-convert's SVG: Vega's scenegraph classes, one picture per chart declared in postmarket/charts.py
    assert all('class="marks"' in svg.split(">", 1)[0] for svg in svgs)
    for title in (
        "Automation, review and override rates",
        "Realized AUC",
        "Calibration (reliability bins)",
        "Score distribution per job",
        "Selection rate (automatic accepts) per group",
        "Batch latency",
        "Drift share",
    ):
        assert sum(title in texts for texts in titles) == 1, title
    assert any("gender=" in text for texts in titles for text in texts)
    scores = next(texts for texts in titles if "Score distribution per job" in texts)
    assert sum(text.startswith("v1 ") for text in scores) == 2  # one histogram per job in the legend
    assert {"p50", "p95", "p99"} <= {text for texts in titles for text in texts}
    # No external address anywhere in the report (XML namespaces are names, never fetched), no script in a chart.
    assert re.findall(r"https?://(?!www\.w3\.org/)", html) == []
    assert not any("<script" in svg or "xlink:href" in svg for svg in svgs)
    ids = Counter(re.findall(r'\bid="([^"]+)"', section))
    assert [i for i, n in ids.items() if n > 1] == []  # several inline SVGs must not share an id


def test_without_jobs_the_section_says_so(governed: Workspace) -> None:
    html = render_report(governed, "admissions:1")
    section = html[html.index('<section id="monitoring">') : html.index('<section id="audit">')]
    assert "declares no service levels" in section and "No decisions of this version" in section
    assert "<svg" not in section
