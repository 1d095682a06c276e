"""The roster in [tool.workbench.people]: keys, roles, and who signed a statement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError
from workbench.core.statements import SignedStatement, Statement
from workbench.project.config import load_project
from workbench.project.keys import init_key

STATEMENT = Statement("approval", "model:m:1", {"decision": "approve"}, "ana", "2026-12-07T10:00:00Z")


def project_with(root: Path, people: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "workbench.toml").write_text(f"[tool.workbench]\n{people}")
    return root


def test_the_roster_names_who_signed(tmp_path: Path) -> None:
    ana = init_key(tmp_path / "ana", comment="ana")
    ben = init_key(tmp_path / "ben", comment="ben")
    root = project_with(
        tmp_path / "proj",
        f'[tool.workbench.people.ana]\nkey = "{ana.public_line}"\nroles = ["approver"]\n'
        f'[tool.workbench.people.ben]\nkey = "{ben.public_line}"\nroles = ["approver", "policy-admin"]\ndemo = true\n',
    )
    roster = load_project(root).config.roster
    assert roster.roles_of("ben") == ("approver", "policy-admin") and roster.people["ben"].demo
    assert roster.verified_signer(ana.sign(STATEMENT)).name == "ana"
    # ben's valid signature on a statement that names ana as the signer counts for nobody
    assert roster.verified_signer(ben.sign(STATEMENT)) is None
    stranger = init_key(tmp_path / "eve")
    assert roster.verified_signer(stranger.sign(STATEMENT)) is None
    relabelled = SignedStatement(STATEMENT, stranger.sign(STATEMENT).signature, ana.fingerprint)
    assert roster.verified_signer(relabelled) is None
    before = roster.sha256
    root2 = project_with(
        tmp_path / "proj2",
        f'[tool.workbench.people.ana]\nkey = "{ana.public_line}"\nroles = ["approver", "policy-admin"]\n'
        f'[tool.workbench.people.ben]\nkey = "{ben.public_line}"\nroles = ["approver", "policy-admin"]\ndemo = true\n',
    )
    assert load_project(root2).config.roster.sha256 != before


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ('[tool.workbench.people.ana]\nkey = "ssh-rsa AAAA"\n', "not a P-256 or ed25519 public key"),
        ('[tool.workbench.people.ana]\nkey = "{key}"\nroles = ["king"]\n', "unknown role"),
        ('[tool.workbench.people.ana]\nkey = "{key}"\ndemo = "yes"\n', "`demo` must be true or false"),
        ('[tool.workbench.people.ana]\nkey = "{key}"\n[tool.workbench.people.bob]\nkey = "{key}"\n', "same key"),
        ('[tool.workbench.people.ana]\nkey = "{key}"\nemail = "x"\n', "unknown key"),
    ],
)
def test_bad_rosters_are_refused(tmp_path: Path, people: str, message: str) -> None:
    key = init_key(tmp_path / "k")
    root = project_with(tmp_path / "proj", people.format(key=key.public_line))
    with pytest.raises(ConfigError, match=message):
        load_project(root)


def test_keys_cli_creates_and_shows_a_key(tmp_path: Path) -> None:
    root = project_with(tmp_path / "proj", "")
    env = {**os.environ, "WORKBENCH_KEY_DIR": str(tmp_path / "mykeys")}
    env.pop("WORKBENCH_KEY", None)
    run = [sys.executable, "-m", "workbench.cli.main", "keys"]
    created = subprocess.run(
        [*run, "init", "--name", "ana"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert created.returncode == 0, created.stderr
    assert "[tool.workbench.people.ana]" in created.stdout and (tmp_path / "mykeys" / "id_ecdsa").is_file()
    shown = subprocess.run([*run, "show", "--json"], cwd=root, env=env, capture_output=True, text=True, check=False)
    data = json.loads(shown.stdout)
    assert data["roster_name"] is None and data["fingerprint"].startswith("SHA256:")
    inside = subprocess.run(
        [*run, "init", "--dir", str(root / "keys")], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert inside.returncode == ConfigError.exit_code and "inside the project" in inside.stderr
