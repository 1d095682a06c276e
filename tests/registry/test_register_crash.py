"""A registration killed at any moment leaves no version or a complete one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.project.workspace import open_workspace
from workbench.registry.versions import list_versions, load_model

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
from tests.support.training import train_model
from workbench.project.workspace import open_workspace
from workbench.registry.register import RegisterOptions, register

trained = train_model(rows=1500, rounds=20)
workspace = open_workspace(sys.argv[1])
print("ready", flush=True)
for _ in range(50):
    register(workspace, trained.booster, name="crashy", train=trained.train, valid=trained.valid, target="admit",
             sensitive=["gender"], keys=["applicant_id"],
             options=RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20))
"""


def test_killed_registrations_never_leave_half_a_version(project_dir: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    for delay in (0.05, 0.4, 1.0, 2.5):
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(project_dir)], cwd=repo, env=env, stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    workspace = open_workspace(project_dir)
    assert workspace.verify_audit().ok
    with workspace.read() as conn:
        from workbench.store.audit import list_events

        registered = [e.subject for e in list_events(conn, action="model.register")]
    versions = list_versions(workspace, "crashy")
    assert versions, "the longest run should have completed at least one registration"
    # Every version in the database has its audit event and every artifact, and its model loads verified.
    assert sorted(f"model:{v.ref}" for v in versions) == sorted(registered)
    for version in versions:
        for name, entry in version.artifacts.items():
            assert workspace.artifacts.get_bytes(entry["digest"], name=name)
        load_model(workspace, version.ref)
    assert [v.version for v in sorted(versions, key=lambda v: v.version)] == list(range(1, len(versions) + 1))
