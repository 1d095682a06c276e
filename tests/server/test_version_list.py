"""The version list through a real server is never stale: each change shows in the next answer,
although the list's pages are cached (the cache is keyed by what they are computed from)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


async def _chips(jp_fetch: Any, api_schema: Any) -> dict[str, Any]:
    response = await jp_fetch("workbench", "api", "models", "admissions", "versions")
    body = json.loads(response.body)
    api_schema(body, "VersionList")
    (row,) = body["versions"]
    return row


async def _post(jp_fetch: Any, *path: str, body: str = "") -> None:
    response = await jp_fetch(
        "workbench", "api", "models", "admissions", "versions", "1", *path, method="POST", body=body
    )
    assert response.code == 201


async def test_checks_approvals_promotion_and_edits_show_at_once(jp_fetch, jp_root_dir: Path, api_schema) -> None:
    first = await _chips(jp_fetch, api_schema)
    assert (first["checks_total"], first["approvals"], first["promotable"]) == (0, 0, False)
    assert await _chips(jp_fetch, api_schema) == first  # served again, from the cache

    await _post(jp_fetch, "checks")
    checked = await _chips(jp_fetch, api_schema)
    assert checked["checks_total"] > 0 and checked["checks_failed"] == 0

    await _post(jp_fetch, "decisions", body=json.dumps({"decision": "approve", "comment": "fine"}))
    approved = await _chips(jp_fetch, api_schema)
    assert (approved["approvals"], approved["approvals_required"], approved["promotable"]) == (1, 1, True)

    await jp_fetch(
        "workbench", "api", "models", "admissions", "aliases", "production", method="PUT", body='{"version": 1}'
    )
    assert (await _chips(jp_fetch, api_schema))["aliases"] == ["production"]

    policy = jp_root_dir / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text().replace("required: 1", "required: 2"))
    stricter = await _chips(jp_fetch, api_schema)
    assert (stricter["approvals_required"], stricter["promotable"]) == (2, False)

    roles = jp_root_dir / "workbench.toml"
    roles.write_text(roles.read_text().replace("approver = [", "reviewer = ["))
    assert (await _chips(jp_fetch, api_schema))["approvals"] == 0
