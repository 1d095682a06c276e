"""Models, versions and governance through a real server: list, review state, decisions, gate, history."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


async def _json(jp_fetch: Any, *path: str, **kwargs: Any) -> Any:
    response = await jp_fetch("workbench", "api", *path, **kwargs)
    return response.code, json.loads(response.body) if response.body else None


async def _error(jp_fetch: Any, *path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", *path, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_models_lists_the_registered_model(jp_fetch, api_schema) -> None:
    code, body = await _json(jp_fetch, "models")

    assert code == 200
    api_schema(body, "ModelList")
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in body["models"]] == [("admissions", 1, {})]


async def test_versions_carry_their_status_chips(jp_fetch, api_schema) -> None:
    code, body = await _json(jp_fetch, "models", "admissions", "versions")

    assert code == 200
    api_schema(body, "VersionList")
    (row,) = body["versions"]
    assert row["ref"] == "admissions:1"
    assert (row["checks_total"], row["approvals"], row["approvals_required"], row["promotable"]) == (0, 0, 1, False)


async def test_review_state_says_why_buttons_are_disabled(jp_fetch, api_schema, server_user: str) -> None:
    code, body = await _json(jp_fetch, "models", "admissions", "versions", "1")

    assert code == 200
    api_schema(body, "ReviewState")
    assert body["user"] == server_user
    assert body["version"]["author"] == "analyst@example.org"
    assert body["actions"]["approve"] == {
        "allowed": False,
        "reason": "Checks have not been run for admissions:1 under the current policy; "
        "run `workbench check admissions:1` first.",
    }
    assert body["actions"]["reject"]["allowed"] is True
    assert body["actions"]["promote"]["allowed"] is False
    assert "checks have not been run" in body["actions"]["promote"]["reason"]


async def test_checks_then_approval_then_promotion(jp_fetch, api_schema, server_user: str) -> None:
    code, blocked = await _error(
        jp_fetch, "models", "admissions", "aliases", "production", method="PUT", body=json.dumps({"version": 1})
    )
    assert code == 409
    api_schema(blocked, "ErrorBody")
    assert blocked["error"] == "PromotionBlocked"
    assert any("needs 1 approvals" in reason for reason in blocked["details"])

    code, report = await _json(jp_fetch, "models", "admissions", "versions", "1", "checks", method="POST", body="")
    assert code == 201
    api_schema(report, "CheckReport")
    assert report["passed"] is True

    code, decision = await _json(
        jp_fetch,
        "models",
        "admissions",
        "versions",
        "1",
        "decisions",
        method="POST",
        body=json.dumps({"decision": "approve", "comment": "looks right"}),
    )
    assert code == 201
    api_schema(decision, "Decision")
    assert (decision["actor"], decision["decision"]) == (server_user, "approve")

    code, move = await _json(
        jp_fetch,
        "models",
        "admissions",
        "aliases",
        "production",
        method="PUT",
        body=json.dumps({"version": 1, "reason": "first release"}),
    )
    assert code == 200
    api_schema(move, "AliasMove")
    assert (move["to_version"], move["actor"], move["reason"]) == (1, server_user, "first release")

    code, history = await _json(jp_fetch, "models", "admissions", "alias-history", params={"alias": "production"})
    api_schema(history, "AliasHistory")
    assert [entry["to_version"] for entry in history["history"]] == [1]

    code, versions = await _json(jp_fetch, "models", "admissions", "versions")
    assert versions["versions"][0]["aliases"] == ["production"]
    assert versions["versions"][0]["approvals"] == 1


async def test_two_tabs_approving_at_once_record_one_approval(jp_fetch, jp_root_dir: Path) -> None:
    await jp_fetch("workbench", "api", "models", "admissions", "versions", "1", "checks", method="POST", body="")
    body = json.dumps({"decision": "approve"})

    async def click() -> int:
        try:
            response = await jp_fetch(
                "workbench", "api", "models", "admissions", "versions", "1", "decisions", method="POST", body=body
            )
        except HTTPClientError as exc:
            return exc.code
        return response.code

    codes = await asyncio.gather(click(), click(), click())

    assert sorted(codes) == [201, 409, 409]
    _, state = await _json(jp_fetch, "models", "admissions", "versions", "1")
    assert len(state["version"]["decisions"]) == 1


async def test_rejection_needs_a_comment(jp_fetch) -> None:
    code, body = await _error(
        jp_fetch,
        "models",
        "admissions",
        "versions",
        "1",
        "decisions",
        method="POST",
        body=json.dumps({"decision": "reject"}),
    )

    assert (code, body["error"]) == (400, "ValidationError")
    assert "needs a comment" in body["message"]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        (("models", "nosuch", "versions"), 404, "NotFound"),
        (("models", "admissions", "versions", "7"), 404, "NotFound"),
        (("models", "bad name!", "versions", "1"), 400, "InvalidReference"),
        (("models", "admissions", "versions", "1", "drift-report"), 200, None),
    ],
)
async def test_lookups(jp_fetch, path: tuple[str, ...], status: int, error: str | None) -> None:
    if error is None:
        response = await jp_fetch("workbench", "api", *path)
        assert response.code == status
        assert response.headers["Content-Type"].startswith("text/html")
        assert "sandbox allow-scripts" in response.headers["Content-Security-Policy"]
        assert b"<html" in response.body[:2000].lower()
        return
    code, body = await _error(jp_fetch, *path)
    assert (code, body["error"]) == (status, error)


async def test_an_unprotected_alias_is_refused_with_the_protected_ones(jp_fetch) -> None:
    code, body = await _error(
        jp_fetch, "models", "admissions", "aliases", "prodution", method="PUT", body=json.dumps({"version": 1})
    )

    assert code == 400
    assert "Did you mean 'production'" in body["message"]


async def test_audit_report_is_written_inside_the_project_and_downloads(
    jp_fetch, jp_root_dir: Path, api_schema
) -> None:
    code, body = await _json(jp_fetch, "models", "admissions", "versions", "1", "reports", method="POST", body="{}")

    assert code == 201
    api_schema(body, "ReportResponse")
    assert body["path"] == "reports/admissions-v1-audit-report.html"
    assert body["lab_path"] == body["path"]
    assert (jp_root_dir / body["path"]).is_file()
    download = await jp_fetch("workbench", "api", "reports", params={"path": body["path"]})
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert b"admissions:1" in download.body


@pytest.mark.parametrize("path", ["../outside.html", "/etc/passwd.html", "reports/x.txt"])
async def test_report_paths_stay_inside_the_project(jp_fetch, path: str) -> None:
    code, body = await _error(
        jp_fetch, "models", "admissions", "versions", "1", "reports", method="POST", body=json.dumps({"path": path})
    )

    assert (code, body["error"]) == (400, "ValidationError")


class TestANonApprover:
    """The same server, but the token's user is not in the approver role."""

    @pytest.fixture
    def jp_server_config(self, workbench_server_config) -> dict[str, Any]:
        return workbench_server_config(user="outsider@example.org")

    async def test_gets_403_on_approve(self, jp_fetch) -> None:
        await jp_fetch("workbench", "api", "models", "admissions", "versions", "1", "checks", method="POST", body="")

        code, body = await _error(
            jp_fetch,
            "models",
            "admissions",
            "versions",
            "1",
            "decisions",
            method="POST",
            body=json.dumps({"decision": "approve"}),
        )

        assert (code, body["error"]) == (403, "PermissionDenied")
        assert "is not an approver" in body["message"]
