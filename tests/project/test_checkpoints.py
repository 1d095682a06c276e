"""Signed checkpoints: a truncated, rewritten, replaced or deleted database shows against them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workbench.core.errors import DatabaseCorrupt, PermissionDenied
from workbench.core.values import Identity
from workbench.project.checkpoints import (
    CHECKPOINTS_FILE,
    NEW_STORE,
    read_checkpoints,
    verify_checkpoints,
    write_checkpoint,
)
from workbench.project.config import load_project
from workbench.project.init import init_project
from workbench.project.keys import SigningKey, init_key
from workbench.project.workspace import Workspace
from workbench.store import audit
from workbench.store.engine import _cache


@pytest.fixture
def anchored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, SigningKey]:
    root = tmp_path / "proj"
    init_project(root, git=False, dvc=False)
    key = init_key(tmp_path / "keys", comment="ana")
    with (root / "workbench.toml").open("a") as handle:
        handle.write(f'\n[tool.workbench.people.ana]\nkey = "{key.public_line}"\nroles = ["policy-admin"]\n')
    monkeypatch.setenv("WORKBENCH_KEY", str(key.path))
    workspace = open_ws(root)
    for index in range(5):
        workspace.record("test.event", f"thing:{index}", {"n": index})
    with workspace.read() as conn:
        write_checkpoint(workspace.project, conn, key)
    return root, key


def open_ws(root: Path) -> Workspace:
    _cache.clear()  # every open reads the database afresh, as a new process would
    project = load_project(root)
    return Workspace(project, Identity("ana", "env", ()))


def report(root: Path):  # type: ignore[no-untyped-def]
    workspace = open_ws(root)
    with workspace.read() as conn:
        return verify_checkpoints(workspace.project, conn)


def db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".workbench" / "workbench.db")


def test_an_intact_database_matches_its_checkpoints(anchored: tuple[Path, SigningKey]) -> None:
    root, _ = anchored
    [checkpoint] = read_checkpoints(load_project(root))
    assert checkpoint.statement.claims["seq"] == 5 and checkpoint.statement.signer == "ana"
    result = report(root)
    assert result.ok and "covers seq 5" in result.message
    open_ws(root).record("test.event", "thing:later", {})
    assert report(root).ok  # events after the last checkpoint are fine


def test_a_truncated_database_shows(anchored: tuple[Path, SigningKey]) -> None:
    root, _ = anchored
    with db(root) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq > 3")
        (digest,) = conn.execute("SELECT hash FROM audit_events WHERE seq = 3").fetchone()
        conn.execute("UPDATE audit_head SET seq = 3, hash = ?", (digest,))
    (root / "workbench.audit-head").unlink()  # whoever truncates can also drop the uncommitted head file
    assert open_ws(root).verify_audit().ok  # the chain alone cannot tell
    result = report(root)
    assert not result.ok and "the database ends at seq 3" in result.problems[0]


def test_a_rehashed_chain_shows(anchored: tuple[Path, SigningKey]) -> None:
    root, _ = anchored
    (root / "workbench.audit-head").unlink()
    with db(root) as conn:
        rows = conn.execute(
            "SELECT seq, time, actor, action, subject, payload FROM audit_events ORDER BY seq"
        ).fetchall()
        prev = audit.GENESIS
        for seq, time, actor, action, subject, stored in rows:
            payload = json.dumps({"n": 99}) if seq == 2 else stored
            digest = audit.event_hash(prev, seq, _iso(time), actor, action, subject, payload)
            conn.execute(
                "UPDATE audit_events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (payload, prev, digest, seq),
            )
            prev = digest
        conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    assert open_ws(root).verify_audit().ok  # a consistent rewrite: the chain alone cannot tell
    result = report(root)
    assert not result.ok and "the chain was rewritten or forked" in result.problems[0]


def _iso(text: str) -> str:
    from datetime import UTC, datetime

    from workbench.core.clock import isoformat

    moment = datetime.fromisoformat(text)
    return isoformat(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def test_a_deleted_database_is_an_error_until_a_new_store_is_signed(anchored: tuple[Path, SigningKey]) -> None:
    root, key = anchored
    for name in ("workbench.db", "workbench.db-wal", "workbench.db-shm"):
        (root / ".workbench" / name).unlink(missing_ok=True)
    with pytest.raises(DatabaseCorrupt, match=r"records a signed audit chain up to seq 5.*--new-store"):
        open_ws(root).store  # noqa: B018 - opening is the act under test
    write_checkpoint(load_project(root), None, key, kind=NEW_STORE, note="lost the disk")
    workspace = open_ws(root)
    workspace.record("test.event", "thing:new", {})
    assert report(root).ok


def test_a_checkpoint_signed_by_a_stranger_or_edited_fails(anchored: tuple[Path, SigningKey], tmp_path: Path) -> None:
    root, _ = anchored
    stranger = init_key(tmp_path / "eve-keys", comment="eve")
    with pytest.raises(PermissionDenied, match="not in the project's roster"):
        workspace = open_ws(root)
        with workspace.read() as conn:
            write_checkpoint(workspace.project, conn, stranger)
    path = root / CHECKPOINTS_FILE
    line = json.loads(path.read_text())
    line["statement"]["claims"]["seq"] = 4
    path.write_text(json.dumps(line) + "\n")
    result = report(root)
    assert not result.ok and "signature does not verify" in result.problems[0]


def test_the_cli_signs_checkpoints_and_starts_new_stores(anchored: tuple[Path, SigningKey]) -> None:
    import os
    import subprocess
    import sys

    root, key = anchored
    env = {**os.environ, "WORKBENCH_KEY": str(key.path)}
    cli = [sys.executable, "-m", "workbench.cli.main"]
    done = subprocess.run([*cli, "audit", "checkpoint"], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "signed checkpoint of seq 5" in done.stdout, done.stderr
    verified = subprocess.run([*cli, "audit", "verify"], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert verified.returncode == 0 and "2 signed checkpoint(s) hold" in verified.stdout
    (root / ".workbench" / "workbench.db").unlink()
    refused = subprocess.run([*cli, "audit", "log"], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == DatabaseCorrupt.exit_code and "--new-store" in refused.stderr
    fresh = subprocess.run(
        [*cli, "init", "--new-store"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert fresh.returncode == 0, fresh.stderr
    assert read_checkpoints(load_project(root))[-1].statement.kind == NEW_STORE
