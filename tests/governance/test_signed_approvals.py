"""In a project with a roster, a decision is a statement signed with the decider's own key.

The review's attack: ``WORKBENCH_USER=reviewer-a workbench approve ...`` then ``...reviewer-b...``
let one person approve twice. Here the name comes from the key, so the second approval is the
same person deciding again; without a roster key nothing is recorded; a statement for other
bytes, another version, or by another key does not count; the server signs nothing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.governed import as_user
from tests.support.keyed import make_keyed
from workbench.core.errors import ConfigError, Conflict, PermissionDenied, PromotionBlocked
from workbench.core.statements import SignedStatement
from workbench.governance.approvals import approve, decide, reject
from workbench.governance.checks import run_checks
from workbench.governance.gate import gate_status, gate_verdict, promote
from workbench.governance.policy import find_policy
from workbench.project.keys import SigningKey
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.engine import _cache


@pytest.fixture
def keyed(governed: Workspace, tmp_path: Path) -> tuple[Workspace, dict[str, SigningKey]]:
    """The governed project with a roster: reviewer-a and reviewer-b approve, the analyst authors."""
    workspace, keys = make_keyed(
        governed, tmp_path / "keys", {"reviewer-a": ["approver"], "reviewer-b": ["approver"]}, extra_keys=("eve",)
    )
    run_checks(workspace, "admissions:1")
    return workspace, keys


def test_the_key_not_the_claimed_name_decides(
    keyed: tuple[Workspace, dict[str, SigningKey]], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, keys = keyed
    monkeypatch.setenv("WORKBENCH_KEY", str(keys["reviewer-a"].path))
    decision = approve(as_user(workspace, "reviewer-b"), "admissions:1", "claims to be b")
    assert decision.actor == "reviewer-a"
    with pytest.raises(Conflict, match="reviewer-a has already decided"):
        approve(as_user(workspace, "reviewer-c"), "admissions:1", "claims to be c")
    with pytest.raises(PromotionBlocked, match="condition"):
        promote(workspace, "admissions:1")
    assert gate_status(workspace, "admissions:1").approvals == 1
    approve(workspace, "admissions:1", "the real b", key=keys["reviewer-b"])
    move = promote(workspace, "admissions:1")
    assert move.to_version == 1
    [first, second] = get_version(workspace, "admissions:1").decisions
    assert first["statement"]["statement"]["signer"] == "reviewer-a"
    assert SignedStatement.from_dict(second["statement"]).statement.claims["comment"] == "the real b"
    assert workspace.verify_state().ok


def test_without_a_roster_key_nothing_is_recorded(
    keyed: tuple[Workspace, dict[str, SigningKey]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workspace, keys = keyed
    monkeypatch.setenv("WORKBENCH_KEY", str(tmp_path / "no-such-key"))
    with pytest.raises(ConfigError, match="No signing key"):
        approve(as_user(workspace, "reviewer-a"), "admissions:1")
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        approve(as_user(workspace, "reviewer-a"), "admissions:1", key=keys["eve"])
    with pytest.raises(PermissionDenied, match="the server signs nothing"):
        decide(as_user(workspace, "reviewer-a"), "admissions:1", "approve", may_load_key=False)
    assert get_version(workspace, "admissions:1").decisions == ()


def test_forged_replayed_and_unsigned_statements_do_not_count(
    keyed: tuple[Workspace, dict[str, SigningKey]],
) -> None:
    workspace, keys = keyed
    approve(workspace, "admissions:1", "ok", key=keys["reviewer-a"])
    reject(workspace, "admissions:1", "second thoughts", key=keys["reviewer-b"])
    version = get_version(workspace, "admissions:1")
    signed = version.decisions[0]["statement"]
    policy = find_policy(workspace.project, "admissions")
    roster = workspace.project.config.roster  # adopted as it stands (make_keyed)

    def counted(decided: list[dict]) -> tuple[int, tuple[str, ...]]:
        return gate_verdict(
            "admissions:1", version.author, decided, policy, workspace.project, roster=roster,
            checks_current=True, check_failures=[], digests=version.digests,
        )  # fmt: skip

    base = {"actor": "reviewer-b", "decision": "approve", "comment": "", "digests": version.digests}
    # a's valid statement relabelled as b's approval
    assert counted([{**base, "statement": signed}])[0] == 0
    # an unsigned approval
    approvals, unmet = counted([{**base, "statement": None}])
    assert approvals == 0 and "is not signed" in unmet[-2]
    # signed by a key outside the roster, naming reviewer-b
    forged = keys["eve"].sign(SignedStatement.from_dict(signed).statement.__class__(
        **{**SignedStatement.from_dict(signed).statement.to_dict(), "signer": "reviewer-b"}
    )).to_dict()  # fmt: skip
    assert counted([{**base, "statement": forged}])[0] == 0
    # a's statement replayed for other bytes (another version's digests)
    other = {"model": "sha256:" + "9" * 64}
    approvals, unmet = gate_verdict(
        "admissions:1", version.author, [{**base, "actor": "reviewer-a", "statement": signed}], policy,
        workspace.project, roster=roster, checks_current=True, check_failures=[], digests=other,
    )  # fmt: skip
    assert approvals == 0 and any("another version or other bytes" in u for u in unmet)
    # the genuine statement counts
    assert counted([{**base, "actor": "reviewer-a", "statement": signed}])[0] == 1


def test_an_edited_signed_statement_in_the_database_is_named(
    keyed: tuple[Workspace, dict[str, SigningKey]],
) -> None:
    workspace, keys = keyed
    approve(workspace, "admissions:1", "ok", key=keys["reviewer-a"])
    db = workspace.project.root / ".workbench" / "workbench.db"
    with sqlite3.connect(db) as conn:
        (text,) = conn.execute("SELECT statement FROM decisions").fetchone()
        data = json.loads(text)
        data["statement"]["claims"]["comment"] = "edited"
        conn.execute("UPDATE decisions SET statement = ?", (json.dumps(data),))
    _cache.clear()
    report = workspace.verify_state("admissions")
    assert any("signed statement differ from the chain" in str(p) for p in report.problems)


def test_a_promotion_is_signed_and_checkpointed(
    keyed: tuple[Workspace, dict[str, SigningKey]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from workbench.project.checkpoints import read_checkpoints, verify_checkpoints
    from workbench.store.audit import list_events

    workspace, keys = keyed
    approve(workspace, "admissions:1", "ok", key=keys["reviewer-a"])
    approve(workspace, "admissions:1", "ok", key=keys["reviewer-b"])
    monkeypatch.setenv("WORKBENCH_KEY", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="No signing key"):
        promote(workspace, "admissions:1")
    with pytest.raises(PermissionDenied, match="signs nothing"):
        promote(workspace, "admissions:1", may_load_key=False)
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        promote(workspace, "admissions:1", key=keys["eve"])
    move = promote(as_user(workspace, "someone"), "admissions:1", key=keys["reviewer-b"])
    assert move.actor == "reviewer-b"
    with workspace.read() as conn:
        [event] = list_events(conn, action="model.promote")
        anchors = verify_checkpoints(workspace.project, conn)
    signed = SignedStatement.from_dict(event.payload["statement"])
    assert workspace.project.config.roster.verified_signer(signed).name == "reviewer-b"
    assert signed.statement.claims["version"] == "admissions:1" and event.actor == "reviewer-b"
    *adoptions, checkpoint = read_checkpoints(workspace.project)  # the adoptions were checkpointed too
    assert checkpoint.statement.claims["seq"] == event.seq and checkpoint.statement.signer == "reviewer-b"
    assert len(adoptions) == 2 and anchors.ok


def test_the_review_state_says_who_would_sign_and_why_not(
    keyed: tuple[Workspace, dict[str, SigningKey]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from workbench.governance.review import review_state

    workspace, keys = keyed
    monkeypatch.setenv("WORKBENCH_KEY", str(keys["reviewer-a"].path))
    state = review_state(as_user(workspace, "not-on-the-roster"), "admissions:1")
    assert state.user == "reviewer-a" and state.can_approve and state.approve_reason == ""
    # the server signs nothing: it offers the act, and the panel runs it in the user's kernel
    server = review_state(as_user(workspace, "reviewer-a"), "admissions:1", may_load_key=False)
    assert server.signing == "kernel" and server.can_approve and state.signing == "key"
    monkeypatch.setenv("WORKBENCH_KEY", str(tmp_path / "missing"))
    keyless = review_state(as_user(workspace, "reviewer-a"), "admissions:1")
    assert not keyless.can_approve and "No signing key" in keyless.approve_reason
