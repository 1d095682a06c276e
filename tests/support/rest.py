"""Calling the workbench REST API through pytest-jupyter's ``jp_fetch``, errors included."""

from __future__ import annotations

import json
from typing import Any

from tornado.httpclient import HTTPClientError

__all__ = ["call", "post"]


async def call(jp_fetch: Any, *path: str, **kwargs: Any) -> tuple[int, Any]:
    """``/workbench/api/<path>``'s status and JSON body, for an error status too."""
    try:
        response = await jp_fetch("workbench", "api", *path, **kwargs)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body) if response.body else None


def post(body: Any) -> dict[str, Any]:
    """``jp_fetch`` arguments that POST ``body`` as JSON."""
    return {"method": "POST", "body": json.dumps(body)}
