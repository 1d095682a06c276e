"""The audit report shows every signature behind a version and verifies each offline in the
reader's browser: the report's own script, run here under Node's WebCrypto (the same API)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.registry.test_signing import _register
from tests.support.keyed import make_keyed
from tests.support.training import Trained
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.project.keys import init_key
from workbench.project.roster import parse_roster
from workbench.project.workspace import Workspace
from workbench.reports.audit_report import write_report
from workbench.reports.signatures import _statement_entry

SCRIPT = Path(__file__).resolve().parents[2] / "workbench" / "reports" / "templates" / "verify_signatures.js"
NODE = shutil.which("node")


def _browser_check(entries: list[dict]) -> list[dict]:
    """Run the report's verifier on ``entries`` with Node's WebCrypto (what a browser runs)."""
    if NODE is None:
        pytest.skip("node is not installed")
    program = (
        f"const {{ verifyAll }} = require({json.dumps(str(SCRIPT))});"
        "let input = ''; process.stdin.on('data', d => input += d);"
        "process.stdin.on('end', async () => console.log(JSON.stringify(await verifyAll(JSON.parse(input)))));"
    )
    done = subprocess.run([NODE, "-e", program], input=json.dumps(entries), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _embedded(report: Path) -> list[dict]:
    text = report.read_text()
    match = re.search(r'<script type="application/json" id="wb-signatures">(.*?)</script>', text, re.S)
    assert match, "the report embeds its signatures"
    return json.loads(match.group(1))


def test_the_report_lists_and_verifies_every_signature_offline(
    governed: Workspace, trained_small: Trained, tmp_path: Path
) -> None:
    workspace, keys = make_keyed(
        governed,
        tmp_path / "keys",
        {"ana": ["author"], "reviewer-a": ["approver"], "reviewer-b": ["approver"]},
    )
    ref = _register(workspace, trained_small, keys["ana"])
    run_checks(workspace, ref)
    approve(workspace, ref, "fair enough", key=keys["reviewer-a"])
    approve(workspace, ref, "<b>checked</b>", key=keys["reviewer-b"])
    promote(workspace, ref, "production", key=keys["reviewer-b"])
    report = write_report(workspace, ref, workspace.project.root / "reports" / "audit.html")

    entries = _embedded(report)
    whats = [e["what"] for e in entries]
    assert whats[0] == "model artifacts (OpenSSF model-signing)"
    assert whats.count(f"approve of {ref}") == 2 and "promotion to production" in whats
    assert "adoption of roster" in whats and "adoption of policy:admissions" in whats
    assert all(e["verified"] for e in entries), [e["problem"] for e in entries if not e["verified"]]
    assert [r["ok"] for r in _browser_check(entries)] == [True] * len(entries)
    text = report.read_text()
    assert "&lt;b&gt;checked&lt;/b&gt;" in text and "<b>checked</b>" not in text  # the comment is escaped

    # one changed byte in any signed message fails in the browser
    tampered = [dict(e) for e in entries]
    message = bytearray(base64.b64decode(tampered[1]["message"]))
    message[-3] ^= 1
    tampered[1]["message"] = base64.b64encode(bytes(message)).decode()
    results = _browser_check(tampered)
    assert results[1]["ok"] is False and all(r["ok"] for i, r in enumerate(results) if i != 1)


def test_ed25519_statements_verify_in_the_browser_too(tmp_path: Path) -> None:
    from workbench.core.statements import Statement

    key = init_key(tmp_path / "ed", key_type="ed25519")
    roster = parse_roster({"ben": {"key": key.public_line, "roles": ["approver"]}})
    statement = Statement("model.approve", "model:m:1", {"decision": "approve"}, "ben", "2026-12-07T00:00:00Z")
    entry = _statement_entry("approve of m:1", key.sign(statement).to_dict(), [roster])
    assert entry is not None and entry.verified and entry.algorithm == "Ed25519"
    [result] = _browser_check([entry.to_dict()])
    assert result["ok"] is True
