"""Request bodies the JSON parser would choke on, or read as numbers JSON does not have, get 400.

Deeply nested JSON made ``json.loads`` raise RecursionError (a 500), and Python's json
reads ``NaN`` and ``Infinity``, which then broke ``int(top_k)`` (another 500). Each is now a
400 with the ErrorBody saying what was wrong, through a real server and in ``parse_body``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from workbench.core.errors import ValidationError
from workbench.server.requests import MAX_DEPTH, ScoreBody, parse_body, read_json


async def _refusal(jp_fetch: Any, body: bytes | str, *path: str) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", *(path or ("jobs",)), method="POST", body=body)
    assert caught.value.code == 400
    answer = json.loads(caught.value.response.body)
    assert set(answer) == {"error", "message", "details"}
    assert answer["error"] == "ValidationError"
    return answer


def _nested(depth: int) -> str:
    return '{"model": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
async def test_a_non_finite_number_is_a_400(jp_fetch, constant: str) -> None:
    body = f'{{"model": "admissions:1", "input": "a.parquet", "output": "b.parquet", "top_k": {constant}}}'

    answer = await _refusal(jp_fetch, body)

    assert f"non-finite number {constant}" in answer["message"]
    assert answer["details"] == {"value": constant}


async def test_json_nested_100k_deep_is_a_400_not_a_recursion_error(jp_fetch) -> None:
    answer = await _refusal(jp_fetch, _nested(100_000))

    assert f"more than {MAX_DEPTH} levels deep" in answer["message"]


async def test_json_nested_just_past_the_limit_is_a_400(jp_fetch) -> None:
    answer = await _refusal(jp_fetch, _nested(MAX_DEPTH), "models", "admissions", "versions", "1", "decisions")

    assert answer["details"] == {"limit": MAX_DEPTH}


async def test_a_huge_integer_is_a_400(jp_fetch) -> None:
    answer = await _refusal(jp_fetch, '{"top_k": ' + "9" * 5000 + "}")

    assert "not valid JSON" in answer["message"]


def test_nesting_up_to_the_limit_is_accepted() -> None:
    # The body object is level 1, so MAX_DEPTH - 1 lists fit inside it.
    body = read_json(_nested(MAX_DEPTH - 1).encode())

    assert "model" in body


@pytest.mark.parametrize(
    "raw",
    [
        b'{"top_k": NaN}',
        b'{"top_k": [1, {"x": Infinity}]}',
        b"[" * 200_000 + b"]" * 20_000,
        b'{"a": ' * 40 + b"1" + b"}" * 40,
        b"[" * 40 + b"]" * 40,
    ],
    ids=["nan", "nested-infinity", "unbalanced-200k", "objects-40", "top-level-array-40"],
)
def test_parse_body_refuses_with_a_validation_error(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_body(raw, ScoreBody)


def test_finite_numbers_pass_unchanged() -> None:
    body = parse_body(
        b'{"top_k": 3, "overwrite": true, "device": "cpu", "input": "x", "model": "m:1", "output": "y"}', ScoreBody
    )

    assert body.top_k == 3
