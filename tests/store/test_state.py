"""The governed state against the chain: sqlite3 edits to aliases, decisions and digests are named.

The attacks are the review's: rows inserted into ``aliases`` or ``decisions``, a version's
``artifacts`` pointed at another model's bytes, and rows deleted or changed, all with a
plain database client and the chain left intact.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.governed import as_user
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.project.workspace import Workspace
from workbench.store.state import verify_state


def db(project_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(project_dir / ".workbench" / "workbench.db")


@pytest.fixture
def promoted(governed: Workspace) -> Workspace:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "ok")
    approve(as_user(governed, "reviewer-b"), "admissions:1", "ok too")
    promote(as_user(governed, "reviewer-b"), "admissions:1", "production")
    return governed


def check(workspace: Workspace, name: str | None = None) -> list[str]:
    with workspace.read() as conn:
        report = verify_state(conn, name)
    assert report.ok == (not report.problems)
    return [str(p) for p in report.problems]


def test_an_untouched_state_matches_the_chain(promoted: Workspace) -> None:
    assert check(promoted) == [] and check(promoted, "admissions") == [] and check(promoted, "other") == []
    with promoted.read() as conn:
        assert verify_state(conn).events >= 4


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "INSERT INTO aliases (name, alias, version, updated_at, updated_by) "
            "VALUES ('admissions', 'champion', 1, '2026-01-01', 'mallory')",
            "aliases admissions@champion: no alias move in the chain created it",
        ),
        (
            "UPDATE aliases SET version = 7 WHERE alias = 'production'",
            "aliases admissions@production: points at version 7; the chain's last move says 1",
        ),
        ("DELETE FROM aliases WHERE alias = 'production'", "aliases admissions@production: missing"),
        (
            "INSERT INTO decisions (name, version, actor, roles, decision, comment, policy_hash, digests, time) "
            "VALUES ('admissions', 1, 'reviewer-c', '[]', 'approve', 'sure', 'x', '{}', '2026-01-01')",
            "decisions admissions:1 by reviewer-c: no approval or rejection event records it",
        ),
        (
            "UPDATE decisions SET decision = 'approve', comment = 'fine' WHERE actor = 'reviewer-a'",
            "decisions admissions:1 by reviewer-a: comment differ from the chain",
        ),
        (
            "DELETE FROM decisions WHERE actor = 'reviewer-b'",
            "decisions admissions:1 by reviewer-b: recorded in the chain",
        ),
        ("UPDATE model_versions SET author = 'reviewer-a'", "author 'reviewer-a' is not the registrant"),
    ],
)
def test_edited_rows_are_named(promoted: Workspace, project_dir: Path, sql: str, expected: str) -> None:
    with db(project_dir) as conn:
        conn.execute(sql)
    problems = check(promoted) + check(promoted, "admissions")
    assert any(expected in p for p in problems), problems
    assert promoted.verify_audit().ok  # the chain itself is intact: only the state check sees it


def test_a_version_pointed_at_other_bytes_is_named(promoted: Workspace, project_dir: Path) -> None:
    with db(project_dir) as conn:
        (text,) = conn.execute("SELECT artifacts FROM model_versions WHERE version = 1").fetchone()
        artifacts = json.loads(text)
        artifacts["model"]["digest"] = "sha256:" + "0" * 64
        conn.execute("UPDATE model_versions SET artifacts = ? WHERE version = 1", (json.dumps(artifacts),))
    assert check(promoted, "admissions") == [
        "model_versions admissions:1: artifact digests differ from the registration (model)"
    ]


def test_scoring_refuses_while_the_rows_differ_from_the_chain(promoted: Workspace, project_dir: Path) -> None:
    from tests.support.scoring import write_input
    from workbench.core.errors import AuditChainBroken
    from workbench.jobs import score

    write_input(project_dir, n=50)
    with db(project_dir) as conn:
        (text,) = conn.execute("SELECT artifacts FROM model_versions WHERE version = 1").fetchone()
        artifacts = json.loads(text)
        artifacts["model"]["digest"] = "sha256:" + "1" * 64
        conn.execute("UPDATE model_versions SET artifacts = ? WHERE version = 1", (json.dumps(artifacts),))
    with pytest.raises(AuditChainBroken, match="differ from the audit chain") as raised:
        score(promoted, "admissions@production", "data/applicants.parquet", "out.parquet")
    assert "artifact digests differ from the registration (model)" in raised.value.details[0]
    assert not (project_dir / "out.parquet").exists()


def test_audit_verify_names_the_edited_rows(promoted: Workspace, project_dir: Path) -> None:
    import subprocess
    import sys

    with db(project_dir) as conn:
        conn.execute("UPDATE aliases SET version = 3 WHERE alias = 'production'")
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "audit", "verify"],
        cwd=project_dir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 10, result.stderr
    assert "admissions@production: points at version 3" in result.stdout


def test_every_event_says_how_its_actor_was_established(promoted: Workspace) -> None:
    from workbench.store.audit import list_events

    with promoted.read() as conn:
        sources = {e.action: e.payload.get("actor_source") for e in list_events(conn)}
    assert sources["model.approve"] == "env" and sources["model.promote"] == "env"
