"""What the Monitoring panel reads (:func:`workbench.postmarket.status.monitoring_status`): the seven charts
of the window's jobs (:mod:`workbench.postmarket.chart_set`, the audit report's too), each valid Vega-Lite
drawn from the report's own figures; none with ``charts=False``; the window keeping only its jobs; and the
versions to retrain with the reason (a drift flag's verdict, a breached accuracy objective)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.governed import SCORING_POLICY, write_policy
from workbench.charts import validate_spec
from workbench.core.clock import utcnow
from workbench.postmarket import add_outcomes
from workbench.postmarket.chart_set import CHARTS
from workbench.postmarket.report import monitoring_report
from workbench.postmarket.status import monitoring_status
from workbench.project.workspace import Workspace
from workbench.store.schema import jobs, model_versions


def _rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layers = spec.get("layer", [spec])
    return [row for layer in layers for row in layer["data"]["values"]]


@pytest.fixture
def recorded(two_versions: tuple[Workspace, Path]) -> Workspace:
    workspace, truth = two_versions
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    return workspace


def test_every_chart_of_two_jobs_from_the_reports_figures(recorded: Workspace) -> None:
    status = monitoring_status(recorded, "admissions", window="30d")
    per_job = monitoring_report(recorded, "admissions", window="job").windows
    assert [w.version for w in per_job] == [1, 2]
    assert tuple(status.charts) == CHARTS
    for spec in status.charts.values():
        assert spec is not None
        validate_spec(spec)
    charts = {key: _rows(spec) for key, spec in status.charts.items() if spec is not None}
    assert sorted((r["version"], r["value"]) for r in charts["auc"]) == [("v1", per_job[0].auc), ("v2", per_job[1].auc)]
    p99 = {(r["version"], r["value"]) for r in charts["latency"] if r["metric"] == "p99"}
    assert p99 == {("v1", per_job[0].p99_batch_latency_ms), ("v2", per_job[1].p99_batch_latency_ms)}
    drift = sorted((r["version"], r["value"]) for r in charts["drift"] if "value" in r)
    assert drift == [("v1", per_job[0].drift_share), ("v2", per_job[1].drift_share)]
    # One histogram per job, each counting the job's rows.
    histograms: dict[str, int] = {}
    for row in charts["scores"]:
        histograms[row["job"]] = histograms.get(row["job"], 0) + row["count"]
    assert sorted(histograms.values()) == sorted([per_job[0].rows, per_job[1].rows])
    # Selection rate per group of the sensitive column, per job, from the logged decisions.
    sensitive = sorted(per_job[0].fairness)[0]
    root = recorded.project.root
    decisions = pl.read_parquet(root / "out" / "first.parquet").join(
        pl.read_parquet(root / "data" / "first.parquet").select("applicant_id", sensitive), on="applicant_id"
    )
    expected = (
        decisions.group_by(pl.col(sensitive).cast(pl.String).alias("group"))
        .agg((pl.col("decision") == "auto_accept").mean().alias("rate"))
        .sort("group")
    )
    first = dict(sorted((r["group"], r["value"]) for r in charts["selection"] if r["version"] == "v1"))
    assert first == pytest.approx({f"{sensitive}={g}": r for g, r in expected.iter_rows()})


def test_the_badge_asks_for_no_charts(recorded: Workspace) -> None:
    status = monitoring_status(recorded, "admissions", window="30d", charts=False)
    assert status.charts == {} and status.rows  # the figures and statuses are still there
    assert status.to_dict()["charts"] == {}


def test_the_window_keeps_only_its_jobs(recorded: Workspace) -> None:
    first = monitoring_report(recorded, "admissions", window="job").windows[0].job_ids[0]
    with recorded.transaction() as tx:
        tx.conn.execute(jobs.update().where(jobs.c.id == first).values(ended_at=utcnow() - timedelta(days=10)))
    per_job = monitoring_report(recorded, "admissions", window="job", within="7d").windows
    assert [w.version for w in per_job] == [2]
    assert len(monitoring_report(recorded, "admissions", window="job").windows) == 2
    status = monitoring_status(recorded, "admissions", window="7d")
    assert status.charts["auc"] is not None
    assert {r["version"] for r in _rows(status.charts["auc"])} == {"v2"}


def test_retrain_recommendations_name_their_reason(recorded: Workspace) -> None:
    root = recorded.project.root
    write_policy(root, SCORING_POLICY + "  slos: ['realized_auc >= 0.999']\n")
    with recorded.transaction() as tx:
        tx.conn.execute(
            model_versions.update()
            .where(model_versions.c.name == "admissions", model_versions.c.version == 1)
            .values(retrain_recommended=True)
        )
    status = monitoring_status(recorded, "admissions", window="30d", charts=False)
    assert status.retrain_stage == "train"
    by_trigger = {(r.trigger, r.version): r for r in status.retrain}
    drift = by_trigger[("drift", 1)]
    assert drift.reason.startswith("drift: ") and drift.last_action is None
    auc = {s.version: s for s in status.slos}
    for version in (1, 2):
        found = by_trigger[("accuracy", version)]
        assert found.reason == f"realized_auc >= 0.999 breached: observed {auc[version].observed:.4g} over 30d"
        assert found.jobs == tuple(auc[version].evidence["jobs"])
    # Only what is breached or flagged: version 2 carries no drift flag.
    assert ("drift", 2) not in by_trigger
    with recorded.read() as conn:
        flagged = conn.execute(sa.select(model_versions.c.version).where(model_versions.c.retrain_recommended)).all()
    assert [v for (v,) in flagged] == [1]
