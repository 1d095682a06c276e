"""The review widget headlessly: its state mirrors the services and its buttons call them."""

from __future__ import annotations

from tests.governed import as_user
from workbench.governance.checks import run_checks
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.widgets.review import ReviewPanel


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
