"""The panels' signed acts, run in a real kernel as the user: the kernel's key signs, the server
signs nothing, and the request travels as a JSON string literal (never as code)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.keyed import make_keyed
from workbench.core.statements import SignedStatement
from workbench.governance.checks import run_checks
from workbench.governance.review import review_state
from workbench.project.keys import SigningKey
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.widgets.kernel_actions import ERROR, RESULT, run


@pytest.fixture
def keyed(governed: Workspace, tmp_path: Path) -> tuple[Workspace, dict[str, SigningKey]]:
    workspace, keys = make_keyed(governed, tmp_path / "keys", {"reviewer-a": ["approver"], "reviewer-b": ["approver"]})
    run_checks(workspace, "admissions:1")
    return workspace, keys


def _in_kernel(root: Path, key: SigningKey, request: dict[str, Any]) -> list[str]:
    """Run the exact line the panel sends (kernelSign.ts) in a fresh python3 kernel; its stdout lines."""
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "WORKBENCH_KEY": str(key.path), "WORKBENCH_USER": "someone-else"}
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(root), env=env)
    lines: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            lines.extend(message["content"]["text"].splitlines())
        elif message["msg_type"] == "error":
            lines.append("TRACEBACK " + message["content"]["evalue"])

    try:
        literal = json.dumps(json.dumps(request))  # what JSON.stringify(JSON.stringify(request)) writes
        code = f"import workbench.widgets.kernel_actions as _k; _k.run({literal})"
        client.execute_interactive(code, output_hook=collect, timeout=120)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return lines


def test_the_server_offers_acts_a_kernel_signs(keyed: tuple[Workspace, dict[str, SigningKey]]) -> None:
    workspace, keys = keyed
    state = review_state(workspace, "admissions:1", may_load_key=False)
    assert state.signing == "kernel" and state.can_approve and state.to_dict()["signing"] == "kernel"
    comment = "ok \"quoted\" 'single' ''' \\ backslash\nnewline ünïcode ${x} `tick`"
    lines = _in_kernel(workspace.project.root, keys["reviewer-a"], {"verb": "approve", "ref": "admissions:1",
                                                                     "comment": comment})  # fmt: skip
    [result] = [json.loads(line.removeprefix(RESULT)) for line in lines if line.startswith(RESULT)]
    assert result["actor"] == "reviewer-a" and result["comment"] == comment.strip()
    [decision] = get_version(workspace, "admissions:1").decisions
    assert SignedStatement.from_dict(decision["statement"]).statement.signer == "reviewer-a"

    again = _in_kernel(workspace.project.root, keys["reviewer-a"], {"verb": "approve", "ref": "admissions:1"})
    [error] = [json.loads(line.removeprefix(ERROR)) for line in again if line.startswith(ERROR)]
    assert error["error"] == "Conflict" and "already decided" in error["message"]


def test_unknown_or_malformed_requests_do_nothing(
    keyed: tuple[Workspace, dict[str, SigningKey]], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, _ = keyed
    assert run(json.dumps({"verb": "set_alias", "ref": "admissions:1"})) is None
    assert "Unknown act 'set_alias'" in capsys.readouterr().out
    assert run("__import__('os').system('true')") is None
    assert capsys.readouterr().out.startswith(ERROR)
    assert get_version(workspace, "admissions:1").decisions == ()
