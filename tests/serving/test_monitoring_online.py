"""Decisions taken online by a real ``workbench serve`` count in the monitoring report beside a batch job's:
their rows, automation and review rates, the overrides of their review items, and realized AUC on their
outcomes, each checked against a hand computation from the store; the serve job is a per-job row of its own."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from tests.serving.conftest import Server
from tests.support.governed import ANALYST, open_as
from tests.support.scoring import applicants
from workbench.jobs import score
from workbench.jobs.decide import decide_review_item
from workbench.jobs.review_queue import list_review_items
from workbench.postmarket import add_outcomes
from workbench.postmarket.metrics import auc
from workbench.postmarket.report import monitoring_report
from workbench.store.schema import jobs, online_decisions


def test_online_decisions_count_in_the_monitoring_report(server: Server) -> None:
    root = server.root
    frame = applicants(500, seed=11)
    online_rows, batch_rows = frame.head(300), frame.slice(300)
    for start in range(0, 300, 100):  # three requests
        answer = server.post(online_rows.slice(start, 100).drop("admit").to_dicts())
        assert answer.status_code == 200, answer.text
    analyst = open_as(root, ANALYST)
    (root / "data").mkdir(exist_ok=True)
    batch_rows.drop("admit").write_parquet(root / "data" / "batch.parquet")
    score(analyst, "admissions:1", "data/batch.parquet", "out/batch.parquet")

    with analyst.read() as conn:
        serve_job = conn.execute(sa.select(jobs.c.id).where(jobs.c.kind == "serve")).scalar_one()
        logged = pl.DataFrame(
            conn.execute(
                sa.select(online_decisions.c.row_key, online_decisions.c.score, online_decisions.c.decision)
            ).all(),
            schema=["row_key", "score", "decision"],
            orient="row",
        )
    assert logged.height == 300
    # A reviewer decides one of the service's review items against the model's leaning.
    (item,) = list_review_items(analyst, job=serve_job, status="open", limit=1)
    overruled = "decline" if item.leaning == "accept" else "accept"
    decide_review_item(open_as(root, "reviewer-a"), item.id, overruled, "Overruled on the full file.")
    truth = online_rows.select("applicant_id", "admit").head(200)
    truth.write_parquet(root / "data" / "truth.parquet")
    add_outcomes(analyst, "admissions", "data/truth.parquet", keys=["applicant_id"], label="admit")

    per_job = {w.job_ids[0]: w for w in monitoring_report(analyst, "admissions", window="job").windows}
    assert len(per_job) == 2
    online = per_job[serve_job]
    automated = logged.filter(pl.col("decision") != "review").height
    assert (online.rows, online.automated) == (300, automated)
    assert (online.reviewed, online.overrides, online.override_rate) == (1, 1, 1.0)
    assert online.outcomes == 200
    labelled = logged.join(truth.rename({"applicant_id": "row_key"}), on="row_key")
    assert labelled.height == 200
    assert online.auc == pytest.approx(auc(labelled["score"].to_numpy(), labelled["admit"].to_numpy()))
    # Throughput and drift are the batch job's: the service times its requests at its own /metrics.
    assert online.rows_per_second is None and online.p99_batch_latency_ms is None
    (batch,) = [w for job, w in per_job.items() if job != serve_job]
    assert batch.rows == 200 and batch.outcomes == 0

    (window,) = monitoring_report(analyst, "admissions", window="30d").windows
    assert (window.rows, window.automated) == (500, automated + batch.automated)
    assert (window.reviewed, window.overrides, window.outcomes) == (1, 1, 200)
    assert window.rows_per_second == batch.rows_per_second  # the batch job's rows over its seconds
    assert set(window.job_ids) == {serve_job, *batch.job_ids}
