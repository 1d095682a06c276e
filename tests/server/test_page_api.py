"""The model page's endpoints through a real server: artifacts, metrics, charts, files, the
review row, undo of a decision, and a run's executed notebook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.governed import ANALYST, SERVER_USER


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


async def _call(jp_fetch: Any, *path: str, **kwargs: Any) -> tuple[int, Any]:
    try:
        response = await jp_fetch("workbench", "api", *path, **kwargs)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, response


def _scored(root: Path, actor: str = ANALYST) -> Any:
    from workbench.core.values import Identity
    from workbench.jobs import score
    from workbench.project.config import load_project
    from workbench.project.workspace import Workspace

    project = load_project(root)
    workspace = Workspace(project, Identity(actor, "env", project.roles_of(actor)))
    return score(workspace, "admissions:1", "data/applicants.parquet", "scores/applicants.parquet")


async def test_artifacts_are_served_with_their_media_type(jp_fetch: Any) -> None:
    code, png = await _call(jp_fetch, "models", "admissions", "versions", "1", "artifacts", "shap_bar_png")
    assert code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.body.startswith(b"\x89PNG")
    assert png.headers["Content-Disposition"].startswith("inline")

    code, html = await _call(jp_fetch, "models", "admissions", "versions", "1", "artifacts", "drift_report")
    assert code == 200
    assert html.headers["Content-Type"].startswith("text/html")
    assert "sandbox allow-scripts" in html.headers["Content-Security-Policy"]

    code, model = await _call(jp_fetch, "models", "admissions", "versions", "1", "artifacts", "model")
    assert code == 200
    assert model.headers["Content-Disposition"] == 'attachment; filename="model.ubj"'

    code, body = await _call(jp_fetch, "models", "admissions", "versions", "1", "artifacts", "nothing")
    assert (code, body["error"]) == (404, "NotFound")
    assert "shap_bar_png" in body["message"]


async def test_metrics_of_every_version_and_the_key_metric_from_the_policy(jp_fetch: Any, api_schema: Any) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "metrics")
    body = json.loads(response.body)
    api_schema(body, "ModelMetrics")
    assert body["key_metric"] == "auc"  # the policy checks "auc >= 0.6"
    assert [row["version"] for row in body["versions"]] == [1]
    assert 0.5 < body["versions"][0]["metrics"]["auc"] <= 1
    assert "calibration" not in body["versions"][0]["metrics"]

    code, body = await _call(jp_fetch, "models", "nobody", "metrics")
    assert (code, body["error"]) == (404, "NotFound")


async def test_charts_are_vega_lite_with_each_jobs_scores(jp_fetch: Any, jp_root_dir: Path, api_schema: Any) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "versions", "1", "charts")
    body = json.loads(response.body)
    api_schema(body, "ChartSpecs")
    assert body["mime_type"] == "application/vnd.vegalite.v5+json"
    assert body["score_distribution"] is None  # no job yet
    assert body["metric_trend"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    trended = {row["metric"] for row in body["metric_trend"]["data"]["values"]}
    assert "auc" in trended
    assert not trended & {"n_valid", "threshold"}  # counts and settings would flatten the scale
    assert {row["comparison"] for row in body["drift_per_column"]["data"]["values"]} == {"train vs validation"}

    job = _scored(jp_root_dir)
    response = await jp_fetch("workbench", "api", "models", "admissions", "versions", "1", "charts")
    body = json.loads(response.body)
    rows = body["score_distribution"]["data"]["values"]
    assert {row["job"] for row in rows} == {f"job {job.id[:8]}"}
    assert sum(row["count"] for row in rows) == 400
    comparisons = {row["comparison"] for row in body["drift_per_column"]["data"]["values"]}
    assert comparisons == {"train vs validation", f"scored: job {job.id[:8]}"}


async def test_files_lists_project_parquet_files_outside_hidden_folders(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Any
) -> None:
    (jp_root_dir / ".hidden").mkdir()
    (jp_root_dir / ".hidden" / "secret.parquet").write_bytes(b"x")
    response = await jp_fetch("workbench", "api", "files", params={"suffix": ".parquet"})
    body = json.loads(response.body)
    api_schema(body, "FileList")
    assert body == {"files": ["data/applicants.parquet"], "truncated": False}

    code, body = await _call(jp_fetch, "files", params={"suffix": ".py"})
    assert (code, body["error"]) == (400, "ValidationError")


async def test_the_review_row_shows_the_items_input_values(jp_fetch: Any, jp_root_dir: Path, api_schema: Any) -> None:
    import polars as pl

    job = _scored(jp_root_dir)
    items = json.loads((await jp_fetch("workbench", "api", "review", "items", params={"job": job.id})).body)["items"]
    item = items[0]
    response = await jp_fetch("workbench", "api", "review", "items", str(item["id"]), "row")
    body = json.loads(response.body)
    api_schema(body, "ReviewRow")
    frame = pl.read_parquet(jp_root_dir / "data" / "applicants.parquet")
    expected = frame.row(item["row_index"], named=True)
    assert body["keys"] == {"applicant_id": item["row_key"]}
    assert body["features"]["gpa"] == expected["gpa"]
    assert "admit" not in body["features"]

    # The input replaced by other rows: said so, never shown wrong.
    frame.reverse().write_parquet(jp_root_dir / "data" / "applicants.parquet")
    code, body = await _call(jp_fetch, "review", "items", str(item["id"]), "row")
    assert (code, body["error"]) == (409, "Conflict")
    assert "has changed since it was scored" in body["message"]


async def test_a_decision_is_undone_once_as_an_audited_reversal(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Any
) -> None:
    job = _scored(jp_root_dir)
    items = json.loads((await jp_fetch("workbench", "api", "review", "items", params={"job": job.id})).body)["items"]
    item = items[0]
    other = "decline" if item["leaning"] == "accept" else "accept"
    await jp_fetch(
        "workbench",
        "api",
        "review",
        "items",
        str(item["id"]),
        "decisions",
        method="POST",
        body=json.dumps({"decision": other, "comment": "override for the test"}),
    )
    response = await jp_fetch(
        "workbench", "api", "review", "items", str(item["id"]), "reversals", method="POST", body="{}"
    )
    assert response.code == 201
    reopened = json.loads(response.body)
    api_schema(reopened, "ReviewItem")
    assert (reopened["status"], reopened["decision"], reopened["decided_by"]) == ("open", None, None)

    events = json.loads((await jp_fetch("workbench", "api", "audit", "events", params={"action": "review."})).body)
    undo, decide = events["events"][0], events["events"][1]
    assert (undo["action"], undo["actor"], undo["subject"]) == ("review.undo", SERVER_USER, f"review:{item['id']}")
    assert undo["payload"]["undone_decision"] == other
    assert undo["payload"]["undone_event"] == decide["seq"]
    assert undo["payload"]["undone_override"] is True
    job_stats = json.loads((await jp_fetch("workbench", "api", "jobs", job.id)).body)["stats"]
    assert job_stats["overrides"] == 0
    chain = json.loads((await jp_fetch("workbench", "api", "audit", "verification")).body)
    assert chain["ok"] is True

    # Nothing left to undo: 409.
    code, body = await _call(jp_fetch, "review", "items", str(item["id"]), "reversals", method="POST", body="{}")
    assert (code, body["error"]) == (409, "Conflict")
    assert "no decision to undo" in body["message"]


def test_undo_is_refused_to_others_and_after_the_window(governed_root: Path) -> None:
    from workbench.core.errors import Conflict, PermissionDenied
    from workbench.core.values import Identity
    from workbench.jobs import decide_review_item, list_review_items
    from workbench.jobs.undo import undo_review_decision
    from workbench.project.config import load_project
    from workbench.project.workspace import Workspace

    job = _scored(governed_root)
    project = load_project(governed_root)
    ana = Workspace(project, Identity(ANALYST, "env", ()))
    ben = Workspace(project, Identity("ben@example.org", "env", ()))
    item = list_review_items(ana, job=job.id, limit=1)[0]
    decide_review_item(ana, item.id, item.leaning if item.leaning in ("accept", "decline") else "accept")
    with pytest.raises(PermissionDenied, match=f"decided by {ANALYST}"):
        undo_review_decision(ben, item.id)
    with pytest.raises(Conflict, match="can be undone for 0 s only"):
        undo_review_decision(ana, item.id, window_s=0)
    assert undo_review_decision(ana, item.id).status == "open"


async def test_paths_and_ids_are_confined(jp_fetch: Any) -> None:
    code, _ = await _call(jp_fetch, "models", "admissions", "versions", "1", "artifacts", "..%2F..%2Fetc")
    assert code == 404
    code, body = await _call(jp_fetch, "review", "items", "999", "row")
    assert (code, body["error"]) == (404, "NotFound")
    code, body = await _call(jp_fetch, "pipelines", "runs", "abcd1234", "notebook")
    assert code == 404
