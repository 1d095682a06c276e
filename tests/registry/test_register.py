from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.training import Trained
from workbench.core.errors import ArtifactIntegrityError, NotFound, ValidationError
from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register
from workbench.registry.versions import get_version, list_models, load_model, resolve
from workbench.store.schema import model_versions

FAST = RegisterOptions(evidently_report=False, explain_rows=300, local_rows=50)


def reg(workspace: Workspace, trained: Trained, **overrides: object) -> object:
    kwargs: dict[str, object] = {
        "name": "admissions",
        "train": trained.train,
        "valid": trained.valid,
        "target": "admit",
        "sensitive": ["gender", "first_generation"],
        "keys": ["applicant_id"],
        "description": "Admissions triage model",
        "intended_use": "Rank applications for human review",
        "options": FAST,
    }
    kwargs.update(overrides)
    model = kwargs.pop("model", trained.booster)
    return register(workspace, model, **kwargs)  # type: ignore[arg-type]


def test_register_records_every_piece_of_evidence(workspace: Workspace, trained: Trained) -> None:
    version = reg(workspace, trained, metrics={"uplift": 0.12})
    assert version.ref == "admissions:1" and version.author == "analyst@example.org"
    assert version.task == "classification"
    assert {"auc", "accuracy", "log_loss", "brier", "calibration", "uplift"} <= set(version.metrics)
    assert 0.6 < version.metrics["auc"] <= 1.0
    assert [c["name"] for c in version.contract["columns"]][:1] == ["applicant_id"]
    assert version.contract["features"] == trained.features
    lineage = version.lineage
    assert set(lineage["data"]) == {"train", "valid"} and len(lineage["data"]["train"]["sha256"]) == 64
    assert lineage["environment"]["xgboost"] and lineage["author"] == "analyst@example.org"
    assert lineage["run"]["run_id"] is None
    assert version.explanation["global"][0]["feature"] in trained.features
    assert version.drift["summary"]["n_columns"] == len(trained.features)
    assert set(version.fairness) == {"gender", "first_generation"}
    assert {"selection_rate", "tpr", "fpr", "count"} <= set(version.fairness["gender"]["groups"][0])
    assert {"model", "contract", "shap_global", "shap_local", "reference", "shap_bar_png", "shap_summary_png"} <= set(
        version.artifacts
    )
    assert "<script" not in version._repr_html_()
    assert "admissions:1" in version._repr_html_()


def test_versions_count_up_and_resolve(workspace: Workspace, trained: Trained) -> None:
    reg(workspace, trained)
    reg(workspace, trained)
    assert resolve(workspace, "admissions") == ("admissions", 2)
    assert resolve(workspace, "admissions:1") == ("admissions", 1)
    assert [m.latest_version for m in list_models(workspace)] == [2]
    with pytest.raises(NotFound, match="no version 7"):
        resolve(workspace, "admissions:7")
    with pytest.raises(NotFound, match="Did you mean 'admissions'"):
        resolve(workspace, "admisions")


def test_load_returns_the_verified_booster(workspace: Workspace, trained: Trained) -> None:
    version = reg(workspace, trained)
    booster = load_model(workspace, version.ref)
    x = trained.valid.select(trained.features).to_numpy()
    assert np.allclose(booster.inplace_predict(x), trained.booster.inplace_predict(x))


def test_a_tampered_model_artifact_fails_to_load(workspace: Workspace, trained: Trained) -> None:
    version = reg(workspace, trained)
    path = workspace.artifacts.path_for(version.artifacts["model"]["digest"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="admissions:1 model failed its integrity check"):
        load_model(workspace, "admissions:1")


def test_data_hash_is_stable(workspace: Workspace, trained: Trained) -> None:
    first = reg(workspace, trained)
    second = reg(workspace, trained)
    assert first.lineage["data"] == second.lineage["data"]


def test_classifier_wrapper_is_accepted(workspace: Workspace, trained: Trained) -> None:
    import xgboost as xgb

    classifier = xgb.XGBClassifier(n_estimators=10, max_depth=2, n_jobs=1)
    classifier.fit(trained.train.select(trained.features).to_pandas(), trained.train["admit"].to_numpy())
    version = reg(workspace, trained, model=classifier)
    assert version.task == "classification"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "admitted"}, "Target column 'admitted' is missing"),
        ({"valid": "drop_gpa"}, "different columns; only in train: gpa"),
        ({"model": "not a model"}, "Unsupported model type"),
        ({"train": "empty"}, "`train` is empty"),
        ({"train": "null_column"}, "hold only nulls"),
        ({"sensitive": ["gender_one_group"]}, "has 1 group"),
        ({"name": "bad name/../x"}, "Invalid model name"),
    ],
)
def test_bad_input_registers_nothing(workspace: Workspace, trained: Trained, change: dict, message: str) -> None:
    kwargs = dict(change)
    if change.get("valid") == "drop_gpa":
        kwargs["valid"] = trained.valid.drop("gpa")
    if change.get("train") == "empty":
        kwargs["train"] = trained.train.head(0)
    if change.get("train") == "null_column":
        kwargs["train"] = trained.train.with_columns(pl.lit(None, dtype=pl.Float64).alias("essay_score"))
        kwargs["valid"] = trained.valid.with_columns(pl.lit(None, dtype=pl.Float64).alias("essay_score"))
    if change.get("sensitive") == ["gender_one_group"]:
        kwargs["train"] = trained.train.with_columns(pl.lit("F").alias("gender"))
        kwargs["valid"] = trained.valid.with_columns(pl.lit("F").alias("gender"))
        kwargs["sensitive"] = ["gender"]
    with pytest.raises(ValidationError, match=message):
        reg(workspace, trained, **kwargs)
    with workspace.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(model_versions)).scalar() == 0
    assert workspace.verify_audit().ok


def test_locked_database_waits_then_errors_clearly(
    workspace: Workspace, trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from workbench.core.errors import DatabaseUnavailable
    from workbench.store import engine as store_engine

    monkeypatch.setenv("WORKBENCH_DB_BUSY_TIMEOUT", "0.5")
    store_engine._cache.clear()
    fresh = Workspace(workspace.project, workspace.identity)
    blocker = sqlite3.connect(workspace.project.state_dir / "workbench.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable, match="locked by another writer"):
            reg(fresh, trained)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        store_engine._cache.clear()
    assert reg(Workspace(workspace.project, workspace.identity), trained).version == 1


def test_contract_override_file(workspace: Workspace, trained: Trained, project_dir: Path) -> None:
    (project_dir / "contract.yaml").write_text("columns:\n  gpa:\n    max: 5.0\n")
    version = reg(workspace, trained, contract_file="contract.yaml")
    gpa = next(c for c in version.contract["columns"] if c["name"] == "gpa")
    assert gpa["max"] == 5.0
    assert json.loads(json.dumps(version.to_dict()))["ref"] == "admissions:1"


def test_get_version_by_alias_not_set(workspace: Workspace, trained: Trained) -> None:
    reg(workspace, trained)
    with pytest.raises(NotFound, match="has no alias 'candidate'"):
        get_version(workspace, "admissions@candidate")
