"""``GET /workbench/api/models/{name}/monitoring`` through a real Jupyter server: the report's rows and
the policy's SLOs on them and the window's charts (valid Vega-Lite, rows inline), valid against openapi.yaml's
ModelMonitoring; a breach shows without being recorded (looking is not checking); 400 on a bad window, 404 on
an unknown model, 403 without a token."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from tornado.httpclient import HTTPClientError

from tests.support.governed import ANALYST, SERVER_POLICY, open_as, write_policy
from workbench.charts import validate_spec
from workbench.jobs import score
from workbench.postmarket import add_outcomes
from workbench.store.schema import audit_head

SLOS = "monitoring:\n  slos: ['realized_auc >= 0.999', 'review_rate <= 1', 'override_rate <= 0.1']\n"


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    write_policy(governed_root, SERVER_POLICY + SLOS)
    workspace = open_as(governed_root, ANALYST)
    score(workspace, "admissions:1", "data/applicants.parquet", "out/scores.parquet")
    truth = pl.read_parquet(governed_root / "data" / "applicants.parquet").select("applicant_id", "admit")
    truth.head(300).write_parquet(governed_root / "data" / "truth.parquet")
    add_outcomes(workspace, "admissions", "data/truth.parquet", keys=["applicant_id"], label="admit")
    return governed_root


def _audit_head(root: Path) -> int:
    with open_as(root, ANALYST).read() as conn:
        return int(conn.execute(sa.select(audit_head.c.seq)).scalar_one())


async def test_monitoring_shows_rows_and_a_breached_slo(
    jp_fetch, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    head_before = _audit_head(jp_root_dir)
    response = await jp_fetch("workbench", "api", "models", "admissions", "monitoring", params={"window": "30d"})
    body = json.loads(response.body)
    api_schema(body, "ModelMonitoring")
    assert body["model"] == "admissions" and body["window"] == "30d" and len(body["policy"]) == 64
    (row,) = body["rows"]
    assert (row["version"], row["rows"], row["outcomes"]) == (1, 400, 300)
    assert row["outcome_coverage"] == pytest.approx(0.75) and 0.5 < row["auc"] < 0.999
    status = {s["objective"]: s for s in body["slos"]}
    assert status["realized_auc >= 0.999"]["status"] == "breached"
    assert status["realized_auc >= 0.999"]["observed"] == pytest.approx(row["auc"])
    assert status["realized_auc >= 0.999"]["evidence"]["jobs"] == row["job_ids"]
    assert status["review_rate <= 1"]["status"] == "met"
    assert status["override_rate <= 0.1"]["status"] == "no_data"  # nobody has decided a review item yet
    assert body["breached"] == 1
    # Reading records nothing: `workbench slo check` is what records a breach.
    assert _audit_head(jp_root_dir) == head_before


def _charted(charts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each chart validated against the Vega-Lite schema, as its inline rows (every layer's); no data URL."""
    drawn = {}
    for name, spec in charts.items():
        if spec is None:
            continue
        validate_spec(spec)
        layers = spec.get("layer", [spec])
        assert all("url" not in layer["data"] for layer in layers)
        drawn[name] = [row for layer in layers for row in layer["data"]["values"]]
    return drawn


async def test_monitoring_carries_the_windows_charts(
    jp_fetch, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "monitoring", params={"window": "30d"})
    body = json.loads(response.body)
    api_schema(body["charts"], "MonitoringCharts")
    (row,) = body["rows"]
    drawn = _charted(body["charts"])
    assert set(drawn) == {"rates", "auc", "calibration", "scores", "drift", "selection", "latency"}
    assert {(r["metric"], r["value"]) for r in drawn["rates"]} == {
        ("automation_rate", row["automation_rate"]),
        ("review_rate", row["review_rate"]),
    }  # no review decided yet: no override rate to draw
    assert [(r["version"], r["end"], r["value"]) for r in drawn["auc"]] == [("v1", row["end"], row["auc"])]
    bins = [r for r in drawn["calibration"] if "mean_score" in r]  # the diagonal's two points aside
    assert [(r["mean_score"], r["observed_rate"]) for r in bins] == [
        (b["mean_score"], b["observed_rate"]) for b in row["reliability"]
    ]


async def test_monitoring_charts_per_job(jp_fetch, jp_root_dir: Path, api_schema: Callable[[Any, str], None]) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "monitoring", params={"window": "job"})
    body = json.loads(response.body)
    api_schema(body, "ModelMonitoring")
    (row,) = body["rows"]
    drawn = _charted(body["charts"])
    assert [(r["window"], r["end"]) for r in drawn["rates"]] == [(row["window"], row["end"])] * 2
    assert [r["value"] for r in drawn["auc"]] == [row["auc"]]


async def test_monitoring_per_job(jp_fetch, jp_root_dir: Path, api_schema: Callable[[Any, str], None]) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "monitoring", params={"window": "job"})
    body = json.loads(response.body)
    api_schema(body, "ModelMonitoring")
    (row,) = body["rows"]
    assert body["window"] == "job" and row["job_ids"][0].startswith(row["window"]) and row["jobs"] == 1


async def test_the_badge_reads_no_charts(jp_fetch, api_schema: Callable[[Any, str], None]) -> None:
    response = await jp_fetch("workbench", "api", "models", "admissions", "monitoring", params={"charts": "0"})
    body = json.loads(response.body)
    api_schema(body, "ModelMonitoring")
    assert body["charts"] == {} and body["breached"] == 1
    # A breached accuracy objective is a reason to retrain; the policy names no retrain stage.
    (retrain,) = body["retrain"]
    assert (retrain["version"], retrain["trigger"], retrain["last_action"]) == (1, "accuracy", None)
    assert retrain["reason"].startswith("realized_auc >= 0.999 breached: observed 0.")
    assert body["retrain_stage"] is None


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (("admissions", "monitoring"), {"window": "a week"}, 400),
        (("admissions", "monitoring"), {"charts": "yes"}, 400),
        (("nobody", "monitoring"), {}, 404),
    ],
)
async def test_monitoring_refusals(jp_fetch, path: tuple[str, ...], params: dict[str, str], code: int) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "models", *path, params=params)
    assert caught.value.code == code
    assert json.loads(caught.value.response.body)["message"]


async def test_monitoring_needs_a_token(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "models", "admissions", "monitoring", headers={"Authorization": ""})
    assert caught.value.code == 403
