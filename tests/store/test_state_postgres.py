"""The state check and the gate's refusal on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.governed import on_postgres, open_as
from tests.support.training import Trained
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
    approve(open_as(project_dir, "reviewer-a"), "admissions:1", "ok")
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
        promote(open_as(project_dir, "reviewer-a"), "admissions:1", "production")


@pytest.mark.postgres
def test_keyed_governance_holds_on_postgresql(
    project_dir: Path, trained_small: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Keys, adoption and signed artifacts on a real PostgreSQL: the claimed name changes nothing, a
    second folder on the same database gets the adopted policy, an unadopted edit changes nothing, an
    edited adoption event is named, and a signed registration verifies before loading."""
    from tests.support.keyed import make_keyed
    from workbench.core.errors import Conflict
    from workbench.governance.gate import gate_status
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace

    author = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    workspace, keys = make_keyed(author, tmp_path / "keys", {"reviewer-a": ["approver"], "ana": ["author"]})
    monkeypatch.setenv("WORKBENCH_KEY", str(keys["reviewer-a"].path))
    run_checks(workspace, "admissions:1")
    decision = approve(open_as(project_dir, "reviewer-b"), "admissions:1", "signed")
    assert decision.actor == "reviewer-a"
    with pytest.raises(Conflict):
        approve(open_as(project_dir, "someone-else"), "admissions:1", "again")
    required = gate_status(workspace, "admissions:1").approvals_required

    # a second folder on the same database, with a policy that asks for nothing
    elsewhere = tmp_path / "elsewhere"
    init_project(elsewhere, git=False, dvc=False)
    (elsewhere / "pipelines" / "admissions").mkdir(parents=True)
    (elsewhere / "pipelines" / "admissions" / "policy.yaml").write_text(
        (project_dir / "pipelines" / "admissions" / "policy.yaml").read_text().replace("required: 1", "required: 0")
    )
    other = open_workspace(elsewhere)
    assert other.store.backend == "postgresql"
    assert gate_status(other, "admissions:1").approvals_required == required

    # an adoption event edited with a plain database client is named
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE audit_events SET payload = replace(payload, 'required: 1', 'required: 0') "
                "WHERE action = 'policy.adopt'"
            )
        )
    engine.dispose()
    with pytest.raises(AuditChainBroken, match="policy.adopt"):
        gate_status(workspace, "admissions:1")
    assert not workspace.verify_audit().ok


@pytest.mark.postgres
def test_a_signed_registration_verifies_on_postgresql(
    project_dir: Path, trained_small: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.support.keyed import make_keyed
    from workbench.registry.register import RegisterOptions, register
    from workbench.registry.versions import get_version, load_model

    author = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    workspace, keys = make_keyed(author, tmp_path / "keys", {"ana": ["author"]})
    version = register(
        workspace, trained_small.booster, name="admissions", train=trained_small.train,
        valid=trained_small.valid, target="admit", keys=["applicant_id"],
        options=RegisterOptions(evidently_report=False, explain_rows=100, local_rows=5), key=keys["ana"],
    )  # fmt: skip
    assert version.author == "ana" and "signature" in version.artifacts
    assert load_model(workspace, version.ref).num_features() > 0
    assert get_version(workspace, version.ref).lineage["signed_by"]["name"] == "ana"
    assert workspace.verify_state().ok
