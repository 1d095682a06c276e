"""Every endpoint refuses a request without a valid token (403), and the authorizer is consulted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

SPEC = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "workbench" / "server" / "openapi.yaml").read_text(encoding="utf-8")
)
SAMPLES = {
    "name": "admissions",
    "version": "1",
    "alias": "production",
    "id": "abcd1234" * 4,
    "stage": "score",
    "artifact": "model",
}
OPERATIONS = [
    (verb.upper(), path)
    for path, operations in SPEC["paths"].items()
    for verb in operations
    if verb in ("get", "post", "put", "patch", "delete")
]


def _url_parts(path: str) -> list[str]:
    concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], path)
    return concrete.strip("/").split("/")


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("authorization", ["", "token wrong"], ids=["no-token", "bad-token"])
async def test_every_operation_needs_a_token(jp_fetch, method: str, path: str, authorization: str) -> None:
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            *_url_parts(path),
            method=method,
            body=body,
            headers={"Authorization": authorization},
            allow_nonstandard_methods=True,
        )

    assert caught.value.code == 403
    assert json.loads(caught.value.response.body)["error"] == "Forbidden"


class ReadOnlyModels(Authorizer):
    """Lets everyone read, but nobody write to ``workbench:models``."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "workbench:models" and action == "write")


class TestTheAuthorizer:
    @pytest.fixture
    def jp_root_dir(self, governed_root: Path) -> Path:
        return governed_root

    @pytest.fixture
    def jp_server_config(self, workbench_server_config) -> dict[str, Any]:
        config = workbench_server_config()
        config["ServerApp"]["authorizer_class"] = ReadOnlyModels
        return config

    async def test_denies_with_403_by_resource_and_action(self, jp_fetch) -> None:
        listing = await jp_fetch("workbench", "api", "models")
        assert listing.code == 200

        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch(
                "workbench",
                "api",
                "models",
                "admissions",
                "versions",
                "1",
                "decisions",
                method="POST",
                body=json.dumps({"decision": "approve"}),
            )

        assert caught.value.code == 403
        assert "workbench:models" in json.loads(caught.value.response.body)["message"]
