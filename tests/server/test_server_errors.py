"""Errors become JSON ``{error, message, details}`` with the WorkbenchError's status, never a bare 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError
from tornado.web import HTTPError

from workbench.core.errors import Conflict, NotFound, PromotionBlocked, ValidationError
from workbench.server.base import error_body


async def test_a_corrupt_database_is_a_409_with_the_error_class(jp_fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / ".workbench" / "workbench.db").write_bytes(b"this is not a database" * 10)

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "health")

    assert caught.value.code == 409
    body = json.loads(caught.value.response.body)
    assert body["error"] == "DatabaseCorrupt"
    assert "not a SQLite database" in body["message"]
    assert set(body) == {"error", "message", "details"}


async def test_an_unknown_endpoint_is_a_json_404(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "no-such-thing", method="POST", body="{}")

    assert caught.value.code == 404
    body = json.loads(caught.value.response.body)
    assert body["error"] == "NotFound"
    assert "/workbench/api/no-such-thing" in body["message"]


async def test_an_unknown_endpoint_without_a_token_is_403_not_404(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "no-such-thing", headers={"Authorization": ""})

    assert caught.value.code == 403


@pytest.mark.parametrize(
    ("error", "status"),
    [(ValidationError("bad"), 400), (PromotionBlocked("no"), 409), (NotFound("gone"), 404), (Conflict("x"), 409)],
)
def test_workbench_errors_keep_their_class_and_details(error: Exception, status: int) -> None:
    body = error_body(500, error).to_dict()

    assert body == {"error": type(error).__name__, "message": str(error), "details": None}
    assert error.http_status == status


def test_http_errors_and_unexpected_errors_share_the_shape() -> None:
    assert error_body(403, HTTPError(403, "User is not authorized")).to_dict() == {
        "error": "Forbidden",
        "message": "User is not authorized",
        "details": None,
    }
    unexpected = error_body(500, RuntimeError("secret internals")).to_dict()
    assert unexpected["error"] == "InternalServerError"
    assert "secret" not in unexpected["message"]
