"""The review widget headlessly: its state mirrors the services and its buttons call them."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.governed import SCORING_POLICY, as_user, write_policy
from tests.support.scoring import write_input
from workbench.governance.checks import run_checks
from workbench.jobs import score
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.audit import list_events
from workbench.widgets.review import ReviewPanel, drift_report_url, server_base_url


def test_buttons_are_disabled_with_the_reason(governed: Workspace) -> None:
    panel = ReviewPanel(governed, "admissions:1")
    assert panel.approve_button.disabled and "author of admissions:1" in panel.approve_button.tooltip
    assert panel.promote_button.disabled and "checks have not been run" in panel.promote_button.tooltip
    assert "No checks yet" in panel.checks.value
    assert "&lt;script&gt;" in panel.header.value


def test_approve_reject_promote_through_the_buttons(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    for reviewer in ("reviewer-a", "reviewer-b"):
        panel = ReviewPanel(as_user(governed, reviewer), "admissions:1")
        assert not panel.approve_button.disabled
        panel.comment.value = f"{reviewer} approves"
        panel.approve_button.click()
        assert "Approved." in panel.status.value
        assert panel.approve_button.disabled and "already decided" in panel.approve_button.tooltip
    assert [d["actor"] for d in get_version(governed, "admissions:1").decisions] == ["reviewer-a", "reviewer-b"]
    assert not panel.promote_button.disabled
    panel.promote_button.click()
    assert "Promoted to production." in panel.status.value
    assert get_version(governed, "admissions@production").version == 1
    assert "approvals 2/2" in panel.header.value.lower()


def test_reject_without_comment_shows_the_error(governed: Workspace) -> None:
    panel = ReviewPanel(as_user(governed, "reviewer-c"), "admissions:1")
    panel.reject_button.click()
    assert "needs a comment" in panel.status.value
    panel.comment.value = "not convinced"
    panel.reject_button.click()
    assert get_version(governed, "admissions:1").decisions[0]["decision"] == "reject"


def test_the_service_levels_show_as_chips_and_evaluating_records_nothing(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_policy(
        root,
        SCORING_POLICY + "  slos: ['min_rows_per_second >= 1e12', 'review_rate <= 1', 'realized_auc >= 0.8']\n",
    )
    assert "realized_auc &gt;= 0.8: no data" in ReviewPanel(scoring_ws, "admissions:1").slos.value  # nothing scored
    score(scoring_ws, "admissions:1", write_input(root, n=400), "out/scores.parquet")
    with scoring_ws.read() as conn:
        before = len(list_events(conn))

    chips = ReviewPanel(scoring_ws, "admissions:1").slos.value

    assert re.search(r'wb-slo-breached"[^>]*>min_rows_per_second &gt;= 1e\+?12: breached \(\d', chips)
    assert re.search(r'wb-slo-met"[^>]*>review_rate &lt;= 1: met \(', chips)
    assert 'wb-slo-no_data"' in chips and "realized_auc &gt;= 0.8: no data<" in chips  # no outcomes yet
    with scoring_ws.read() as conn:
        assert len(list_events(conn)) == before  # looking is not checking: no slo.breach recorded


def test_without_service_levels_the_panel_says_so(governed: Workspace) -> None:
    assert "declares none" in ReviewPanel(governed, "admissions:1").slos.value


def test_the_drift_report_link_points_at_the_servers_endpoint(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel finds its server's base URL in the runtime file of its parent process.
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("JPY_PARENT_PID", "4242")
    (tmp_path / "jpserver-4242.json").write_text(json.dumps({"base_url": "/lab-base/"}))

    assert drift_report_url("admissions", 1) == "/lab-base/workbench/api/models/admissions/versions/1/drift-report"


def test_the_server_base_url_comes_from_the_hub_or_falls_back_to_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ana")
    assert server_base_url() == "/user/ana/"
    assert drift_report_url("a b", 2) == "/user/ana/workbench/api/models/a%20b/versions/2/drift-report"
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    assert server_base_url() == "/"
