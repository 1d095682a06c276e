"""A review item outside the training range through a real server: its ``detail`` names the columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


async def test_the_review_item_json_carries_the_detail(jp_fetch: Any, jp_root_dir: Path, api_schema: Any) -> None:
    from tests.support.governed import ANALYST
    from workbench.core.values import Identity
    from workbench.jobs import score
    from workbench.project.config import load_project
    from workbench.project.workspace import Workspace

    frame = pl.read_parquet(jp_root_dir / "data" / "applicants.parquet")
    gpa = frame["gpa"].to_numpy().copy()
    gpa[0], gpa[1] = 100.0, float("inf")
    frame.with_columns(pl.Series("gpa", gpa)).write_parquet(jp_root_dir / "data" / "planted.parquet")
    project = load_project(jp_root_dir)
    workspace = Workspace(project, Identity(ANALYST, "env", project.roles_of(ANALYST)))
    job = score(workspace, "admissions:1", "data/planted.parquet", "scores/planted.parquet")

    response = await jp_fetch("workbench", "api", "review", "items", params={"job": job.id, "limit": "1000"})
    body = json.loads(response.body)
    api_schema(body, "ReviewItemList")
    guarded = {i["row_key"]: i["detail"] for i in body["items"] if i["rule"] == "outside_training_range"}
    keys = frame["applicant_id"].to_list()
    assert guarded[keys[0]]["outside_training_range"][0] | {"min": 0, "max": 0} == {
        "column": "gpa",
        "value": 100.0,
        "why": "above",
        "min": 0,
        "max": 0,
    }
    assert guarded[keys[1]]["outside_training_range"][0]["value"] == "inf"  # strict JSON, no Infinity
    assert all(i["detail"] is None for i in body["items"] if i["rule"] != "outside_training_range")
