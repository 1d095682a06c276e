"""The whole promotion gate, through the services the CLI, widget and server share."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.governed import as_user
from workbench.core.errors import Conflict, NotFound, PermissionDenied, PolicyError, PromotionBlocked, ValidationError
from workbench.governance.aliases import set_alias
from workbench.governance.approvals import approve, reject
from workbench.governance.checks import run_checks
from workbench.governance.gate import gate_status, promote
from workbench.project.workspace import Workspace
from workbench.registry.aliases import alias_history_of
from workbench.registry.versions import get_version
from workbench.store.audit import list_events


def test_checks_are_stored_with_the_policy_hash(governed: Workspace) -> None:
    report = run_checks(governed, "admissions:1")
    assert report.passed, [r.message for r in report.failures]
    assert {r.check.split(":")[0] for r in report.results} == {"metric", "fairness", "drift", "contract"}
    stored = get_version(governed, "admissions:1").checks
    assert len(stored) == len(report.results) and {c["policy_hash"] for c in stored} == {report.policy_hash}


def test_author_may_not_approve_their_own_version(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    with pytest.raises(PermissionDenied, match="author of admissions:1"):
        approve(governed, "admissions:1")


def test_a_non_approver_is_refused(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    with pytest.raises(PermissionDenied, match="mallory is not an approver"):
        approve(as_user(governed, "mallory"), "admissions:1")


def test_approval_needs_checks_under_the_current_policy(governed: Workspace) -> None:
    with pytest.raises(PermissionDenied, match="run `workbench check admissions:1` first"):
        approve(as_user(governed, "reviewer-a"), "admissions:1")


def test_one_approval_is_not_enough_when_two_are_required(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "looks fine")
    with pytest.raises(PromotionBlocked) as blocked:
        promote(as_user(governed, "reviewer-a"), "admissions:1")
    assert blocked.value.details == ["needs 2 approvals from allowed approvers, has 1"]


def test_a_user_decides_once(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    reviewer = as_user(governed, "reviewer-a")
    approve(reviewer, "admissions:1")
    with pytest.raises(Conflict, match="already decided"):
        approve(reviewer, "admissions:1")


def test_a_rejection_blocks_and_needs_a_comment(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    with pytest.raises(ValidationError, match="needs a comment"):
        reject(as_user(governed, "reviewer-c"), "admissions:1", "")
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    reject(as_user(governed, "reviewer-c"), "admissions:1", "calibration is off for first-generation applicants")
    with pytest.raises(PromotionBlocked) as blocked:
        promote(governed, "admissions:1")
    assert blocked.value.details == ["rejected by reviewer-c: calibration is off for first-generation applicants"]


def test_a_failing_check_blocks_even_with_approvals(governed: Workspace, project_dir: Path) -> None:
    policy = project_dir / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text().replace("auc >= 0.6", "auc >= 0.999"))
    report = run_checks(governed, "admissions:1")
    assert not report.passed
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    with pytest.raises(PromotionBlocked) as blocked:
        promote(governed, "admissions:1")
    assert len(blocked.value.details) == 1 and "auc >= 0.999" in blocked.value.details[0]


def test_a_policy_change_after_approval_requires_rechecking(governed: Workspace, project_dir: Path) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    assert gate_status(governed, "admissions:1").allowed
    policy = project_dir / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text().replace("auc >= 0.6", "auc >= 0.61"))
    with pytest.raises(PromotionBlocked) as blocked:
        promote(governed, "admissions:1")
    assert "checks have not been run under the current policy" in blocked.value.details[0]
    run_checks(governed, "admissions:1")
    promote(governed, "admissions:1")


def test_successful_promotion_moves_the_alias_and_is_audited(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "ok")
    approve(as_user(governed, "reviewer-b"), "admissions:1", "ok too")
    move = promote(as_user(governed, "reviewer-b"), "admissions:1", "production")
    assert (move.from_version, move.to_version, move.actor) == (None, 1, "reviewer-b")
    assert get_version(governed, "admissions@production").version == 1
    with governed.read() as conn:
        actions = [e.action for e in list_events(conn)]
    assert actions[-5:] == ["model.register", "model.check", "model.approve", "model.approve", "model.promote"]
    assert governed.verify_audit().ok
    history = alias_history_of(governed, "admissions")
    assert history[0].alias == "production" and history[0].actor == "reviewer-b"


def test_rollback_goes_through_the_same_gate(governed: Workspace, trained_small: object) -> None:
    from workbench.registry.register import RegisterOptions, register

    for ref in ("admissions:1",):
        run_checks(governed, ref)
        approve(as_user(governed, "reviewer-a"), ref)
        approve(as_user(governed, "reviewer-b"), ref)
        promote(governed, ref)
    register(
        governed,
        trained_small.booster,
        name="admissions",
        train=trained_small.train,
        valid=trained_small.valid,  # type: ignore[attr-defined]
        target="admit",
        sensitive=["gender"],
        keys=["applicant_id"],
        options=RegisterOptions(evidently_report=False, explain_rows=100),
    )
    with pytest.raises(PromotionBlocked):
        promote(governed, "admissions:2")
    run_checks(governed, "admissions:2")
    approve(as_user(governed, "reviewer-a"), "admissions:2")
    approve(as_user(governed, "reviewer-b"), "admissions:2")
    promote(governed, "admissions:2")
    rollback = promote(governed, "admissions:1", reason="rollback after incident 42")
    assert (rollback.from_version, rollback.to_version) == (2, 1)
    assert governed.verify_audit().ok


def test_no_other_path_moves_a_protected_alias(governed: Workspace) -> None:
    with pytest.raises(PermissionDenied, match="only the promotion gate moves it"):
        set_alias(governed, "admissions", "production", 1)
    assert set_alias(governed, "admissions", "candidate", 1).to_version == 1


def test_alias_typo_suggests_the_close_match(governed: Workspace) -> None:
    with pytest.raises(ValidationError, match="Did you mean 'production'"):
        promote(governed, "admissions:1", "prodution")


def test_approving_a_nonexistent_version(governed: Workspace) -> None:
    with pytest.raises(NotFound, match="no version 9"):
        approve(as_user(governed, "reviewer-a"), "admissions:9")


def test_threshold_on_a_missing_sensitive_column_changes_nothing(governed: Workspace, project_dir: Path) -> None:
    policy = project_dir / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text().replace("    gender:", "    ethnicity:"))
    with governed.read() as conn:
        before = len(list_events(conn))
    with pytest.raises(PolicyError, match="has no sensitive column 'ethnicity'"):
        run_checks(governed, "admissions:1")
    with governed.read() as conn:
        assert len(list_events(conn)) == before
    assert get_version(governed, "admissions:1").checks == ()


def test_editing_an_approval_row_breaks_the_chain_and_the_report_says_so(
    governed: Workspace, project_dir: Path
) -> None:
    from workbench.reports.audit_report import render_report

    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "fine")
    with sqlite3.connect(project_dir / ".workbench" / "workbench.db") as conn:
        seq = conn.execute("SELECT seq FROM audit_events WHERE action = 'model.approve'").fetchone()[0]
        conn.execute("UPDATE audit_events SET actor = 'reviewer-z' WHERE seq = ?", (seq,))
    report = governed.verify_audit()
    assert not report.ok and report.broken_at == seq
    assert f"broken at seq {seq}" in render_report(governed, "admissions:1")
