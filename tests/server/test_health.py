"""``GET /workbench/api/health`` through a real Jupyter server: token required, 403 without."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from workbench._version import __version__


async def test_health_answers_with_token(jp_fetch, jp_root_dir: Path, server_user: str) -> None:
    response = await jp_fetch("workbench", "api", "health")

    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == {
        "version": __version__,
        "user": server_user,
        "roles": ["approver"],
        "project_root": str(jp_root_dir.resolve()),
        "db_backend": "sqlite",
        "hint": None,
        "identity_source": "server",
        "scheduler": False,
    }
    # The first request created and migrated the embedded database.
    assert (jp_root_dir / ".workbench" / "workbench.db").is_file()


@pytest.mark.parametrize("authorization", ["", "token not-the-token"], ids=["no-token", "wrong-token"])
async def test_health_refuses_without_a_valid_token(jp_fetch, authorization: str) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "health", headers={"Authorization": authorization})

    assert caught.value.code == 403
    body = json.loads(caught.value.response.body)
    assert body["error"] == "Forbidden"
    assert "version" not in body


async def test_the_identity_is_the_server_user_not_the_environment(jp_fetch, monkeypatch, server_user: str) -> None:
    monkeypatch.setenv("WORKBENCH_USER", "someone-else@example.org")

    response = await jp_fetch("workbench", "api", "health")

    assert json.loads(response.body)["user"] == server_user
