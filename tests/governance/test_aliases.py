"""Alias names are lowercase: ``Production`` can neither stand beside ``production`` nor reach a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.core.clock import utcnow
from workbench.core.errors import InvalidReference, PermissionDenied, ValidationError
from workbench.governance.aliases import set_alias
from workbench.governance.gate import promote
from workbench.project.workspace import Workspace
from workbench.registry.aliases import alias_history_of
from workbench.registry.versions import get_version
from workbench.store.schema import aliases


@pytest.mark.parametrize("alias", ["Production", "PRODUCTION", "pRoDuCtIoN"])
def test_a_capitalised_protected_alias_is_refused_naming_the_lowercase_one(governed: Workspace, alias: str) -> None:
    with pytest.raises(ValidationError, match="alias names are lowercase.*use 'production'"):
        set_alias(governed, "admissions", alias, 1)
    assert alias_history_of(governed, "admissions") == []
    with pytest.raises(PermissionDenied, match="only the promotion gate moves it"):
        set_alias(governed, "admissions", alias.lower(), 1)


def test_any_capitalised_alias_is_refused(governed: Workspace) -> None:
    with pytest.raises(ValidationError, match="use 'staging'"):
        set_alias(governed, "admissions", "Staging", 1)
    assert set_alias(governed, "admissions", "staging", 1).alias == "staging"
    assert get_version(governed, "admissions@staging").version == 1


def test_a_capitalised_ref_reaches_no_version(governed: Workspace) -> None:
    # A row an older release let through: it must not serve as a second, ungated production.
    with governed.transaction() as tx:
        tx.conn.execute(
            aliases.insert().values(
                name="admissions", alias="Production", version=1, updated_at=utcnow(), updated_by="mallory"
            )
        )
    with pytest.raises(InvalidReference, match=r"alias names are lowercase.*`admissions@production`"):
        get_version(governed, "admissions@Production")
    with pytest.raises(InvalidReference, match="alias names are lowercase"):
        promote(governed, "admissions@Production")


def test_the_gate_moves_no_capitalised_alias(governed: Workspace) -> None:
    with pytest.raises(ValidationError, match="Did you mean 'production'"):
        promote(governed, "admissions:1", "Production")


def test_a_protected_alias_spelt_with_capitals_in_the_policy_still_protects(
    governed: Workspace, project_dir: Path
) -> None:
    policy = project_dir / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text().replace("protects: [production]", "protects: [production, Staging]"))
    with pytest.raises(PermissionDenied, match="'staging' is protected by policy"):
        set_alias(governed, "admissions", "staging", 1)


def test_the_cli_refuses_with_exit_2_and_the_fix(governed: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["models", "alias", "admissions", "Production", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (
        "error: Invalid alias 'Production': alias names are lowercase, so that 'Production' cannot stand beside "
        "'production'; use 'production'."
    )
    code = main(["models", "show", "admissions@PRODUCTION"])
    assert code == 2 and "`admissions@production`" in capsys.readouterr().err
