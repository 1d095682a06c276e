"""The demo's people: their committed roster keys match the keys make demo and demo-approve sign with."""

from __future__ import annotations

from pathlib import Path

from workbench.core.statements import Statement, verify
from workbench.examples.demo_keys import DEMO_AUTHOR, DEMO_PEOPLE, demo_key, demo_key_folder, demo_public_line
from workbench.project.config import load_project

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_roster_lists_the_demo_keys_as_demo_keys() -> None:
    roster = load_project(REPO).config.roster
    assert sorted(roster.people) == sorted([DEMO_AUTHOR, *DEMO_PEOPLE])
    assert set(roster.people[DEMO_AUTHOR].roles) == {"author", "policy-admin", "operator"}
    for name in [DEMO_AUTHOR, *DEMO_PEOPLE]:
        person = roster.people[name]
        assert person.demo and person.key == demo_public_line(name) and person.key.startswith("ecdsa-sha2-nistp256 ")
    for name in DEMO_PEOPLE:
        assert roster.people[name].roles == ("approver", "reviewer")


def test_demo_keys_live_outside_the_project_and_sign_as_the_roster_expects(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    key = demo_key("reviewer-a", project)
    assert project not in key.path.parents and demo_key_folder(project) in key.path.parents
    statement = Statement("model.approve", "model:m:1", {"decision": "approve"}, "reviewer-a", "2026-12-07T00:00:00Z")
    assert verify(key.sign(statement), demo_public_line("reviewer-a"))
    assert demo_key("reviewer-a", project).fingerprint == key.fingerprint  # the same key on every machine
