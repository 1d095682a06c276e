"""Pipelines through a real server: promotion (dry run, then for real), stages, runs, logs, schedules."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.notebooks import write_notebook
from tests.support.rest import call, post

SCORE_CELLS = [
    'threshold = 0.5\nlabel = "demo"\nrows = 3',
    "import json, pathlib\n"
    "pathlib.Path('../outputs').mkdir(exist_ok=True)\n"
    "pathlib.Path('../outputs/score.json').write_text(json.dumps({'rows': rows, 'label': label}))",
]


@pytest.fixture
def jp_root_dir(dvc_root: Path) -> Path:
    write_notebook(dvc_root / "notebooks" / "score.ipynb", SCORE_CELLS)
    return dvc_root


async def _promote(jp_fetch: Any, **extra: Any) -> tuple[int, Any]:
    body = {"notebook": "notebooks/score.ipynb", "stage": "score", "outs": ["outputs/score.json"], **extra}
    return await call(jp_fetch, "pipelines", "promotions", **post(body))


async def test_promotion_dry_run_shows_the_plan_and_changes_nothing(jp_fetch, jp_root_dir: Path, api_schema) -> None:
    code, plan = await _promote(jp_fetch, dry_run=True)

    assert code == 200
    api_schema(plan, "PromotionPlan")
    assert plan["ok"] is True
    assert [(p["name"], p["type"], p["default"]) for p in plan["parameters"]] == [
        ("threshold", "float", 0.5),
        ("label", "str", "demo"),
        ("rows", "int", 3),
    ]
    assert plan["cmd"] == "workbench run notebooks/score.ipynb --stage score"
    assert not (jp_root_dir / "dvc.yaml").exists()


async def test_promotion_lists_every_problem(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "notebooks" / "bare.ipynb", ["x = 1"], parameters=None)

    code, plan = await call(
        jp_fetch, "pipelines", "promotions", **post({"notebook": "notebooks/bare.ipynb", "dry_run": True})
    )
    assert code == 200
    assert plan["ok"] is False
    assert any("parameters" in problem for problem in plan["problems"])

    code, error = await call(jp_fetch, "pipelines", "promotions", **post({"notebook": "notebooks/bare.ipynb"}))
    assert (code, error["error"]) == (400, "NotebookError")
    assert error["details"] == plan["problems"]


async def test_promote_with_edited_params_then_the_stage_is_listed(jp_fetch, jp_root_dir: Path, api_schema) -> None:
    code, result = await _promote(jp_fetch, params={"rows": 5})

    assert code == 201
    api_schema(result, "PromotionResult")
    assert result["changed"] is True
    assert result["values"] == {"threshold": 0.5, "label": "demo", "rows": 5}
    assert yaml.safe_load((jp_root_dir / "params.yaml").read_text())["score"] == {
        "threshold": 0.5,
        "label": "demo",
        "rows": 5,
    }
    code, stages = await call(jp_fetch, "pipelines", "stages")
    assert code == 200
    api_schema(stages, "StageList")
    (stage,) = stages["stages"]
    assert (stage["name"], stage["notebook"], stage["notebook_lab_path"]) == (
        "score",
        "notebooks/score.ipynb",
        "notebooks/score.ipynb",
    )
    assert "outputs/score.json" in stage["outs"]
    assert stage["status"]["state"] == "changed"


async def test_a_mistyped_param_is_refused_before_anything_changes(jp_fetch, jp_root_dir: Path) -> None:
    code, error = await _promote(jp_fetch, params={"rows": "many"})

    # The promotion service refuses with every problem listed, the mistyped value among them.
    assert (code, error["error"]) == (400, "NotebookError")
    assert "rows" in error["message"] + str(error["details"])
    assert not (jp_root_dir / "dvc.yaml").exists()


@pytest.mark.parametrize(
    "notebook", ["../../etc/passwd.ipynb", "/etc/passwd.ipynb", "notebooks/../../x.ipynb", "../../etc/passwd"]
)
async def test_path_traversal_in_the_notebook_path_is_400(jp_fetch, notebook: str) -> None:
    code, error = await call(jp_fetch, "pipelines", "promotions", **post({"notebook": notebook, "dry_run": True}))

    assert (code, error["error"]) == (400, "ValidationError")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"notebook": "a.ipynb", "sneaky": 1}', "Unknown field"),
        (b'{"notebook": 7}', "must be a string"),
        (b'{"notebook": "' + b"a" * 300_000 + b'.ipynb"}', "accepts at most"),
    ],
    ids=["malformed", "array", "unknown-field", "wrong-type", "oversized"],
)
async def test_bad_bodies_are_400(jp_fetch, body: bytes, message: str) -> None:
    code, error = await call(jp_fetch, "pipelines", "promotions", method="POST", body=body)

    assert (code, error["error"]) == (400, "ValidationError")
    assert message in error["message"]


async def _wait_for_run(jp_fetch: Any, run_id: str, statuses: set[str], timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code, body = await call(jp_fetch, "pipelines", "runs", run_id)
        if code == 200 and body["status"] in statuses:
            return body
        if code == 404:
            # Not recorded yet: the launch says whether its process still starts.
            code, launch = await call(jp_fetch, "pipelines", "launches", run_id)
            assert code == 200, launch
            assert launch["running"] or launch["recorded"], launch["log_tail"]
        await asyncio.sleep(0.5)
    raise AssertionError(f"run {run_id} did not reach {statuses} in {timeout_s}s")


@pytest.mark.slow
async def test_a_run_answers_at_once_and_succeeds(jp_fetch, jp_root_dir: Path, api_schema, server_user: str) -> None:
    await _promote(jp_fetch)

    started = time.monotonic()
    code, launch = await call(jp_fetch, "pipelines", "stages", "score", "runs", method="POST", body="")
    assert code == 202
    assert time.monotonic() - started < 3
    api_schema(launch, "RunStarted")
    # The event loop is free while the run works.
    health = await jp_fetch("workbench", "api", "health")
    assert health.code == 200

    run = await _wait_for_run(jp_fetch, launch["id"], {"succeeded", "failed"})

    api_schema(run, "RunRecord")
    assert run["status"] == "succeeded", run["error_message"]
    assert (run["actor"], run["trigger"], run["stage"]) == (server_user, "jupyterlab", "score")
    assert run["output_lab_path"] == "runs/score/score.ipynb"
    assert (jp_root_dir / "outputs" / "score.json").is_file()
    code, runs = await call(jp_fetch, "pipelines", "runs", params={"stage": "score"})
    api_schema(runs, "RunList")
    assert [r["id"] for r in runs["runs"]] == [launch["id"]]
    code, started = await call(jp_fetch, "pipelines", "launches", launch["id"])
    api_schema(started, "LaunchInfo")
    assert (started["recorded"], started["log_tail"]) == (True, "")
    code, log = await call(jp_fetch, "pipelines", "runs", launch["id"][:8], "log")
    api_schema(log, "LogResponse")
    assert log["id"] == launch["id"]
    code, error = await call(
        jp_fetch, "pipelines", "runs", launch["id"], method="PATCH", **{"body": '{"status": "cancelled"}'}
    )
    assert (code, error["error"]) == (409, "Conflict")


@pytest.mark.slow
async def test_a_running_run_can_be_cancelled(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "notebooks" / "slow.ipynb", ["seconds = 120", "import time\ntime.sleep(seconds)"])
    code, _ = await call(jp_fetch, "pipelines", "promotions", **post({"notebook": "notebooks/slow.ipynb"}))
    assert code == 201
    code, launch = await call(jp_fetch, "pipelines", "stages", "slow", "runs", method="POST", body="")

    await _wait_for_run(jp_fetch, launch["id"], {"running"})
    code, _body = await call(
        jp_fetch, "pipelines", "runs", launch["id"], method="PATCH", body='{"status": "cancelled"}'
    )
    assert code == 202
    run = await _wait_for_run(jp_fetch, launch["id"], {"cancelled", "failed", "succeeded"}, timeout_s=60)

    assert run["status"] == "cancelled"


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "error"),
    [
        (("stages", "nosuch", "runs"), {"method": "POST", "body": ""}, 404, "NotFound"),
        (("runs", "abcdef12"), {}, 404, "NotFound"),
        (("launches", "ab" * 16), {}, 404, "NotFound"),
        (("runs",), {"params": {"status": "exploded"}}, 400, "ValidationError"),
        (("runs",), {"params": {"limit": "lots"}}, 400, "ValidationError"),
        (("runs", "abcdef12"), {"method": "PATCH", "body": '{"status": "running"}'}, 400, "ValidationError"),
    ],
)
async def test_run_errors(jp_fetch, path: tuple[str, ...], kwargs: dict, status: int, error: str) -> None:
    code, body = await call(jp_fetch, "pipelines", *path, **kwargs)

    assert (code, body["error"]) == (status, error)


async def test_schedules_add_pause_resume_remove(jp_fetch, api_schema, server_user: str) -> None:
    await _promote(jp_fetch)

    code, schedule = await call(jp_fetch, "pipelines", "schedules", **post({"stage": "score", "cron": "0 6 * * *"}))
    assert code == 201
    api_schema(schedule, "Schedule")
    assert (schedule["created_by"], schedule["paused"]) == (server_user, False)
    sid = str(schedule["id"])

    code, paused = await call(jp_fetch, "pipelines", "schedules", sid, method="PATCH", body='{"paused": true}')
    assert (code, paused["paused"], paused["next_slot"]) == (200, True, None)
    code, resumed = await call(jp_fetch, "pipelines", "schedules", sid, method="PATCH", body='{"paused": false}')
    assert resumed["paused"] is False
    code, listing = await call(jp_fetch, "pipelines", "schedules")
    api_schema(listing, "ScheduleList")
    assert [s["id"] for s in listing["schedules"]] == [schedule["id"]]

    response = await jp_fetch("workbench", "api", "pipelines", "schedules", sid, method="DELETE")
    assert response.code == 204
    code, gone = await call(jp_fetch, "pipelines", "schedules", sid)
    assert (code, gone["error"]) == (404, "NotFound")


async def test_a_bad_cron_is_400(jp_fetch) -> None:
    await _promote(jp_fetch)

    code, error = await call(jp_fetch, "pipelines", "schedules", **post({"stage": "score", "cron": "every day"}))

    assert (code, error["error"]) == (400, "ValidationError")
    assert "five fields" in error["message"]
