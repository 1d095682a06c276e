"""Policies and the roster govern only once adopted into the store by policy-admin signatures.

The review's attacks: a second folder pointing at the same database with its own lax policy and
roles approved and promoted alone; editing the policy to protect only ``staging`` made production
ungated. Here the gate reads the adopted revisions from the store, whatever any folder says.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.governed import GOVERNED_POLICY
from tests.support.keyed import ADMIN, add_people, make_keyed
from workbench.cli.main import main
from workbench.core.errors import AuditChainBroken, Conflict, PermissionDenied, PolicyError, PromotionBlocked
from workbench.core.values import Identity
from workbench.governance.adoption import adopt_policy, adopt_roster, governing_policy, policy_status
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import gate_status, promote
from workbench.project.adopted import roster_state
from workbench.project.checkpoints import read_checkpoints
from workbench.project.config import load_project
from workbench.project.init import init_project
from workbench.project.keys import SigningKey, init_key
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.audit import list_events

LAX = GOVERNED_POLICY.replace("required: 2", "required: 0").replace("protects: [production]", "protects: [staging]")


@pytest.fixture
def keyed(governed: Workspace, tmp_path: Path) -> tuple[Workspace, dict[str, SigningKey]]:
    workspace, keys = make_keyed(
        governed, tmp_path / "keys", {"reviewer-a": ["approver"], "reviewer-b": ["approver", "policy-admin"]}
    )
    run_checks(workspace, "admissions:1")
    return workspace, keys


def _second_folder(workspace: Workspace, tmp_path: Path, attacker: SigningKey) -> Workspace:
    """Another folder whose settings point at the same database and artifacts, with a lax policy and
    a roster naming the attacker as approver and policy admin."""
    root = tmp_path / "elsewhere"
    init_project(root, git=False, dvc=False)
    state = workspace.project.root / ".workbench"
    config = root / "workbench.toml"
    config.write_text(
        config.read_text().replace(
            '# db_url = "postgresql+psycopg://user@host/workbench"',
            f'db_url = "sqlite:///{state / "workbench.db"}"\nartifacts = "{state / "artifacts"}"',
        )
    )
    add_people(root, {"mallory": attacker}, {"mallory": ["approver", "policy-admin", "author"]})
    (root / "pipelines" / "admissions").mkdir(parents=True)
    (root / "pipelines" / "admissions" / "policy.yaml").write_text(LAX)
    return Workspace(load_project(root), Identity("mallory", "env"))


def test_a_second_folder_on_the_same_database_gets_the_same_gate(
    keyed: tuple[Workspace, dict[str, SigningKey]], tmp_path: Path
) -> None:
    workspace, _ = keyed
    mallory = init_key(tmp_path / "keys" / "mallory")
    other = _second_folder(workspace, tmp_path, mallory)
    assert gate_status(other, "admissions:1").approvals_required == 2
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        approve(other, "admissions:1", "lgtm", key=mallory)
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        promote(other, "admissions:1", "production", key=mallory)
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        adopt_roster(other, key=mallory)
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        adopt_policy(other, "pipelines/admissions/policy.yaml", key=mallory)
    with other.read() as conn:
        assert governing_policy(conn, other.project, "admissions").approvals_required == 2
        assert roster_state(conn, other.project).working_differs
    assert get_version(workspace, "admissions:1").aliases == ()


def test_an_edited_policy_changes_nothing_until_adopted(keyed: tuple[Workspace, dict[str, SigningKey]]) -> None:
    workspace, keys = keyed
    policy_file = workspace.project.root / "pipelines" / "admissions" / "policy.yaml"
    policy_file.write_text(LAX)
    status = gate_status(workspace, "admissions:1")
    assert status.approvals_required == 2 and not status.allowed
    assert any("differs from the adopted revision" in note for note in status.notes)
    with pytest.raises(PromotionBlocked):
        promote(workspace, "admissions:1", "production", key=keys["reviewer-a"])
    with pytest.raises(PolicyError, match="not the adopted revision"):
        run_checks(workspace, "admissions:1", policy_path="pipelines/admissions/policy.yaml")
    with workspace.read() as conn:
        assert policy_status(conn, workspace.project, "admissions").differs

    result = adopt_policy(workspace, policy_file, comment="lax for the test", key=keys[ADMIN])
    assert result.adopted and result.signers == (ADMIN,)
    with workspace.read() as conn:
        policy = governing_policy(conn, workspace.project, "admissions")
    # production stays protected whatever the adopted policy says
    assert policy.approvals_required == 0 and "production" in policy.protects
    run_checks(workspace, "admissions:1")
    promote(workspace, "admissions:1", "production", key=keys["reviewer-a"])
    assert get_version(workspace, "admissions@production").version == 1


def test_a_policy_needing_two_admins_is_adopted_by_the_second(
    keyed: tuple[Workspace, dict[str, SigningKey]],
) -> None:
    workspace, keys = keyed
    policy_file = workspace.project.root / "pipelines" / "admissions" / "policy.yaml"
    policy_file.write_text(GOVERNED_POLICY + "adoption: {required: 2}\n")
    # the revision in force needs one signature, so this one is adopted by one admin
    assert adopt_policy(workspace, policy_file, key=keys[ADMIN]).adopted
    policy_file.write_text(LAX + "adoption: {required: 2}\n")
    first = adopt_policy(workspace, policy_file, key=keys[ADMIN])
    assert not first.adopted and first.signers == (ADMIN,) and first.required == 2
    assert gate_status(workspace, "admissions:1").approvals_required == 2
    with pytest.raises(Conflict, match="already signed"):
        adopt_policy(workspace, policy_file, key=keys[ADMIN])
    with pytest.raises(PermissionDenied, match="needs the `policy-admin` role"):
        adopt_policy(workspace, policy_file, key=keys["reviewer-a"])
    second = adopt_policy(workspace, policy_file, key=keys["reviewer-b"])
    assert second.adopted and set(second.signers) == {ADMIN, "reviewer-b"}
    assert gate_status(workspace, "admissions:1").approvals_required == 0
    with pytest.raises(Conflict, match="already the adopted revision"):
        adopt_policy(workspace, policy_file, key=keys["reviewer-b"])


def test_a_roster_change_is_signed_by_the_admins_of_the_roster_in_force(
    keyed: tuple[Workspace, dict[str, SigningKey]], tmp_path: Path
) -> None:
    workspace, keys = keyed
    mallory = init_key(tmp_path / "keys" / "mallory")
    add_people(workspace.project.root, {"mallory": mallory}, {"mallory": ["approver", "policy-admin"]})
    changed = Workspace(load_project(workspace.project.root), workspace.identity)
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        adopt_roster(changed, key=mallory)
    with changed.read() as conn:
        state = roster_state(conn, changed.project)
        assert state.mode == "keyed" and "mallory" not in state.roster.people and state.working_differs
    assert adopt_roster(changed, comment="mallory joins", key=keys[ADMIN]).adopted
    approve(changed, "admissions:1", "now listed", key=mallory)
    assert gate_status(changed, "admissions:1").approvals == 1


def test_a_listed_but_unadopted_roster_counts_nothing(governed: Workspace, tmp_path: Path) -> None:
    key = init_key(tmp_path / "keys" / "ana")
    add_people(governed.project.root, {"ana": key}, {"ana": ["approver", "policy-admin"]})
    workspace = Workspace(load_project(governed.project.root), governed.identity)
    with pytest.raises(PermissionDenied, match="adopted no roster"):
        approve(workspace, "admissions:1", "early", key=key)
    with pytest.raises(PermissionDenied, match="adopted no roster"):
        gate_status(workspace, "admissions:1")
    with pytest.raises(PermissionDenied, match="roster adopt"):
        adopt_policy(workspace, "pipelines/admissions/policy.yaml", key=key)


def test_an_edited_adoption_event_is_named_and_the_gate_refuses(
    keyed: tuple[Workspace, dict[str, SigningKey]],
) -> None:
    workspace, _ = keyed
    database = workspace.project.root / ".workbench" / "workbench.db"
    with sqlite3.connect(database) as conn:
        seq, payload = conn.execute(
            "SELECT seq, payload FROM audit_events WHERE action = 'policy.adopt' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        data = json.loads(payload)
        data["content"] = LAX
        conn.execute("UPDATE audit_events SET payload = ? WHERE seq = ?", (json.dumps(data), seq))
    with pytest.raises(AuditChainBroken, match=f"audit event {seq}"):
        gate_status(workspace, "admissions:1")
    assert not workspace.verify_audit().ok


def test_a_forged_adoption_without_admin_signatures_is_refused(
    keyed: tuple[Workspace, dict[str, SigningKey]], tmp_path: Path
) -> None:
    """An adoption event appended with a valid content hash but signed by a key outside the roster."""
    workspace, _ = keyed
    mallory = init_key(tmp_path / "keys" / "mallory")
    from workbench.core.hashing import sha256_bytes
    from workbench.core.statements import Statement

    sha = sha256_bytes(LAX.encode())
    statement = Statement("policy.adopt", "policy:admissions", {"sha256": sha}, ADMIN, "2026-01-01T00:00:00Z")
    with workspace.transaction() as tx:
        tx.record(
            "policy.adopt",
            "policy:admissions",
            {"sha256": sha, "content": LAX, "statements": [mallory.sign(statement).to_dict()], "required": 1},
        )
    with pytest.raises(PermissionDenied, match="valid policy-admin signature"):
        gate_status(workspace, "admissions:1")


def test_the_cli_adopts_and_shows(
    governed: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = init_key(tmp_path / "keys" / "ana")
    add_people(governed.project.root, {"ana": key}, {"ana": ["approver", "policy-admin"]})
    monkeypatch.setenv("WORKBENCH_KEY", str(key.path))
    assert main(["roster", "show"]) == 0
    assert "identity mode: unadopted" in capsys.readouterr().out
    assert main(["roster", "adopt", "-m", "first roster"]) == 0
    assert "Adopted the roster" in capsys.readouterr().out
    assert main(["policy", "adopt", "pipelines/admissions/policy.yaml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["adopted"] is True
    # each adoption is anchored: the chain head is checkpointed with the adopter's key
    checkpoints = read_checkpoints(load_project(governed.project.root))
    assert [c.statement.signer for c in checkpoints] == ["ana", "ana"]
    assert main(["policy", "status", "admissions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["differs"] is False
    assert main(["roster", "show"]) == 0
    out = capsys.readouterr().out
    assert "identity mode: keyed" in out and "ana" in out


def test_a_claimed_name_changes_nothing_in_the_cli_or_the_kernel(
    keyed: tuple[Workspace, dict[str, SigningKey]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's attack: WORKBENCH_USER=reviewer-a, then reviewer-b, to approve one's own model twice."""
    import workbench.api as wb

    workspace, keys = keyed
    monkeypatch.chdir(workspace.project.root)
    monkeypatch.setenv("WORKBENCH_KEY", str(keys["reviewer-a"].path))
    monkeypatch.setenv("WORKBENCH_USER", "reviewer-b")
    assert main(["approve", "admissions:1", "-m", "as b?", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["actor"] == "reviewer-a"
    monkeypatch.setenv("WORKBENCH_USER", "reviewer-c")  # from a kernel: os.environ["WORKBENCH_USER"] = ...
    with pytest.raises(Conflict, match="reviewer-a has already decided"):
        wb.approve("admissions:1", "as c?")
    assert gate_status(workspace, "admissions:1").approvals == 1
    with workspace.read() as conn:
        [event] = [e for e in list_events(conn, action="model.approve")]
    assert event.actor == "reviewer-a" and event.payload["actor_source"] == "key"
