"""The audit log through a real server: events with filters, and the chain status."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


async def _get(jp_fetch: Any, *path: str, **params: Any) -> Any:
    response = await jp_fetch("workbench", "api", *path, params=params)
    return json.loads(response.body)


async def test_events_newest_first_with_filters(jp_fetch, api_schema) -> None:
    await jp_fetch("workbench", "api", "models", "admissions", "versions", "1", "checks", method="POST", body="")

    everything = await _get(jp_fetch, "audit", "events")
    api_schema(everything, "AuditEventList")
    seqs = [event["seq"] for event in everything["events"]]
    assert seqs == sorted(seqs, reverse=True)
    assert everything["events"][0]["action"] == "model.check"

    by_action = await _get(jp_fetch, "audit", "events", action="model.register")
    assert [e["action"] for e in by_action["events"]] == ["model.register"]
    by_actor = await _get(jp_fetch, "audit", "events", actor="analyst@example.org", limit=1)
    assert len(by_actor["events"]) == 1
    assert by_actor["events"][0]["actor"] == "analyst@example.org"
    by_subject = await _get(jp_fetch, "audit", "events", subject_prefix="model:admissions")
    assert by_subject["events"]
    assert all(e["subject"].startswith("model:admissions") for e in by_subject["events"])


async def test_the_chain_verifies(jp_fetch, api_schema) -> None:
    report = await _get(jp_fetch, "audit", "verification")

    api_schema(report, "ChainReport")
    assert report["ok"] is True
    assert report["count"] == report["head_seq"] >= 1


async def test_a_tampered_chain_is_broken_at_its_seq(jp_fetch, jp_root_dir: Path) -> None:
    with sqlite3.connect(jp_root_dir / ".workbench" / "workbench.db") as conn:
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1")

    report = await _get(jp_fetch, "audit", "verification")

    assert (report["ok"], report["broken_at"], report["problem"]) == (False, 1, "edited")


async def test_a_bad_limit_is_400(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "audit", "events", params={"limit": "0"})

    assert caught.value.code == 400
