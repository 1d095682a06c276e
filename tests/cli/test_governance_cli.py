"""``workbench gate``, ``check`` and ``models alias`` through the real CLI entry point, in-process."""

from __future__ import annotations

import json

import pytest

from tests.support.governed import as_user
from workbench.cli.main import main
from workbench.core.errors import PromotionBlocked
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.project.workspace import Workspace


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_gate_exits_non_zero_while_blocked_and_still_prints_the_state(
    governed: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "gate", "admissions:1")
    assert code == PromotionBlocked.exit_code == 7
    assert out.splitlines()[0] == "admissions:1 -> production: approvals 0/2"
    assert "  - checks have not been run under the current policy" in out
    assert out.strip().endswith("Promotion blocked.")

    code, out, _ = run(capsys, "gate", "admissions:1", "--json")
    state = json.loads(out)
    assert code == 7 and state["allowed"] is False and len(state["unmet"]) == 2


def test_gate_exits_zero_once_promotion_is_allowed(governed: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    run_checks(governed, "admissions:1")
    approve(as_user(governed, "reviewer-a"), "admissions:1", "ok")
    approve(as_user(governed, "reviewer-b"), "admissions:1", "ok")
    code, out, _ = run(capsys, "gate", "admissions:1")
    assert code == 0 and out.strip().endswith("Promotion allowed.")
    code, out, _ = run(capsys, "gate", "admissions:1", "--json")
    assert code == 0 and json.loads(out)["allowed"] is True
