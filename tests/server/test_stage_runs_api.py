"""A stage run from the sidebar through a real server: its parameters, edited values, ``dvc repro``, the lock."""

from __future__ import annotations

import asyncio
import json
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


async def _promoted(jp_fetch: Any) -> None:
    body = {"notebook": "notebooks/score.ipynb", "stage": "score", "outs": ["outputs/score.json"]}
    code, result = await call(jp_fetch, "pipelines", "promotions", **post(body))
    assert code == 201, result


async def test_a_stage_answers_its_parameters_with_the_values_of_params_yaml(
    jp_fetch, jp_root_dir: Path, api_schema
) -> None:
    await _promoted(jp_fetch)
    params = yaml.safe_load((jp_root_dir / "params.yaml").read_text())
    params["score"]["rows"] = 9
    (jp_root_dir / "params.yaml").write_text(yaml.safe_dump(params))

    code, body = await call(jp_fetch, "pipelines", "stages", "score", "parameters")

    assert code == 200
    api_schema(body, "StageParameters")
    assert (body["stage"], body["notebook"]) == ("score", "notebooks/score.ipynb")
    names = [(p["name"], p["type"]) for p in body["parameters"]]
    assert names == [("threshold", "float"), ("label", "str"), ("rows", "int")]
    assert body["values"] == {"threshold": 0.5, "label": "demo", "rows": 9}


async def test_a_mistyped_value_is_400_and_changes_nothing(jp_fetch, jp_root_dir: Path) -> None:
    await _promoted(jp_fetch)
    before = (jp_root_dir / "params.yaml").read_text()

    code, error = await call(
        jp_fetch, "pipelines", "stages", "score", "runs", **post({"params": {"rows": "many", "nosuch": 1}})
    )

    assert (code, error["error"]) == (400, "ValidationError")
    assert len(error["details"]) == 2
    assert any("rows" in line for line in error["details"])
    assert any("nosuch" in line for line in error["details"])
    assert (jp_root_dir / "params.yaml").read_text() == before
    code, runs = await call(jp_fetch, "pipelines", "runs")
    assert runs["runs"] == []


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "error"),
    [
        (("nosuch", "parameters"), {}, 404, "NotFound"),
        (("nosuch", "runs"), post({"params": {"rows": 1}}), 404, "NotFound"),
        (("score", "runs"), post({"params": [1]}), 400, "ValidationError"),
        (("score", "runs"), post({"param": {}}), 400, "ValidationError"),
    ],
)
async def test_stage_errors(jp_fetch, path: tuple[str, ...], kwargs: dict, status: int, error: str) -> None:
    await _promoted(jp_fetch)

    code, body = await call(jp_fetch, "pipelines", "stages", *path, **kwargs)

    assert (code, body["error"]) == (status, error)


async def _wait_for_launch_end(jp_fetch: Any, launch_id: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code, launch = await call(jp_fetch, "pipelines", "launches", launch_id)
        assert code == 200, launch
        if not launch["running"]:
            return launch
        await asyncio.sleep(0.5)
    raise AssertionError(f"launch {launch_id} still running after {timeout_s}s")


@pytest.mark.slow
async def test_a_run_with_edited_params_goes_through_dvc_repro_and_locks_the_stage(
    jp_fetch, jp_root_dir: Path, api_schema, server_user: str
) -> None:
    await _promoted(jp_fetch)
    code, stages = await call(jp_fetch, "pipelines", "stages")
    assert stages["stages"][0]["status"]["state"] == "changed"

    code, started = await call(jp_fetch, "pipelines", "stages", "score", "runs", **post({"params": {"rows": 7}}))

    assert code == 202
    api_schema(started, "RunStarted")
    assert yaml.safe_load((jp_root_dir / "params.yaml").read_text())["score"]["rows"] == 7
    launch = await _wait_for_launch_end(jp_fetch, started["id"])
    assert (launch["returncode"], launch["recorded"]) == (0, True), launch
    code, run = await call(jp_fetch, "pipelines", "runs", started["id"])
    assert run["status"] == "succeeded", run["error_message"]
    assert (run["actor"], run["trigger"], run["params"]["rows"]) == (server_user, "jupyterlab", 7)
    assert json.loads((jp_root_dir / "outputs" / "score.json").read_text())["rows"] == 7
    # DVC ran it and wrote the lock: the stage is up to date, with the edited value locked.
    code, stages = await call(jp_fetch, "pipelines", "stages")
    assert stages["stages"][0]["status"] == {"state": "up-to-date", "changes": [], "message": ""}
    lock = yaml.safe_load((jp_root_dir / "dvc.lock").read_text())
    assert lock["stages"]["score"]["params"]["params.yaml"]["score"]["rows"] == 7
    code, events = await call(jp_fetch, "audit", "events", params={"action": "pipeline.params"})
    [event] = events["events"]
    assert (event["actor"], event["subject"]) == (server_user, "stage:score")
    assert event["payload"]["values"] == {"rows": 7}
