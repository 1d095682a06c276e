"""The state check and the gate's refusal on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.jobs.conftest import as_user, on_postgres
from tests.registry.conftest import Trained
from workbench.core.errors import AuditChainBroken
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote


@pytest.mark.postgres
def test_edited_rows_are_named_and_refused_on_postgresql(
    project_dir: Path, trained_small: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    run_checks(author, "admissions:1")
    approve(as_user(project_dir, "reviewer-a"), "admissions:1", "ok")
    assert author.verify_state().ok and author.verify_audit().ok
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # a plain database client, not workbench
        conn.execute(
            sa.text(
                "INSERT INTO aliases (name, alias, version, updated_at, updated_by) "
                "VALUES ('admissions', 'production', 1, now(), 'mallory')"
            )
        )
    engine.dispose()
    report = author.verify_state("admissions")
    assert [str(p) for p in report.problems] == ["aliases admissions@production: no alias move in the chain created it"]
    with pytest.raises(AuditChainBroken, match="differ from the audit chain"):
        promote(as_user(project_dir, "reviewer-a"), "admissions:1", "production")


@pytest.mark.postgres
def test_signed_approvals_on_postgresql(
    project_dir: Path, trained_small: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from workbench.core.errors import Conflict
    from workbench.governance.gate import gate_status
    from workbench.project.keys import init_key

    author = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    key = init_key(tmp_path / "keys", comment="reviewer-a")
    config = project_dir / "workbench.toml"
    config.write_text(
        config.read_text()
        + f'\n[tool.workbench.people."reviewer-a"]\nkey = "{key.public_line}"\nroles = ["approver"]\n'
    )
    monkeypatch.setenv("WORKBENCH_KEY", str(key.path))
    run_checks(author, "admissions:1")
    decision = approve(as_user(project_dir, "reviewer-b"), "admissions:1", "signed")
    assert decision.actor == "reviewer-a"
    with pytest.raises(Conflict):
        approve(as_user(project_dir, "someone-else"), "admissions:1", "again")
    workspace = as_user(project_dir, "analyst@example.org")
    assert gate_status(workspace, "admissions:1").allowed  # the POLICY here needs one approval
    assert workspace.verify_state().ok
