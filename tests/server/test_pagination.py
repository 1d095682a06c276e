"""Cursor pagination of the version list and the review queue, through a real server.

Following ``next_cursor`` from the first page lists every item exactly once, in a stable
order, also while items are added or decided between pages; a cursor the list did not
hand out is a 400.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.versions import register_copies
from workbench.core.values import Identity
from workbench.project.config import load_project
from workbench.project.workspace import Workspace
from workbench.server.cursors import encode_cursor
from workbench.store.schema import jobs, review_items

ANALYST = "analyst@example.org"


async def _get(jp_fetch: Any, *path: str, **params: Any) -> dict[str, Any]:
    response = await jp_fetch("workbench", "api", *path, params=params)
    assert response.code == 200
    return json.loads(response.body)


async def _refused(jp_fetch: Any, *path: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", *path, params=params)
    assert caught.value.code == 400
    return json.loads(caught.value.response.body)


async def _all_pages(jp_fetch: Any, path: tuple[str, ...], key: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following ``next_cursor`` from ``params`` (which may hold a first cursor)."""
    pages = []
    while True:
        body = await _get(jp_fetch, *path, **params)
        pages.append(body[key])
        if body["next_cursor"] is None:
            return pages
        params["cursor"] = body["next_cursor"]


# --- a model's versions ------------------------------------------------------------------


def _author(root: Path) -> Workspace:
    project = load_project(root)
    return Workspace(project, Identity(ANALYST, "env", project.roles_of(ANALYST)))


def _register_copies(root: Path, count: int) -> None:
    register_copies(_author(root), count)


class TestVersions:
    @pytest.fixture
    def jp_root_dir(self, governed_root: Path) -> Path:
        _register_copies(governed_root, 6)
        return governed_root

    async def test_pages_list_every_version_once_newest_first(self, jp_fetch, api_schema) -> None:
        pages = await _all_pages(jp_fetch, ("models", "admissions", "versions"), "versions", limit=3)

        assert [len(page) for page in pages] == [3, 3, 1]
        numbers = [row["version"] for page in pages for row in page]
        assert numbers == [7, 6, 5, 4, 3, 2, 1]
        api_schema({"versions": pages[0], "next_cursor": None}, "VersionList")

    async def test_a_version_registered_while_paging_is_neither_repeated_nor_skipping_others(
        self, jp_fetch, jp_root_dir: Path
    ) -> None:
        first = await _get(jp_fetch, "models", "admissions", "versions", limit=4)
        _register_copies(jp_root_dir, 1)
        rest = await _get(jp_fetch, "models", "admissions", "versions", limit=4, cursor=first["next_cursor"])

        assert [row["version"] for row in first["versions"] + rest["versions"]] == [7, 6, 5, 4, 3, 2, 1]
        assert rest["next_cursor"] is None
        newest = await _get(jp_fetch, "models", "admissions", "versions", limit=1)
        assert newest["versions"][0]["version"] == 8

    async def test_without_limit_a_page_holds_up_to_100(self, jp_fetch) -> None:
        body = await _get(jp_fetch, "models", "admissions", "versions")

        assert (len(body["versions"]), body["next_cursor"]) == (7, None)

    @pytest.mark.parametrize(
        "cursor",
        ["not-a-cursor", encode_cursor("review", 3), "eyJsaXN0IjoidmVyc2lvbnMiLCJhZnRlciI6LTF9", "x" * 300],
        ids=["garbage", "another-list", "negative-key", "too-long"],
    )
    async def test_a_cursor_it_did_not_hand_out_is_a_400(self, jp_fetch, cursor: str) -> None:
        body = await _refused(jp_fetch, "models", "admissions", "versions", cursor=cursor)

        assert body["error"] == "ValidationError"
        assert "cursor" in body["message"]

    async def test_a_page_size_out_of_range_is_a_400(self, jp_fetch) -> None:
        body = await _refused(jp_fetch, "models", "admissions", "versions", limit=501)

        assert "between 1 and 500" in body["message"]


# --- the review queue ------------------------------------------------------------------------


