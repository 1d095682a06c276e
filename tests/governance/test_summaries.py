"""The version list's chips: the same verdicts as each version's review state, a page at a time,
cached, and never stale after an approval, a rejection, checks, a promotion, a policy or roles edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.governed import as_user
from tests.support.versions import register_copies
from workbench.governance.aliases import set_alias
from workbench.governance.approvals import approve, reject
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.governance.review import review_state
from workbench.governance.summaries import VersionChips, version_page
from workbench.project.config import load_project
from workbench.project.workspace import Workspace

POLICY_FILE = Path("pipelines") / "admissions" / "policy.yaml"


def chips_of_review(state: dict[str, Any]) -> dict[str, Any]:
    """The chips as the version list computed them before it had a service of its own: from
    each version's full review state (the oracle this module checks the page against)."""
    version, gate = state["version"], state.get("gate") or {}
    required = [check for check in version["checks"] if check.get("required", True)]
    return {
        "name": version["name"],
        "version": version["version"],
        "ref": version["ref"],
        "author": version["author"],
        "created_at": version["created_at"],
        "aliases": list(version["aliases"]),
        "checks_total": len(required),
        "checks_failed": sum(1 for check in required if check["status"] != "pass"),
        "approvals": int(gate.get("approvals", 0)),
        "approvals_required": gate.get("approvals_required"),
        "rejected": any(d["decision"] == "reject" for d in version["decisions"]),
        "promotable": bool(state["actions"]["promote"]["allowed"]),
    }


def chips(workspace: Workspace, alias: str = "production", **page: Any) -> dict[int, dict[str, Any]]:
    return {row.version: row.to_dict() for row in version_page(workspace, "admissions", alias, **page).versions}


def reread(workspace: Workspace) -> Workspace:
    """The same user on the project as its files say now (as the server sees it on each request)."""
    return Workspace(load_project(workspace.project.root), workspace.identity)


@pytest.fixture
def mixed(governed: Workspace) -> Workspace:
    """Six versions in the states the chips tell apart: unchecked (1, 5), checked (2), approved and
    promoted (3), approved and rejected (4), checked under an older policy revision (6)."""
    register_copies(governed, 5)
    a, b = as_user(governed, "reviewer-a"), as_user(governed, "reviewer-b")
    for ref in ("admissions:2", "admissions:3", "admissions:4", "admissions:6"):
        run_checks(governed, ref)
    approve(a, "admissions:3")
    approve(b, "admissions:3")
    approve(a, "admissions:4")
    reject(b, "admissions:4", "the drift looks wrong")
    promote(governed, "admissions:3", "production")
    set_alias(governed, "admissions", "staging", 2)
    policy = governed.project.root / POLICY_FILE
    policy.write_text(policy.read_text() + "# edited after version 6 was checked\n")
    run_checks(governed, "admissions:2")
    run_checks(governed, "admissions:3")
    return governed


@pytest.mark.parametrize("alias", ["production", "staging", "nonexistent"])
def test_chips_match_each_versions_review_state(mixed: Workspace, alias: str) -> None:
    expected = {
        number: chips_of_review(review_state(mixed, f"admissions:{number}", alias).to_dict()) for number in range(1, 7)
    }

    assert chips(mixed, alias) == expected


def test_the_states_differ_as_expected(mixed: Workspace) -> None:
    rows = chips(mixed)

    # 3: checked again under the edited policy; 6: checked before the edit only.
    assert [rows[n]["promotable"] for n in range(1, 7)] == [False, False, True, False, False, False]
    assert rows[3]["aliases"] == ["production"] and rows[2]["aliases"] == ["staging"]
    assert rows[4]["rejected"] and not rows[3]["rejected"]
    assert (rows[3]["approvals"], rows[3]["approvals_required"]) == (2, 2)
    assert rows[1]["checks_total"] == 0 and rows[2]["checks_total"] > 0


def test_pages_continue_where_the_last_one_stopped(mixed: Workspace) -> None:
    first = version_page(mixed, "admissions", limit=4)
    second = version_page(mixed, "admissions", limit=4, before=first.next_before)

    assert [row.version for row in first.versions + second.versions] == [6, 5, 4, 3, 2, 1]
    assert (first.next_before, second.next_before) == (3, None)


def test_a_page_is_served_from_the_cache_until_something_changes(governed: Workspace) -> None:
    first = version_page(governed, "admissions")

    assert version_page(reread(governed), "admissions") is first


def test_checks_show_at_once(governed: Workspace) -> None:
    assert chips(governed)[1]["checks_total"] == 0

    report = run_checks(governed, "admissions:1")

    assert chips(governed)[1]["checks_total"] == len(report.results)


def test_an_approval_and_a_rejection_show_at_once(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    assert chips(governed)[1]["approvals"] == 0

    approve(as_user(governed, "reviewer-a"), "admissions:1")
    assert chips(governed)[1]["approvals"] == 1
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    assert chips(governed)[1]["promotable"] is True

    reject(as_user(governed, "reviewer-c"), "admissions:1", "wrong data")
    assert (chips(governed)[1]["rejected"], chips(governed)[1]["promotable"]) == (True, False)


def test_a_promotion_moves_the_alias_chip(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    assert chips(governed)[1]["aliases"] == []

    promote(governed, "admissions:1", "production")

    assert chips(governed)[1]["aliases"] == ["production"]


def test_a_policy_edit_shows_at_once(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    assert chips(governed)[1]["promotable"] is True
    policy = governed.project.root / POLICY_FILE

    policy.write_text(policy.read_text().replace("required: 2", "required: 3"))
    assert (chips(governed)[1]["approvals_required"], chips(governed)[1]["promotable"]) == (3, False)

    # Any edit is a new policy revision: the checks must run again under it.
    policy.write_text(policy.read_text().replace("required: 3", "required: 2") + "# reviewed\n")
    assert chips(governed)[1]["promotable"] is False
    run_checks(governed, "admissions:1")
    assert chips(governed)[1]["promotable"] is True


def test_a_roles_edit_shows_at_once(governed: Workspace) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1")
    approve(as_user(governed, "reviewer-b"), "admissions:1")
    assert chips(governed)[1]["approvals"] == 2
    config = governed.project.root / "workbench.toml"

    config.write_text(config.read_text().replace('"reviewer-b", ', ""))

    assert (chips(reread(governed))[1]["approvals"], chips(reread(governed))[1]["promotable"]) == (1, False)


def test_without_a_policy_nothing_is_promotable(governed: Workspace) -> None:
    (governed.project.root / POLICY_FILE).unlink()

    row = version_page(governed, "admissions").versions[0]

    assert isinstance(row, VersionChips)
    assert (row.approvals, row.approvals_required, row.promotable) == (0, None, False)
    assert chips_of_review(review_state(governed, "admissions:1").to_dict()) == row.to_dict()
