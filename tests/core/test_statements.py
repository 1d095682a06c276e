"""Signed statements and signing keys: a signature binds every claim, the signer and the key."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.statements import SignedStatement, Statement, fingerprint, verify
from workbench.project.keys import init_key, load_signing_key

APPROVAL = Statement(
    kind="approval",
    subject="model:admissions:3",
    claims={"decision": "approve", "digests": {"model": "sha256:aa"}, "policy": "9f2c", "comment": "ok"},
    signer="reviewer-a",
    time="2026-12-07T10:00:00Z",
)


def test_a_signature_verifies_only_for_the_exact_statement_and_key(tmp_path: Path) -> None:
    key = init_key(tmp_path / "a", comment="reviewer-a")
    other = init_key(tmp_path / "b", comment="reviewer-b")
    signed = key.sign(APPROVAL)
    assert verify(signed, key.public_line)
    assert not verify(signed, other.public_line)
    for change in (
        {"subject": "model:admissions:4"},
        {"signer": "reviewer-b"},
        {"time": "2026-12-07T10:00:01Z"},
        {"claims": {**APPROVAL.claims, "digests": {"model": "sha256:bb"}}},
        {"claims": {**APPROVAL.claims, "comment": "ok!"}},
        {"kind": "rejection"},
    ):
        replayed = SignedStatement(dataclasses.replace(APPROVAL, **change), signed.signature, signed.key)
        assert not verify(replayed, key.public_line), change
    round_trip = SignedStatement.from_dict(signed.to_dict())
    assert verify(round_trip, key.public_line)
    forged = SignedStatement(APPROVAL, other.sign(APPROVAL).signature, key.fingerprint)
    assert not verify(forged, key.public_line)


def test_keys_are_private_files_outside_the_project(tmp_path: Path) -> None:
    key = init_key(tmp_path / "keys", comment="ana")
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert (tmp_path / "keys" / "id_ecdsa.pub").read_text().startswith("ecdsa-sha2-nistp256 ")
    assert key.path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8 PEM, as model-signing reads
    ed = init_key(tmp_path / "keys", key_type="ed25519")
    assert ed.public_line.startswith("ssh-ed25519 ") and not ed.is_p256 and key.is_p256
    loaded = load_signing_key(path=key.path)
    assert loaded.public_line == key.public_line and loaded.fingerprint == fingerprint(key.public_line)
    with pytest.raises(ValidationError, match="A key exists already"):
        init_key(tmp_path / "keys")
    project = tmp_path / "proj"
    project.mkdir()
    with pytest.raises(ConfigError, match="inside the project"):
        init_key(project / "keys", project_root=project)
    os.chmod(key.path, 0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_signing_key(path=key.path)
    with pytest.raises(ConfigError, match="workbench keys init"):
        load_signing_key(path=tmp_path / "missing")


@pytest.mark.parametrize("kind", [["ed25519"], ["ecdsa", "-b", "256"]])
def test_an_ssh_keygen_key_signs_too(tmp_path: Path, kind: list[str]) -> None:
    path = tmp_path / f"id_{kind[0]}"
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", *kind, "-N", "", "-C", "ben", "-f", str(path)], check=True)
    except FileNotFoundError:
        pytest.skip("ssh-keygen is not installed")
    key = load_signing_key(path=path)
    line = path.with_name(f"{path.name}.pub").read_text()
    if key.is_p256:  # an OpenSSH-format key reaches model-signing as a temporary PKCS#8 copy
        with key.pem_file() as pem:
            assert pem != path and pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert not pem.exists()
    assert fingerprint(line) == key.fingerprint
    assert verify(key.sign(APPROVAL), line)
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(path)], capture_output=True, text=True, check=True)
    assert key.fingerprint in listed.stdout  # the same fingerprint OpenSSH shows


@pytest.mark.parametrize("line", ["ssh-rsa AAAAB3Nza", "not a key", "ssh-ed25519 ***"])
def test_other_key_lines_are_refused(line: str) -> None:
    with pytest.raises(ValidationError):
        fingerprint(line)
