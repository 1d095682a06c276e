"""Scoring paths through REST: the same resolver and overwrite guard as the CLI and the kernel.

Any authenticated user may submit a job, approver or not; none of them may point it at
the project's own folders or outside the project.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and "-wal" not in p.name and "-shm" not in p.name
    }


SUBMIT = {"model": "admissions:1", "input": "data/applicants.parquet", "output": "scores/applicants.parquet"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"output": ".", "overwrite": True}, "it is the project root"),
        ({"output": "notebooks", "overwrite": True}, "has no manifest"),
        ({"output": ".workbench", "overwrite": True}, ".workbench folder"),
        ({"output": "local:///tmp/wb-outside", "overwrite": True}, "outside the project"),
        ({"output": "simplecache::file:///tmp/wb-outside.parquet", "overwrite": True}, "outside the project"),
        ({"input": "local:///etc/hosts"}, "outside the project"),
        ({"input": "simplecache::file:///etc/hosts"}, "outside the project"),
        ({"input": "s3://bucket/x.parquet"}, "allowed_protocols"),
    ],
)
async def test_rest_submissions_cannot_reach_protected_or_outside_paths(
    jp_fetch: Any, jp_root_dir: Path, change: dict[str, Any], reason: str
) -> None:
    (jp_root_dir / "notebooks").mkdir(exist_ok=True)
    (jp_root_dir / "notebooks" / "analysis.ipynb").write_text("{}")
    before = snapshot(jp_root_dir)
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("workbench", "api", "jobs", method="POST", body=json.dumps({**SUBMIT, **change}))
    body = json.loads(raised.value.response.body)
    assert raised.value.code == 400 and body["error"] == "ValidationError", body
    assert reason in body["message"]
    after = snapshot(jp_root_dir)
    assert {k: v for k, v in after.items() if not k.startswith(".workbench/")} == {
        k: v for k, v in before.items() if not k.startswith(".workbench/")
    }
    assert (jp_root_dir / "notebooks" / "analysis.ipynb").read_text() == "{}"
