"""Who acts: the authenticated user, except on jupyter_server's default provider (a single-user lab)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.serverapp import ServerApp


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    """No identity_provider_class: jupyter_server's default, whose token user is a generated id."""
    server: dict[str, Any] = {"jpserver_extensions": {"workbench": True}}
    if "allow_unauthenticated_access" in ServerApp.class_trait_names():
        server["allow_unauthenticated_access"] = False
    return {"ServerApp": server}


async def test_a_single_user_lab_acts_as_the_local_identity(jp_fetch, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_USER", "reviewer@example.org")

    body = json.loads((await jp_fetch("workbench", "api", "health")).body)

    # WORKBENCH_USER names the person (git's user.email or the OS login otherwise), with the project's roles.
    assert (body["user"], body["identity_source"], body["roles"]) == ("reviewer@example.org", "env", ["approver"])
