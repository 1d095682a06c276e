"""The CLI through its real entry point (in-process for speed, one subprocess for the console path)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_then_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path / "p"), "--no-git", "--no-dvc")
    assert code == 0 and "Initialised workbench project" in out
    code, out, _ = run(capsys, "-C", str(tmp_path / "p"), "audit", "verify")
    assert code == 0 and "Audit chain verified: 1 events" in out
    code, out, _ = run(capsys, "-C", str(tmp_path / "p"), "audit", "log", "--json")
    events = json.loads(out)
    assert events[0]["action"] == "project.init" and events[0]["actor"] == "analyst@example.org"


def test_outside_a_project_every_command_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["audit", "verify"], ["audit", "log"], ["info"]):
        code, _, err = run(capsys, "-C", str(tmp_path), *argv)
        assert code == 2
        assert err.startswith("error: ") and "workbench init" in err
        assert len(err.strip().splitlines()) == 1


def test_tampering_makes_verify_fail_naming_the_seq(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    for index in range(4):
        workspace.record("test.event", "thing", {"i": index})
    db = project_dir / ".workbench" / "workbench.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_events SET payload = '{\"i\":99}' WHERE seq = 3")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 10 and "broken at seq 3" in out
    code, out, _ = run(capsys, "audit", "verify", "--json")
    assert json.loads(out)["problem"] == "edited"


def test_a_corrupt_database_is_one_clear_line_and_left_alone(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = project_dir / ".workbench" / "workbench.db"
    db.write_bytes(b"\x00garbage" * 100)
    code, _, err = run(capsys, "audit", "verify")
    assert code == 8 and "not a SQLite database" in err and len(err.strip().splitlines()) == 1
    assert db.read_bytes() == b"\x00garbage" * 100


def test_an_unreachable_database_url(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DB_URL", "postgresql+psycopg://x@127.0.0.1:1/none")
    code, _, err = run(capsys, "audit", "log")
    assert code == 8 and "Cannot reach the database" in err


def test_whoami(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "whoami", "--json")
    assert code == 0 and json.loads(out)["name"] == "analyst@example.org"


def test_console_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("workbench ")


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback(project_dir: Path) -> None:
    """`workbench audit log | head -1`: the command stops quietly with 141 (128 + SIGPIPE)."""
    from workbench.project.workspace import open_workspace

    with open_workspace().transaction() as tx:
        for index in range(3_000):  # far more than a pipe buffers, so writing must meet the closed end
            tx.record("test.event", f"thing:{index}", {"i": index})
    for argv in (["audit", "log"], ["audit", "log", "--json"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli.main", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=project_dir,
        )
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # what `head -1` does after its line
        err = process.stderr.read().decode()
        process.stderr.close()
        assert process.wait(timeout=60) == 141, err
        assert first.strip()
        assert err == "", err  # no traceback, no "Exception ignored ... BrokenPipeError"