def _add_review_items(root: Path, job_id: str, count: int, *, decided_every: int = 0) -> list[int]:
    """``count`` review items of a succeeded job, written straight into the store's tables."""
    project = load_project(root)
    workspace = Workspace(project, Identity(ANALYST, "env", ()))
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with workspace.transaction() as tx:
        if tx.conn.execute(jobs.select().where(jobs.c.id == job_id)).first() is None:
            job = {"kind": "score", "name": "admissions", "version": 1, "options": {}, "status": "succeeded"}
            tx.conn.execute(jobs.insert().values(id=job_id, created_at=now, actor=ANALYST, **job))
        rows = [
            {
                "job_id": job_id,
                "row_key": f"A-{index}",
                "score": 0.5,
                "leaning": "accept",
                "reasons": [],
                "status": "decided" if decided_every and index % decided_every == 0 else "open",
                "created_at": now,
            }
            for index in range(count)
        ]
        result = tx.conn.execute(review_items.insert().returning(review_items.c.id), rows)
        return sorted(row.id for row in result)


class TestReviewItems:
    async def test_pages_list_every_item_once_oldest_first(self, jp_fetch, jp_root_dir: Path, api_schema) -> None:
        ids = _add_review_items(jp_root_dir, "a" * 32, 23)

        pages = await _all_pages(jp_fetch, ("review", "items"), "items", limit=5)

        assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
        assert [item["id"] for page in pages for item in page] == ids
        api_schema({"items": pages[-1], "next_cursor": None, "total": 23}, "ReviewItemList")

    async def test_total_counts_every_page_and_version_filters(self, jp_fetch, jp_root_dir: Path, api_schema) -> None:
        _add_review_items(jp_root_dir, "a" * 32, 10, decided_every=3)  # items 0, 3, 6, 9 decided: 6 open

        first = await _get(jp_fetch, "review", "items", limit=2)
        api_schema(first, "ReviewItemList")
        assert len(first["items"]) == 2 and first["total"] == 6
        assert (await _get(jp_fetch, "review", "items", limit=2, status="all", version=1))["total"] == 10
        other = await _get(jp_fetch, "review", "items", version=2)
        assert other["items"] == [] and other["total"] == 0
        assert (await _get(jp_fetch, "review", "items", limit=3, offset=2))["total"] == 6

    async def test_filters_hold_across_pages(self, jp_fetch, jp_root_dir: Path) -> None:
        first = _add_review_items(jp_root_dir, "a" * 32, 10, decided_every=3)
        second = _add_review_items(jp_root_dir, "b" * 32, 10)

        open_pages = await _all_pages(jp_fetch, ("review", "items"), "items", limit=4)
        job_pages = await _all_pages(jp_fetch, ("review", "items"), "items", limit=4, job="b" * 32, status="all")
        every = await _all_pages(jp_fetch, ("review", "items"), "items", limit=7, status="all")

        assert all(item["status"] == "open" for page in open_pages for item in page)
        assert len([item for page in open_pages for item in page]) == 20 - 4
        assert [item["id"] for page in job_pages for item in page] == second
        assert [item["id"] for page in every for item in page] == first + second

    async def test_items_added_or_decided_between_pages_never_repeat_or_skip(self, jp_fetch, jp_root_dir: Path) -> None:
        ids = _add_review_items(jp_root_dir, "a" * 32, 6)
        first = await _get(jp_fetch, "review", "items", limit=3)
        await jp_fetch(
            "workbench",
            "api",
            "review",
            "items",
            str(ids[4]),
            "decisions",
            method="POST",
            body='{"decision": "accept"}',
        )
        added = _add_review_items(jp_root_dir, "a" * 32, 2)
        rest = await _all_pages(jp_fetch, ("review", "items"), "items", limit=3, cursor=first["next_cursor"])

        listed = [item["id"] for item in first["items"]] + [item["id"] for page in rest for item in page]
        assert listed == [*ids[:4], ids[5], *added]

    async def test_offset_still_works_up_to_10000(self, jp_fetch, jp_root_dir: Path) -> None:
        ids = _add_review_items(jp_root_dir, "a" * 32, 8)

        body = await _get(jp_fetch, "review", "items", limit=3, offset=2)
        following = await _get(jp_fetch, "review", "items", limit=3, cursor=body["next_cursor"])

        assert [item["id"] for item in body["items"] + following["items"]] == ids[2:8]
        assert "10000" in (await _refused(jp_fetch, "review", "items", offset=10_001))["message"]

    async def test_cursor_and_offset_together_are_a_400(self, jp_fetch, jp_root_dir: Path) -> None:
        body = await _refused(jp_fetch, "review", "items", offset=2, cursor=encode_cursor("review", 1))

        assert "either `cursor` or `offset`" in body["message"]

    async def test_a_versions_cursor_is_refused_here(self, jp_fetch) -> None:
        body = await _refused(jp_fetch, "review", "items", cursor=encode_cursor("versions", 10))

        assert body["error"] == "ValidationError"
