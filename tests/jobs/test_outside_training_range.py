"""Rows the model never saw the like of go to review, through real scoring jobs (local and Dask).

The input is drawn like the training data and clipped to the contract's ranges, so every
row is in range except the ones a test plants: what reaches review, and why, is exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.governed import SCORING_POLICY, configure, open_as
from tests.support.scoring import applicants, write
from tests.support.training import FEATURES
from workbench.contracts import InputContract
from workbench.core.errors import ContractViolation
from workbench.jobs import list_jobs, list_review_items, score
from workbench.jobs.review_queue import get_review_item
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.store.schema import review_items

GUARD = "rule:outside_training_range"


def set_policy(workspace: Workspace, guard: str = "", rules: str = "") -> None:
    """The conftest policy with ``guard`` as ``routing.outside_training_range`` and ``rules`` added."""
    text = SCORING_POLICY
    if guard:
        text = text.replace("routing:\n", f"routing:\n  outside_training_range: {guard}\n")
    if rules:
        text = text.replace("  rules:\n", f"  rules:\n{rules}")
    (workspace.project.root / "pipelines" / "admissions" / "policy.yaml").write_text(text)


def contract_of(workspace: Workspace) -> InputContract:
    return InputContract.from_dict(get_version(workspace, "admissions").contract)


def in_range(workspace: Workspace, n: int = 300) -> pl.DataFrame:
    contract = contract_of(workspace)
    numeric = [f for f in contract.features if contract.column(f).kind in ("integer", "float")]
    return applicants(n).with_columns(
        pl.col(f).clip(contract.column(f).minimum, contract.column(f).maximum) for f in numeric
    )


def plant(frame: pl.DataFrame, column: str, values: dict[int, float]) -> pl.DataFrame:
    data = frame[column].to_numpy().copy()
    for row, value in values.items():
        data[row] = value
    return frame.with_columns(pl.Series(column, data))


def run(workspace: Workspace, frame: pl.DataFrame, **options: Any) -> tuple[Any, pl.DataFrame]:
    write(frame, workspace.project.root / "data" / "planted.parquet", row_group_size=100)
    output = "out-dask" if options.get("engine") == "dask" else "out.parquet"
    job = score(workspace, "admissions", "data/planted.parquet", output, batch_rows=100, overwrite=True, **options)
    return job, pl.read_parquet(workspace.project.root / output)


def route_of(out: pl.DataFrame, frame: pl.DataFrame, row: int) -> tuple[str, str]:
    found = out.filter(pl.col("applicant_id") == frame["applicant_id"][row])
    return found["route"].item(), found["decision"].item()


def detail_of(workspace: Workspace, job_id: str, frame: pl.DataFrame, row: int) -> list[dict[str, Any]]:
    key = frame["applicant_id"][row]
    [item] = [i for i in list_review_items(workspace, job=job_id, limit=None) if i.row_key == key]
    assert item.rule == "outside_training_range" and item.detail is not None
    return item.outside_training_range


def test_values_above_below_and_infinite_go_to_review_naming_the_columns(scoring_ws: Workspace) -> None:
    contract = contract_of(scoring_ws)
    gpa, test = contract.column("gpa"), contract.column("test_score")
    frame = in_range(scoring_ws)
    frame = plant(frame, "gpa", {0: 100.0, 1: float("inf"), 3: gpa.minimum - 0.01, 5: float("-inf")})  # type: ignore[operator]
    frame = plant(frame, "test_score", {2: float("-inf"), 3: test.maximum + 10, 4: float("nan")})  # type: ignore[operator]
    job, out = run(scoring_ws, frame)
    for row in (0, 1, 2, 3, 5):
        assert route_of(out, frame, row) == (GUARD, "review")
    assert route_of(out, frame, 4)[0] != GUARD  # NaN is missing, as before: the model decides
    assert (out["route"] == GUARD).sum() == 5
    assert job.stats["outside_training_range"] == {"gpa": 4, "test_score": 2}
    assert job.stats["routes"][GUARD] == 5
    assert job.stats["contract_warnings"] == {"gpa": 4, "test_score": 2}

    above = detail_of(scoring_ws, job.id, frame, 0)
    assert above == [{"column": "gpa", "value": 100.0, "why": "above", "min": gpa.minimum, "max": gpa.maximum}]
    assert detail_of(scoring_ws, job.id, frame, 1)[0] | {"min": None, "max": None} == {
        "column": "gpa",
        "value": "inf",
        "why": "non_finite",
        "min": None,
        "max": None,
    }
    assert [(e["column"], e["why"]) for e in detail_of(scoring_ws, job.id, frame, 3)] == [
        ("gpa", "below"),
        ("test_score", "above"),
    ]
    assert detail_of(scoring_ws, job.id, frame, 5)[0]["value"] == "-inf"
    # The detail is strict JSON in the database (no Infinity), and the other review rows have none.
    with scoring_ws.read() as conn:
        stored = conn.execute(sa.select(review_items.c.rule, review_items.c.detail)).all()
    assert {rule for rule, detail in stored if detail is not None} == {"outside_training_range"}
    assert all(json.loads(json.dumps(d, allow_nan=False)) == d for _, d in stored if d is not None)


def test_a_business_rule_that_accepts_does_not_override_the_guard(scoring_ws: Workspace) -> None:
    set_policy(
        scoring_ws,
        rules='    - name: accept_everyone\n      when: "gpa > -1000000"\n      decision: accept\n',
    )
    frame = plant(in_range(scoring_ws), "gpa", {7: 100.0, 8: float("inf")})
    job, out = run(scoring_ws, frame)
    assert route_of(out, frame, 7) == route_of(out, frame, 8) == (GUARD, "review")
    assert job.stats["routes"] == {"rule:accept_everyone": frame.height - 2, GUARD: 2}
    assert job.stats["decisions"] == {"auto_accept": frame.height - 2, "review": 2}


def test_a_tolerance_lets_the_model_decide_just_beyond_the_range(scoring_ws: Workspace) -> None:
    set_policy(scoring_ws, guard="{tolerance: 0.1}")
    essay = contract_of(scoring_ws).column("essay_score")
    span = essay.maximum - essay.minimum  # type: ignore[operator]
    frame = plant(
        in_range(scoring_ws),
        "essay_score",
        {0: essay.maximum + 0.05 * span, 1: essay.minimum - 0.09 * span, 2: essay.maximum + 0.2 * span},  # type: ignore[operator]
    )
    job, out = run(scoring_ws, frame)
    assert route_of(out, frame, 0)[0] != GUARD and route_of(out, frame, 1)[0] != GUARD
    assert route_of(out, frame, 2) == (GUARD, "review")
    assert job.stats["outside_training_range"] == {"essay_score": 1}
    assert job.stats["contract_warnings"] == {"essay_score": 3}  # the contract's own range is unchanged
    assert job.options["routing"]["outside_training_range"] == {
        "tolerance": 0.1,
        "unseen_categories": "refuse",
        "ignore": [],
    }


def test_ignored_columns_are_decided_by_the_model_unless_infinite(scoring_ws: Workspace) -> None:
    set_policy(scoring_ws, guard="{ignore: [gpa]}")
    frame = plant(in_range(scoring_ws), "gpa", {0: 100.0, 1: float("inf"), 2: -5.0})
    frame = plant(frame, "test_score", {3: 99_999.0})
    job, out = run(scoring_ws, frame)
    assert route_of(out, frame, 0)[0] != GUARD and route_of(out, frame, 2)[0] != GUARD
    assert route_of(out, frame, 1) == route_of(out, frame, 3) == (GUARD, "review")
    assert job.stats["outside_training_range"] == {"gpa": 1, "test_score": 1}


def test_long_keys_fail_the_job_and_nothing_is_written(scoring_ws: Workspace) -> None:
    frame = in_range(scoring_ws, n=200)
    ids = frame["applicant_id"].to_list()
    ids[150], ids[160] = "x" * 300, "é" * 200  # 400 bytes in UTF-8
    ids[170] = "y" * 1_000_000
    frame = frame.with_columns(pl.Series("applicant_id", ids))
    with pytest.raises(ContractViolation) as raised:
        run(scoring_ws, frame)
    message = raised.value.message
    assert "'applicant_id' (3 row(s) hold keys longer than the limit of 256 bytes" in message
    assert "the longest is 1,000,000 bytes" in message and "max_bytes" in message
    assert "batch 2 of 2 (input rows 101-200" in message
    [job] = list_jobs(scoring_ws)
    assert job.status == "failed" and job.error_type == "ContractViolation"
    assert [(d["column"], d["kind"], d["count"]) for d in job.error_details] == [("applicant_id", "key_too_long", 3)]
    assert not (scoring_ws.project.root / "out.parquet").exists()
    with scoring_ws.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(review_items)).scalar() == 0


def test_the_dask_engine_routes_and_counts_the_same(scoring_ws: Workspace, dask_scheduler: str) -> None:
    frame = plant(in_range(scoring_ws, n=400), "gpa", {10: 100.0, 250: float("inf")})
    local, local_out = run(scoring_ws, frame)
    job, out = run(scoring_ws, frame, engine="dask", scheduler=dask_scheduler, partition_rows=200)
    assert job.stats["partitions"] == 2
    assert job.stats["outside_training_range"] == local.stats["outside_training_range"] == {"gpa": 2}
    assert out.drop("job_id").sort("applicant_id").equals(local_out.drop("job_id").sort("applicant_id"))
    assert [e["value"] for e in detail_of(scoring_ws, job.id, frame, 250)] == ["inf"]


# --- a model with a categorical feature: unseen categories ---------------------------------


@pytest.fixture
def categorical_ws(project_dir: Path) -> Workspace:
    """admissions:1 reads ``region`` (a string category) besides the numeric features."""
    import xgboost as xgb

    from tests.support.training import FAST
    from workbench.contracts import derive_contract, feature_matrix
    from workbench.examples.admissions import split
    from workbench.registry.register import register

    configure(project_dir)
    (project_dir / "pipelines" / "admissions").mkdir(parents=True)
    (project_dir / "pipelines" / "admissions" / "policy.yaml").write_text(SCORING_POLICY)
    workspace = open_as(project_dir, "analyst@example.org")
    features = [*FEATURES, "region"]
    train, valid = split(applicants(1_500, seed=0), seed=0)
    contract = derive_contract(train, target="admit", keys=["applicant_id"], features=features)
    matrix = xgb.DMatrix(
        feature_matrix(train, contract),
        label=train["admit"].to_numpy(),
        feature_names=features,
        feature_types=contract.feature_types(),
        enable_categorical=True,
    )
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1}, matrix, num_boost_round=10)
    register(
        workspace,
        booster,
        name="admissions",
        train=train,
        valid=valid,
        target="admit",
        keys=["applicant_id"],
        features=features,
        options=FAST,
    )
    return workspace


def with_new_region(workspace: Workspace) -> pl.DataFrame:
    frame = in_range(workspace)
    regions = frame["region"].to_list()
    regions[3] = regions[40] = "Territories"
    return frame.with_columns(pl.Series("region", regions))


def test_unseen_categories_still_fail_the_job_by_default(categorical_ws: Workspace) -> None:
    with pytest.raises(ContractViolation, match=r"'region' \(2 row\(s\) hold categories not in the contract"):
        run(categorical_ws, with_new_region(categorical_ws))
    assert list_jobs(categorical_ws)[0].status == "failed"


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_unseen_categories_with_review_go_to_review_and_the_model_sees_missing(
    categorical_ws: Workspace, engine: str, request: pytest.FixtureRequest
) -> None:
    from workbench.contracts import feature_matrix
    from workbench.registry.versions import load_model

    set_policy(categorical_ws, guard="{unseen_categories: review}")
    frame = with_new_region(categorical_ws)
    options: dict[str, Any] = {}
    if engine == "dask":
        options = {"engine": "dask", "scheduler": request.getfixturevalue("dask_scheduler")}
    job, out = run(categorical_ws, frame, **options)
    assert job.status == "succeeded"
    assert route_of(out, frame, 3) == route_of(out, frame, 40) == (GUARD, "review")
    assert job.stats["outside_training_range"] == {"region": 2}
    assert job.stats["contract_warnings"] == {"region": 2}
    assert detail_of(categorical_ws, job.id, frame, 40) == [
        {"column": "region", "value": "Territories", "why": "unseen_category"}
    ]
    # The model got NaN (missing) for the unseen region, as the encoder gives it.
    contract = contract_of(categorical_ws)
    matrix = feature_matrix(frame, contract)
    assert np.isnan(matrix[3, list(contract.features).index("region")])
    expected = load_model(categorical_ws, "admissions:1").inplace_predict(matrix)
    got = out.sort("applicant_id")["score"].to_numpy()
    order = np.argsort(frame["applicant_id"].to_numpy())
    np.testing.assert_allclose(got, expected[order], rtol=1e-6)


def test_ignoring_a_categorical_column_lets_the_model_decide_unseen_values(categorical_ws: Workspace) -> None:
    set_policy(categorical_ws, guard="{unseen_categories: review, ignore: [region]}")
    frame = with_new_region(categorical_ws)
    job, out = run(categorical_ws, frame)
    assert route_of(out, frame, 3)[0] != GUARD and GUARD not in job.stats["routes"]
    assert job.stats["outside_training_range"] == {} and job.stats["contract_warnings"] == {"region": 2}


def test_queue_show_and_list_name_the_columns(scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli.main import main

    frame = plant(in_range(scoring_ws), "gpa", {0: 100.0})
    job, _ = run(scoring_ws, frame)
    [item] = [i for i in list_review_items(scoring_ws, job=job.id, limit=None) if i.rule == "outside_training_range"]
    assert get_review_item(scoring_ws, item.id).to_dict()["detail"] == item.detail
    root = str(scoring_ws.project.root)
    assert main(["-C", root, "queue", "show", str(item.id)]) == 0
    shown = capsys.readouterr().out
    assert "rule: outside_training_range" in shown and "outside the training range: gpa=100.0 (above" in shown
    assert main(["-C", root, "queue", "list", "--job", job.id, "--limit", "1000"]) == 0
    assert "gpa=100.0 (above" in capsys.readouterr().out
    assert main(["-C", root, "jobs", "show", job.id]) == 0
    assert "outside the training range: 1 rows sent to review; by column: gpa 1" in capsys.readouterr().out


@pytest.mark.postgres
def test_the_detail_is_stored_on_postgresql(
    project_dir: Path, trained_small: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.governed import on_postgres

    workspace = on_postgres(project_dir, trained_small, pg_url, monkeypatch)
    frame = plant(in_range(workspace), "gpa", {0: 100.0, 1: float("-inf")})
    job, out = run(workspace, frame)
    assert route_of(out, frame, 0) == route_of(out, frame, 1) == (GUARD, "review")
    assert [e["value"] for e in detail_of(workspace, job.id, frame, 1)] == ["-inf"]
    with workspace.read() as conn:
        details = conn.execute(sa.select(review_items.c.detail).where(review_items.c.detail.is_(None))).all()
    assert len(details) == job.stats["review_items"] - 2  # SQL NULL, not JSON null, for the other rows
