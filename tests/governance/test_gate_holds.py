"""The gate holds against its own internals and against edited rows.

Only the gate moves ``production``: every public function that moves an alias is called
with it, and the source is scanned for anything else that writes alias rows. The gate
refuses while the rows it reads differ from the chain, counts an approval only for the
bytes it was given for, and records the policy and roster it judged under.
"""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

import workbench
from tests.support.governed import as_user
from workbench.core.errors import AuditChainBroken, PermissionDenied, PromotionBlocked
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import gate_verdict, move_unprotected, promote
from workbench.governance.policy import find_policy
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.audit import list_events

PACKAGE = Path(workbench.__file__).parent


def approved(governed: Workspace) -> Workspace:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "ok")
    approve(as_user(governed, "reviewer-b"), "admissions:1", "ok too")
    return governed


def test_only_the_gate_module_writes_alias_rows() -> None:
    writers, movers = set(), set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("insert", "update", "delete")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("aliases", "alias_history")
            ):
                writers.add(path.relative_to(PACKAGE).as_posix())
            if isinstance(node, ast.Name) and node.id == "_move_alias":
                movers.add(path.relative_to(PACKAGE).as_posix())
    assert writers == {"governance/gate.py"} and movers == {"governance/gate.py"}


def test_every_public_alias_mover_refuses_production(governed: Workspace) -> None:
    import workbench as wb
    from workbench.governance.aliases import set_alias

    approved(governed)
    with pytest.raises(PermissionDenied, match="only the promotion gate moves it"):
        set_alias(governed, "admissions", "production", 1)
    with pytest.raises(PermissionDenied, match="only the promotion gate moves it"):
        wb.set_alias("admissions", "production", 1)
    with pytest.raises(PermissionDenied, match="only the promotion gate moves it"), governed.transaction() as tx:
        move_unprotected(governed, tx, "admissions", "production", 1, reason="sneaky")
    with governed.read() as conn:
        assert [e for e in list_events(conn) if e.subject == "model:admissions@production"] == []
    promote(as_user(governed, "reviewer-b"), "admissions:1", "production")
    assert get_version(governed, "admissions@production").version == 1


def test_the_promotion_records_the_policy_and_roster(governed: Workspace) -> None:
    approved(governed)
    promote(as_user(governed, "reviewer-b"), "admissions:1", "production")
    with governed.read() as conn:
        [event] = list_events(conn, action="model.promote")
    policy = find_policy(governed.project, "admissions")
    assert event.payload["policy_hash"] == policy.sha256 and event.payload["approvals"] == 2
    assert event.payload["roster_hash"] is None and event.payload["identity_mode"] == "open"
    assert event.payload["digests"] == get_version(governed, "admissions:1").digests


def test_the_gate_refuses_rows_that_differ_from_the_chain(governed: Workspace, project_dir: Path) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "ok")
    with sqlite3.connect(project_dir / ".workbench" / "workbench.db") as conn:
        conn.execute(
            "INSERT INTO decisions (name, version, actor, roles, decision, comment, policy_hash, digests, time) "
            "SELECT name, version, 'reviewer-b', roles, decision, comment, policy_hash, digests, time "
            "FROM decisions WHERE actor = 'reviewer-a'"
        )
    with pytest.raises(AuditChainBroken, match="differ from the audit chain") as raised:
        promote(as_user(governed, "reviewer-b"), "admissions:1", "production")
    assert "no approval or rejection event records it" in raised.value.details[0]
    with pytest.raises(PromotionBlocked):  # a real second approval is still needed once the row is gone
        with sqlite3.connect(project_dir / ".workbench" / "workbench.db") as conn:
            conn.execute("DELETE FROM decisions WHERE actor = 'reviewer-b'")
        promote(as_user(governed, "reviewer-b"), "admissions:1", "production")


def test_an_approval_counts_only_for_the_bytes_it_was_given_for(governed: Workspace) -> None:
    policy = find_policy(governed.project, "admissions")
    now = {"model": "sha256:new"}
    decided = [
        {"actor": "reviewer-a", "decision": "approve", "comment": "", "digests": now},
        {"actor": "reviewer-b", "decision": "approve", "comment": "", "digests": {"model": "sha256:old"}},
    ]
    approvals, unmet = gate_verdict(
        "admissions:1", "analyst@example.org", decided, policy, governed.project, roster=None,
        checks_current=True, check_failures=[], digests=now,
    )  # fmt: skip
    assert approvals == 1
    assert any("approval by reviewer-b was given for other artifacts" in u for u in unmet)
