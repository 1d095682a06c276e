"""The audit report's "Post-market monitoring" section: SLO table, recorded breaches, realized figures,
overrides and inline SVG charts (drift, selection rate per group, latency), one offline file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
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
from workbench.reports.svg import line_chart


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
    svgs = re.findall(r"<svg .*?</svg>", section, flags=re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)  # well-formed XML
    assert "Drift share per job" in svgs[0] and "gender=" in svgs[1] and ">p99<" in svgs[2]
    assert not re.search(r"(src|href)=\"https?://", section)


def test_without_jobs_the_section_says_so(governed: Workspace) -> None:
    html = render_report(governed, "admissions:1")
    section = html[html.index('<section id="monitoring">') : html.index('<section id="audit">')]
    assert "declares no service levels" in section and "No decisions of this version" in section
    assert "<svg" not in section


def test_chart_text_is_escaped() -> None:
    svg = line_chart("<b>t</b>", ["a&b", "c"], {"<script>": [0.1, None]})
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    ET.fromstring(svg)
    assert "no data yet" in line_chart("empty", [], {})
