"""``GET /workbench/metrics`` through a real Jupyter server: parsed by prometheus_client's own text
parser, with jobs, rows, routes, latency, the review queue, drift and an SLO breach; 403 without a token."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import HTTPClientError

from tests.support.governed import ANALYST, SERVER_POLICY, open_as, write_policy
from workbench.jobs import list_review_items, score
from workbench.postmarket import add_outcomes


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    write_policy(governed_root, SERVER_POLICY + "monitoring:\n  slos: ['realized_auc >= 0.999', 'review_rate <= 1']\n")
    workspace = open_as(governed_root, ANALYST)
    score(workspace, "admissions:1", "data/applicants.parquet", "out/scores.parquet")
    truth = pl.read_parquet(governed_root / "data" / "applicants.parquet").select("applicant_id", "admit")
    truth.write_parquet(governed_root / "data" / "truth.parquet")
    add_outcomes(workspace, "admissions", "data/truth.parquet", keys=["applicant_id"], label="admit")
    return governed_root


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_parse_and_name_what_happened(jp_fetch, jp_root_dir: Path) -> None:
    response = await jp_fetch("workbench", "metrics")
    assert response.code == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.body.decode())
    assert samples[("workbench_jobs", (("model", "admissions"), ("status", "succeeded")))] == 1
    assert samples[("workbench_rows_scored_total", (("model", "admissions"), ("version", "1")))] == 400
    routes = {labels: v for (name, labels), v in samples.items() if name == "workbench_decisions_total"}
    assert sum(routes.values()) == 400
    p99 = ("workbench_batch_latency_seconds", (("model", "admissions"), ("quantile", "0.99"), ("version", "1")))
    assert samples[p99] > 0
    assert ("workbench_drift_share", (("model", "admissions"), ("version", "1"))) in samples
    depth = samples.get(("workbench_review_queue_depth", (("model", "admissions"),)), 0)
    assert depth == len(list_review_items(open_as(jp_root_dir, ANALYST), limit=None)) > 0
    auc = (("model", "admissions"), ("objective", "realized_auc >= 0.999"))
    assert samples[("workbench_slo_status", (*auc, ("status", "breached"), ("version", "1")))] == 1
    assert samples[("workbench_slo_status", (*auc, ("status", "met"), ("version", "1")))] == 0
    assert 0.5 < samples[("workbench_slo_observed", (*auc, ("version", "1")))] < 0.999
    review = (("model", "admissions"), ("objective", "review_rate <= 1"), ("status", "met"), ("version", "1"))
    assert samples[("workbench_slo_status", review)] == 1
    # A second scrape answers the same (the SLO part from its cache); only the queue's age grows.
    again = _samples((await jp_fetch("workbench", "metrics")).body.decode())
    age = ("workbench_review_queue_oldest_age_seconds", (("model", "admissions"),))
    assert again.pop(age) >= samples.pop(age) > 0 and again == samples


@pytest.mark.parametrize("authorization", ["", "token wrong"])
async def test_metrics_need_a_token(jp_fetch, authorization: str) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "metrics", headers={"Authorization": authorization})
    assert caught.value.code == 403
