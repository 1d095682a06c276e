"""``workbench score --shadow REF``: the challenger scores every row beside the champion and decides nothing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from tests.serving.conftest import governed
from tests.support.governed import ANALYST, open_as
from tests.support.scoring import applicants
from tests.support.training import Trained, register_admissions, train_model
from workbench.core.errors import PermissionDenied, ValidationError
from workbench.governance.checks import run_checks
from workbench.jobs.decision_log import read_decision_log
from workbench.jobs.score import score
from workbench.serving.report import rollout_report
from workbench.store.schema import review_items


def _items(analyst: object, job_id: str) -> list[tuple[str, str]]:
    with analyst.read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            sa.select(review_items.c.row_key, review_items.c.leaning).where(review_items.c.job_id == job_id)
        ).all()
    return sorted((r.row_key, r.leaning) for r in rows)


def test_a_shadow_decides_nothing_and_is_logged_beside(project_dir: Path, trained_serving: Trained) -> None:
    analyst = governed(project_dir, trained_serving)
    register_admissions(analyst, train_model(rows=1500, rounds=40, seed=7))  # admissions:2, another model
    run_checks(open_as(project_dir, ANALYST), "admissions:2")
    applicants(800, seed=21).drop("admit").write_parquet(project_dir / "in.parquet")

    plain = score(analyst, "admissions@production", "in.parquet", "plain.parquet")
    shadowed = score(analyst, "admissions@production", "in.parquet", "shadowed.parquet", shadow="admissions:2")
    alone = score(analyst, "admissions:2", "in.parquet", "challenger.parquet")

    # The champion's output and review items are exactly what they are without a shadow.
    drop = ["job_id"]
    assert (
        pl.read_parquet(project_dir / "plain.parquet")
        .drop(drop)
        .equals(pl.read_parquet(project_dir / "shadowed.parquet").drop(drop))
    )
    assert _items(analyst, plain.id) == _items(analyst, shadowed.id) != []
    # Its log carries the challenger's would-be decisions beside the champion's, row for row.
    _, data = read_decision_log(analyst, shadowed.id)
    log = pl.from_arrow(pq.read_table(pa_buffer(data))).sort("row")
    challenger = pl.read_parquet(project_dir / "challenger.parquet")
    assert log["shadow_version"].unique().to_list() == [2]
    assert (log["shadow_score"] - challenger["score"]).abs().max() < 1e-7  # type: ignore[operator]
    assert log["shadow_decision"].to_list() == challenger["decision"].cast(pl.String).to_list()
    assert log["shadow_route"].to_list() == challenger["route"].cast(pl.String).to_list()
    champion = pl.read_parquet(project_dir / "plain.parquet")
    assert log["decision"].cast(pl.String).to_list() == champion["decision"].cast(pl.String).to_list()
    agree = int((log["decision"].cast(pl.String) == log["shadow_decision"]).sum())
    assert 0 < agree < 800  # two different models: mostly, not always, the same
    assert shadowed.stats["shadow"] == {"ref": "admissions:2", "version": 2, "rows": 800,
                                        "agreement": round(agree / 800, 6)}  # fmt: skip
    _, plain_log = read_decision_log(analyst, plain.id)
    assert "shadow_score" not in pq.read_table(pa_buffer(plain_log)).column_names
    assert alone.id != shadowed.id
    # The rollout report reads the batch job's shadow beside any online one.
    report = rollout_report(analyst, "admissions")
    assert report["mode"] == "shadow" and report["sources"] == {"batch": 800} and report["rows"] == 800
    assert report["agreement"]["rate"] == agree / 800


def test_a_shadow_needs_passed_checks_and_the_same_model(project_dir: Path, trained_serving: Trained) -> None:
    analyst = governed(project_dir, trained_serving)
    register_admissions(analyst, trained_serving)  # admissions:2, never checked
    applicants(50, seed=2).drop("admit").write_parquet(project_dir / "in.parquet")
    with pytest.raises(PermissionDenied, match="cannot shadow.*workbench check admissions:2"):
        score(analyst, "admissions@production", "in.parquet", "out.parquet", shadow="admissions:2")
    with pytest.raises(ValidationError, match="the version being scored"):
        score(analyst, "admissions@production", "in.parquet", "out.parquet", shadow="admissions:1")
    assert not (project_dir / "out.parquet").exists()


def pa_buffer(data: bytes) -> object:
    import pyarrow as pa

    return pa.BufferReader(data)
