"""The auditor's HTML report: Annex IV sections, escaping, offline, and a real browser render."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.governed import as_user
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register
from workbench.reports.audit_report import SECTIONS, offline, render_report, write_report
from workbench.store.audit import list_events

# The report as a browser shows and prints it, for people to look at (git-ignored, as build/ is).
OUTPUT = Path(__file__).resolve().parents[2] / "build" / "test-output"


def _external_urls(text: str) -> list[str]:
    return [u for u in re.findall(r"https?://[^\s\"'<>]+", text) if not u.startswith("http://www.w3.org/")]


def test_report_has_every_annex_iv_section_and_real_numbers(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "Reviewed <b>fairness</b> & drift")
    html = render_report(governed, "admissions:1")
    for section_id, title in SECTIONS:
        assert f'<section id="{section_id}">' in html
        assert f"<h2>{title}</h2>" in html
    assert "approvals 1/2" in html and "pending" in html
    assert "chain verified" in html
    auc = f"{governed_version_auc(governed):.4f}"
    assert auc in html
    assert "reviewer-a" in html


def governed_version_auc(workspace: Workspace) -> float:
    from workbench.registry.versions import get_version

    return float(get_version(workspace, "admissions:1").metrics["auc"])


def test_user_strings_are_escaped(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "<img src=x onerror=alert(1)>")
    html = render_report(governed, "admissions:1")
    assert "<script>alert('x')</script>" not in html
    assert "Admissions &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; triage" in html
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_embedded_evidently_report_is_offline(governed: Workspace, trained_small: object) -> None:
    version = register(
        governed,
        trained_small.booster,  # type: ignore[attr-defined]
        name="admissions",
        train=trained_small.train,  # type: ignore[attr-defined]
        valid=trained_small.valid,  # type: ignore[attr-defined]
        target="admit",
        sensitive=["gender"],
        keys=["applicant_id"],
        options=RegisterOptions(evidently_report=True, explain_rows=100, drift_report_rows=2000),
    )
    html = render_report(governed, version.ref)
    assert 'class="evidently"' in html and "srcdoc=" in html
    assert _external_urls(html) == []
    assert "data:image/png;base64," in html


def test_offline_keeps_xml_namespaces() -> None:
    text = '<svg xmlns="http://www.w3.org/2000/svg"></svg><a href="https://cdn.plot.ly/x">'
    assert offline(text) == '<svg xmlns="http://www.w3.org/2000/svg"></svg><a href="about:invalid#cdn.plot.ly/x">'


def test_write_report_is_atomic_and_audited(governed: Workspace, project_dir: Path) -> None:
    target = write_report(governed, "admissions:1", project_dir / "reports" / "audit.html")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["audit.html"]
    with governed.read() as conn:
        assert list_events(conn)[-1].action == "report.generate"


def test_report_renders_in_headless_chromium(governed: Workspace, project_dir: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Browser render skipped: Debian's chromium is not installed (`make test` installs it).")
    run_checks(governed, "admissions:1")
    target = write_report(governed, "admissions:1", project_dir / "report.html")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / "audit-report.png"
    screenshot.unlink(missing_ok=True)
    profile = project_dir / ".chromium-profile"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            f"--screenshot={screenshot}",
            target.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert screenshot.exists() and screenshot.stat().st_size > 20_000
    pdf = OUTPUT / "audit-report.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            "--no-pdf-header-footer",
            target.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert pdf.read_bytes().startswith(b"%PDF")


def test_scored_data_shows_the_job_and_its_batch_drift_checks(governed: Workspace) -> None:
    from tests.support.scoring import applicants, write
    from workbench.jobs import score

    root = governed.project.root
    write(applicants(2_500, seed=3), root / "data" / "incoming.parquet")
    job = score(governed, "admissions:1", "data/incoming.parquet", "out/incoming.parquet", batch_rows=1_000)

    html = render_report(governed, "admissions:1")

    assert "Drift in scored data" in html and job.id in html
    table = html[html.index("batches over the limit</th>") :]
    row = table[table.index(job.id) :].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[0] == "2500" and cells[5] == "3"  # three batches, each checked against the reference
    assert cells[6] == str(job.stats["batch_drift"]["over_limit"]) == "0"  # like the training data
