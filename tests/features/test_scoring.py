"""A version carries its feature set: scoring computes the features with the recorded definition,
by the training code path (bit-identical), from the online store for keys only, and refuses a
changed definition unless the recorded one is asked for."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from workbench.core.errors import ValidationError
from workbench.features.errors import FeatureDefinitionChanged, FeatureError
from workbench.features.materialize import materialize
from workbench.features.service import training_set
from workbench.jobs.score import score
from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register
from workbench.store.schema import jobs

T0 = datetime(2026, 1, 1)
MODULE = """
from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

applicants = FeatureSet(
    name="applicants",
    entity="applicant",
    event_time="recorded_at",
    sources=[
        Source("tests", "data/tests.parquet", features={"best_score": pl.col("score").cum_max(),
               "attempts": pl.col("score").cum_count()}, ttl=timedelta(days=400)),
        Source("grades", "data/grades.parquet", features={"gpa": pl.col("grade").cum_sum()
               / pl.col("grade").cum_count()}),
    ],
)
"""


def _project(root: Path, n: int = 600) -> pl.DataFrame:
    rng = np.random.default_rng(5)
    (root / "data").mkdir()
    ids = np.repeat(np.arange(n), 3)
    pl.DataFrame(
        {
            "applicant": ids,
            "recorded_at": [T0 + timedelta(days=int(d), seconds=i) for i, d in enumerate(rng.integers(0, 200, 3 * n))],
            "score": rng.normal(500, 80, 3 * n).round(0),
        }
    ).write_parquet(root / "data" / "tests.parquet")
    pl.DataFrame(
        {
            "applicant": ids,
            "recorded_at": [T0 + timedelta(days=int(d), seconds=i) for i, d in enumerate(rng.integers(0, 200, 3 * n))],
            "grade": rng.uniform(1, 4, 3 * n),
        }
    ).write_parquet(root / "data" / "grades.parquet")
    (root / "features").mkdir()
    (root / "features" / "applicants.py").write_text(textwrap.dedent(MODULE))
    return pl.DataFrame(
        {
            "applicant": np.arange(n),
            "decision_time": [T0 + timedelta(days=int(d)) for d in rng.integers(100, 260, n)],
            "admitted": rng.integers(0, 2, n),
        }
    )


@pytest.fixture
def trained(workspace: Workspace) -> tuple[Workspace, pl.DataFrame]:
    import xgboost as xgb

    entities = _project(workspace.project.root)
    frame = training_set(workspace.project, "applicants", entities)
    assert isinstance(frame, pl.DataFrame)
    features = ["best_score", "attempts", "gpa"]
    model = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(frame.select(features).to_pandas(), frame["admitted"])
    train, valid = frame.head(400), frame.tail(200)
    register(
        workspace,
        model,
        name="adm",
        train=train,
        valid=valid,
        target="admitted",
        keys=["applicant"],
        features=["best_score", "attempts", "gpa"],
        feature_set="applicants",
        options=RegisterOptions(explain="approx", explain_rows=100, evidently_report=False),
    )
    return workspace, entities


def test_registration_records_the_feature_set(trained: tuple[Workspace, pl.DataFrame]) -> None:
    from workbench.registry.versions import get_version

    workspace, _ = trained
    version = get_version(workspace, "adm:1")
    record = json.loads(workspace.artifacts.get_bytes(version.artifact("feature_set").digest))
    assert record["name"] == "applicants" and record["features"] == ["best_score", "attempts", "gpa"]
    assert version.lineage["feature_set"] == {"name": "applicants", "version": record["version"]}
    assert len(record["version"]) == 64 and record["definition"]["sources"][0]["ttl_seconds"] == 400 * 86400


def test_scoring_computes_features_bit_identical_to_training(trained: tuple[Workspace, pl.DataFrame]) -> None:
    workspace, entities = trained
    root = workspace.project.root
    rows = entities.tail(150).drop("admitted")
    rows.write_parquet(root / "data" / "to_score.parquet")
    job = score(workspace, "adm:1", "data/to_score.parquet", "data/scored.parquet", keep=["decision_time"])
    features = job.options["features"]
    assert features["mode"] == "point-in-time" and features["definition"] == "current"
    computed = pl.read_parquet(features["computed"])
    expected = training_set(workspace.project, "applicants", rows)
    assert isinstance(expected, pl.DataFrame)
    assert computed.equals(expected)  # same rows, same code path: bit-identical
    assert pl.read_parquet(root / "data" / "scored.parquet").height == 150


def test_keys_only_are_looked_up_in_the_online_store(trained: tuple[Workspace, pl.DataFrame]) -> None:
    workspace, entities = trained
    root = workspace.project.root
    materialize(workspace, "applicants", until=datetime(2026, 12, 1, tzinfo=UTC))
    entities.head(20).select("applicant").write_parquet(root / "data" / "keys.parquet")
    job = score(workspace, "adm:1", "data/keys.parquet", "data/scored_keys.parquet")
    assert job.options["features"]["mode"] == "online"
    assert job.stats["feature_skew"]["status"] == "match"  # the sources are here, so the check runs
    assert pl.read_parquet(root / "data" / "scored_keys.parquet").height == 20
    pl.DataFrame({"applicant": [10_000]}).write_parquet(root / "data" / "unknown.parquet")
    with pytest.raises(FeatureError, match=r"1 key\(s\) of the input are not in the online store.*10000"):
        score(workspace, "adm:1", "data/unknown.parquet", "data/scored_unknown.parquet")


def test_a_changed_definition_is_refused_unless_the_recorded_one_is_asked_for(
    trained: tuple[Workspace, pl.DataFrame],
) -> None:
    workspace, entities = trained
    root = workspace.project.root
    entities.head(50).drop("admitted").write_parquet(root / "data" / "to_score.parquet")
    module = root / "features" / "applicants.py"
    module.write_text(module.read_text().replace("days=400", "days=30"))
    with workspace.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar()
    with pytest.raises(FeatureDefinitionChanged, match=r"trained with version .*feature_definition='recorded'"):
        score(workspace, "adm:1", "data/to_score.parquet", "data/out.parquet")
    with workspace.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() == before  # nothing recorded
    assert not (root / "data" / "out.parquet").exists()

    job = score(workspace, "adm:1", "data/to_score.parquet", "data/out.parquet", feature_definition="recorded")
    assert job.options["features"]["definition"] == "recorded"
    module.write_text(module.read_text().replace("days=30", "days=400"))
    expected = training_set(workspace.project, "applicants", entities.head(50).drop("admitted"))
    assert pl.read_parquet(job.options["features"]["computed"]).equals(expected)


def test_register_names_the_keyword_for_a_feature_set(trained: tuple[Workspace, pl.DataFrame]) -> None:
    workspace, entities = trained
    frame = training_set(workspace.project, "applicants", entities)
    assert isinstance(frame, pl.DataFrame)
    with pytest.raises(ValidationError, match="pass feature_set='applicants'"):
        register(workspace, None, name="adm", train=frame, valid=frame, target="admitted", features="applicants")  # type: ignore[arg-type]
    with pytest.raises(FeatureError, match=r"`train` lacks column\(s\) gpa"):
        import xgboost as xgb

        model = xgb.XGBClassifier(n_estimators=2).fit(frame.select("best_score").to_pandas(), frame["admitted"])
        register(
            workspace,
            model,
            name="adm",
            train=frame.drop("gpa", "decision_time"),
            valid=frame.drop("gpa", "decision_time"),
            target="admitted",
            features=["best_score"],
            feature_set="applicants",
            options=RegisterOptions(explain="approx", evidently_report=False),
        )


def test_the_skew_check_recomputes_training_rows_and_records_the_result(
    trained: tuple[Workspace, pl.DataFrame],
) -> None:
    workspace, entities = trained
    root = workspace.project.root
    entities.tail(30).drop("admitted").write_parquet(root / "data" / "to_score.parquet")
    job = score(workspace, "adm:1", "data/to_score.parquet", "data/scored.parquet")
    skew = job.stats["feature_skew"]
    assert skew == {"status": "match", "rows": 200, "mismatched_rows": 0, "columns": {}, "examples": []}
    assert "skew" not in job.options["features"]

    # A source's past rewritten after training (a grade corrected in place): the same definition now
    # computes other values for training rows, and the job's stats say which and how many.
    grades = pl.read_parquet(root / "data" / "grades.parquet")
    grades.with_columns(pl.col("grade") + 0.5).write_parquet(root / "data" / "grades.parquet")
    job = score(workspace, "adm:1", "data/to_score.parquet", "data/scored_again.parquet")
    skew = job.stats["feature_skew"]
    assert skew["status"] == "skew" and skew["rows"] == 200 and set(skew["columns"]) == {"gpa"}
    assert 0 < skew["mismatched_rows"] == skew["columns"]["gpa"] <= 200
    example = skew["examples"][0]
    assert example["feature"] == "gpa" and float(example["now"]) > float(example["training"])

    # The audit report (one offline file) shows both jobs' results in its drift section.
    from workbench.reports.audit_report import render_report

    html = render_report(workspace, "adm:1")
    section = html[html.index('id="feature-skew"') : html.index("</section>", html.index('id="feature-skew"'))]
    assert "Feature set <code>applicants</code>" in section
    assert section.count('class="pass">match</td>') == 1 and section.count('class="fail">skew</td>') == 1
    assert f"gpa ({skew['columns']['gpa']})" in section


def test_a_version_registered_without_row_times_says_the_skew_check_did_not_run(workspace: Workspace) -> None:
    import xgboost as xgb

    entities = _project(workspace.project.root)
    frame = training_set(workspace.project, "applicants", entities)
    assert isinstance(frame, pl.DataFrame)
    features = ["best_score", "attempts", "gpa"]
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(frame.select(features).to_pandas(), frame["admitted"])
    register(
        workspace,
        model,
        name="adm",
        train=frame.drop("decision_time"),
        valid=frame.drop("decision_time"),
        target="admitted",
        keys=["applicant"],
        feature_set="applicants",
        options=RegisterOptions(explain="approx", explain_rows=50, evidently_report=False),
    )
    entities.head(10).drop("admitted").write_parquet(workspace.project.root / "data" / "to_score.parquet")
    job = score(workspace, "adm:1", "data/to_score.parquet", "data/scored.parquet")
    assert job.stats["feature_skew"]["status"] == "not checked"
    assert "decision_time" in job.stats["feature_skew"]["reason"]


def test_workbench_score_takes_feature_definition(
    trained: tuple[Workspace, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.cli.main import main

    workspace, entities = trained
    root = workspace.project.root
    entities.head(20).drop("admitted").write_parquet(root / "data" / "to_score.parquet")
    module = root / "features" / "applicants.py"
    module.write_text(module.read_text().replace("days=400", "days=30"))
    assert main(["score", "adm:1", "data/to_score.parquet", "-o", "data/cli.parquet", "--quiet"]) != 0
    assert "--feature-definition recorded" in capsys.readouterr().err
    argv = ["score", "adm:1", "data/to_score.parquet", "-o", "data/cli.parquet", "--json"]
    assert main([*argv, "--feature-definition", "recorded"]) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["options"]["features"]["definition"] == "recorded" and job["stats"]["feature_skew"]["status"] == "match"
