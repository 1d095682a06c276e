"""Scoring jobs and the review queue through a real server: submit, follow, log, cancel, decide."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.rest import call, post


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


SUBMIT = {"model": "admissions:1", "input": "data/applicants.parquet", "output": "scores/applicants.parquet"}


async def _wait_for_job(jp_fetch: Any, job_id: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code, job = await call(jp_fetch, "jobs", job_id)
        assert code == 200, job
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s}s")


@pytest.mark.slow
async def test_a_job_runs_detached_then_its_review_items_are_decided(
    jp_fetch, jp_root_dir: Path, api_schema, server_user: str
) -> None:
    started = time.monotonic()
    code, job = await call(jp_fetch, "jobs", **post(SUBMIT))
    assert code == 202, job
    assert time.monotonic() - started < 10
    api_schema(job, "Job")
    assert (job["status"], job["actor"], job["model_ref"]) == ("queued", server_user, "admissions:1")

    done = await _wait_for_job(jp_fetch, job["id"])

    assert done["status"] == "succeeded", done["error"]
    assert done["rows_done"] == done["rows_total"] == 400
    assert (jp_root_dir / "scores" / "applicants.parquet").is_file()
    code, listing = await call(jp_fetch, "jobs")
    api_schema(listing, "JobList")
    code, log = await call(jp_fetch, "jobs", job["id"][:8], "log")
    api_schema(log, "LogResponse")
    assert log["path"].startswith(".workbench/jobs/")

    code, queue = await call(jp_fetch, "review", "items", params={"job": job["id"]})
    api_schema(queue, "ReviewItemList")
    assert queue["items"], "the routing thresholds send some rows to review"
    item = queue["items"][0]
    agree = item["leaning"] if item["leaning"] in ("accept", "decline") else "accept"
    code, decided = await call(jp_fetch, "review", "items", str(item["id"]), "decisions", **post({"decision": agree}))
    assert code == 201, decided
    api_schema(decided, "ReviewItem")
    assert (decided["status"], decided["decided_by"], decided["override"]) == ("decided", server_user, False)

    code, again = await call(jp_fetch, "review", "items", str(item["id"]), "decisions", **post({"decision": agree}))
    assert (code, again["error"]) == (409, "Conflict")
    code, cancel = await call(jp_fetch, "jobs", job["id"], method="PATCH", body='{"status": "cancelled"}')
    assert (code, cancel["error"]) == (409, "Conflict")

    leaning = [i for i in queue["items"][1:] if i["leaning"] in ("accept", "decline")]
    if leaning:
        other = "decline" if leaning[0]["leaning"] == "accept" else "accept"
        code, refused = await call(
            jp_fetch, "review", "items", str(leaning[0]["id"]), "decisions", **post({"decision": other})
        )
        assert (code, refused["error"]) == (400, "ValidationError")
        assert "overrides the model" in refused["message"]


@pytest.mark.slow
async def test_a_submitted_job_can_be_cancelled(jp_fetch, api_schema) -> None:
    code, job = await call(jp_fetch, "jobs", **post({**SUBMIT, "output": "scores/cancelled.parquet"}))
    assert code == 202

    code, cancelled = await call(jp_fetch, "jobs", job["id"], method="PATCH", body='{"status": "cancelled"}')

    assert code == 202, cancelled
    api_schema(cancelled, "Job")
    # Queued: cancelled at once. Running: asked to stop after its batch (a tiny job may finish first).
    assert cancelled["status"] == "cancelled" or cancelled["cancel_requested"]
    done = await _wait_for_job(jp_fetch, job["id"])
    assert done["status"] in ("cancelled", "succeeded")


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({**SUBMIT, "model": "nosuch:1"}, 404, "NotFound"),
        ({**SUBMIT, "input": "../../etc/passwd"}, 400, "ValidationError"),
        ({**SUBMIT, "engine": "spark"}, 400, "ValidationError"),
        ({"model": "admissions:1"}, 400, "ValidationError"),
        ({**SUBMIT, "top_k": "three"}, 400, "ValidationError"),
    ],
    ids=["unknown-model", "traversal", "engine", "missing-paths", "wrong-type"],
)
async def test_bad_submissions(jp_fetch, body: dict[str, Any], status: int, error: str) -> None:
    code, answer = await call(jp_fetch, "jobs", **post(body))

    assert (code, answer["error"]) == (status, error)


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "error"),
    [
        (("jobs", "abcdef12"), {}, 404, "NotFound"),
        (("jobs",), {"params": {"status": "exploded"}}, 400, "ValidationError"),
        (("review", "items"), {"params": {"status": "maybe"}}, 400, "ValidationError"),
        (("review", "items", "999", "decisions"), post({"decision": "accept"}), 404, "NotFound"),
        (("review", "items", "1", "decisions"), post({"decision": "maybe"}), 400, "ValidationError"),
    ],
)
async def test_lookup_errors(jp_fetch, path: tuple[str, ...], kwargs: dict, status: int, error: str) -> None:
    code, body = await call(jp_fetch, *path, **kwargs)

    assert (code, body["error"]) == (status, error)


async def test_an_empty_queue_is_an_empty_list(jp_fetch, api_schema) -> None:
    code, body = await call(jp_fetch, "review", "items")

    assert (code, body) == (200, {"items": [], "next_cursor": None, "total": 0})


async def test_a_job_body_with_keep_names_the_missing_columns(jp_fetch, api_schema) -> None:
    body = {**SUBMIT, "keep": ["region", "no_such_column"]}
    api_schema(body, "JobRequest")
    code, error = await call(jp_fetch, "jobs", **post(body))
    assert code == 400, error
    assert "--keep names column(s) ['no_such_column'] that the input" in error["message"]
    code, error = await call(jp_fetch, "jobs", **post({**SUBMIT, "keep": "region"}))
    assert code == 400 and "`keep` must be a list of strings" in error["message"]
