"""``register``: turn a trained XGBoost model into an immutable, evidence-carrying version.

Order of work, chosen so that a crash at any point leaves no half-registered
version: validate every input first; compute the evidence (metrics, SHAP, drift,
fairness); write the artifacts (content-addressed, so an orphan from a crash is
harmless and is reused by the retry); then insert the version, its model row and
the audit event in one database transaction.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.refs import check_name
from workbench.project.keys import SigningKey
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.registry.lineage import capture_lineage
from workbench.registry.metrics import classification_metrics, merge_user_metrics, regression_metrics
from workbench.registry.model_io import as_booster, booster_to_bytes, task_of
from workbench.registry.model_version import ModelVersion
from workbench.registry.signing import MEDIA_TYPE, SIGNATURE, sign_artifacts
from workbench.registry.store_version import insert_version

__all__ = ["RegisterOptions", "register"]

REFERENCE_ROWS = 50_000


@dataclass(frozen=True)
class RegisterOptions:
    """Knobs with sensible defaults; ``wb.register`` exposes them as keywords."""

    explain: str = "exact"
    explain_rows: int = 2_000
    local_rows: int = 200
    drift_report_rows: int = 20_000
    evidently_report: bool = True
    threshold: float = 0.5
    seed: int = 0
    device: str = "auto"


def _check_frames(train: Any, valid: Any, target: str, sensitive: tuple[str, ...]) -> None:
    for label, frame in (("train", train), ("valid", valid)):
        if not isinstance(frame, pl.DataFrame):
            raise ValidationError(f"`{label}` must be a polars DataFrame, got {type(frame).__name__}.")
        if frame.height == 0:
            raise ValidationError(f"`{label}` is empty: register with at least one row in train and valid.")
        if target not in frame.columns:
            raise ValidationError(
                f"Target column {target!r} is missing from `{label}` (columns: {', '.join(frame.columns)})."
            )
    if train.columns != valid.columns:
        only_train = sorted(set(train.columns) - set(valid.columns))
        only_valid = sorted(set(valid.columns) - set(train.columns))
        raise ValidationError(
            "`train` and `valid` have different columns"
            + (f"; only in train: {', '.join(only_train)}" if only_train else "")
            + (f"; only in valid: {', '.join(only_valid)}" if only_valid else "")
            + ("; same columns in another order" if not only_train and not only_valid else "")
            + "."
        )
    null_only = [c for c in train.columns if train[c].null_count() == train.height]
    if null_only:
        raise ValidationError(
            f"Column(s) {', '.join(null_only)} hold only nulls in `train`; drop them before registering."
        )
    for column in sensitive:
        if column not in train.columns:
            raise ValidationError(
                f"Sensitive column {column!r} is not in the data (columns: {', '.join(train.columns)})."
            )
        groups = valid[column].drop_nulls().n_unique()
        if groups < 2:
            raise ValidationError(
                f"Sensitive column {column!r} has {groups} group(s) in `valid`; fairness needs at least two groups."
            )


def _features(booster: Any, train: pl.DataFrame, target: str, keys: tuple[str, ...]) -> list[str]:
    names = booster.feature_names
    if names:
        missing = [n for n in names if n not in train.columns]
        if missing:
            raise ValidationError(f"The model uses feature(s) {', '.join(missing)} that are not columns of `train`.")
        return list(names)
    candidates = [c for c in train.columns if c != target and c not in keys]
    if len(candidates) != booster.num_features():
        raise ValidationError(
            f"The model has {booster.num_features()} features without names and `train` has {len(candidates)} "
            "candidate "
            "columns; train it on a DataFrame (so features are named) or pass features=[...]."
        )
    return candidates


def register(
    workspace: Workspace,
    model: Any,
    *,
    name: str,
    train: pl.DataFrame,
    valid: pl.DataFrame,
    target: str,
    sensitive: list[str] | tuple[str, ...] = (),
    metrics: dict[str, float] | None = None,
    description: str = "",
    intended_use: str = "",
    keys: list[str] | tuple[str, ...] = (),
    features: list[str] | None = None,
    feature_set: str | None = None,
    contract_file: str | Path | None = None,
    monitor: list[str] | tuple[str, ...] = (),
    options: RegisterOptions | None = None,
    key: SigningKey | None = None,
) -> ModelVersion:
    """Register ``model`` as the next version of ``name``; returns the stored version.

    In a keyed project the author is the roster person who owns ``key`` (default: the user's
    own key), who needs the ``author`` role, and the artifacts are signed with it
    (:mod:`workbench.registry.signing`); in an open project the author is the declared name
    and the version is unsigned.

    ``monitor`` names extra columns (not model features, e.g. ``region``) that are kept
    in the drift reference so scoring jobs watch them too. ``feature_set`` names the project
    feature set that computed ``train``'s features (``features`` stays a list of column names);
    its definition is recorded as the ``feature_set`` artifact, and scoring computes the features
    with it (:mod:`workbench.features.recorded`).
    """
    from workbench.contracts import apply_overrides, derive_contract, feature_matrix, load_overrides
    from workbench.drift import detect_drift
    from workbench.explain import (
        contributions,
        effective_device,
        global_importance,
        plot_bar_png,
        plot_summary_png,
        select_device,
    )
    from workbench.fairness import assess_fairness

    opts = options or RegisterOptions()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    check_name(name, "model name")
    if isinstance(features, str):
        raise ValidationError(
            f"features={features!r} is one string; `features` lists feature column names. To record the feature set "
            f"that computed them, pass feature_set={features!r}."
        )
    acting = authorize(workspace, "register", key=key)
    workspace = workspace.with_identity(acting.identity)
    if acting.key is not None and not acting.key.is_p256:
        raise ConfigError(
            f"Model artifacts are signed with OpenSSF model-signing, which needs a P-256 key; {acting.key.path} is "
            "ed25519. Create one with `workbench keys init --force` and have a policy admin adopt the revised roster."
        )
    booster = as_booster(model)
    task = task_of(booster)
    sensitive = tuple(sensitive)
    keys = tuple(keys)
    _check_frames(train, valid, target, sensitive)
    unknown_monitor = [c for c in monitor if c not in train.columns]
    if unknown_monitor:
        raise ValidationError(f"Monitored column(s) {', '.join(unknown_monitor)} are not in the data.")
    feature_names = list(features) if features else _features(booster, train, target, keys)
    feature_record = None
    if feature_set is not None:
        from workbench.features.recorded import record_feature_set

        feature_record = record_feature_set(workspace.project, feature_set, train)

    contract = derive_contract(train, target=target, keys=keys, features=feature_names)
    if contract_file is not None:
        contract = apply_overrides(
            contract, load_overrides(workspace.project.resolve_inside(contract_file, "contract file"))
        )
    x_valid = feature_matrix(valid, contract)
    y_valid = valid[target].to_numpy().astype(np.float64)
    timings["validate"] = time.perf_counter() - started

    mark = time.perf_counter()
    predicted = np.asarray(booster.inplace_predict(x_valid), dtype=np.float64)
    computed = (
        classification_metrics(y_valid, predicted, opts.threshold)
        if task == "classification"
        else regression_metrics(y_valid, predicted)
    )
    all_metrics = merge_user_metrics(computed, metrics)
    timings["metrics"] = time.perf_counter() - mark

    mark = time.perf_counter()
    rng = np.random.default_rng(opts.seed)
    sample_index = np.sort(rng.choice(valid.height, size=min(opts.explain_rows, valid.height), replace=False))
    x_sample = x_valid[sample_index]
    device = effective_device(opts.explain, select_device(opts.device))
    contribs, bias = contributions(booster, x_sample, method=opts.explain, device=device, feature_names=feature_names)
    importance = global_importance(contribs, feature_names)
    local_count = min(opts.local_rows, len(sample_index))
    local = pl.DataFrame(contribs[:local_count], schema=feature_names, orient="row").with_columns(
        pl.Series("_row", sample_index[:local_count]), pl.lit(bias).alias("_bias")
    )
    summary_png = plot_summary_png(contribs, x_sample, feature_names, seed=opts.seed)
    bar_png = plot_bar_png(contribs, feature_names)
    timings["explain"] = time.perf_counter() - mark

    mark = time.perf_counter()
    drift_columns = list(contract.features)
    drift = detect_drift(train.select(drift_columns), valid.select(drift_columns))
    drift_html = None
    if opts.evidently_report:
        from workbench.drift import render_evidently_report

        drift_html = render_evidently_report(
            train.select(drift_columns), valid.select(drift_columns), max_rows=opts.drift_report_rows, seed=opts.seed
        )
    timings["drift"] = time.perf_counter() - mark

    mark = time.perf_counter()
    fairness: dict[str, Any] = {}
    if task == "classification" and sensitive:
        report = assess_fairness(valid, target=target, scores=predicted, sensitive=sensitive, threshold=opts.threshold)
        fairness = {column.column: column.to_dict() for column in report.columns}
    timings["fairness"] = time.perf_counter() - mark

    mark = time.perf_counter()
    lineage = capture_lineage(workspace.project, author=workspace.actor, frames={"train": train, "valid": valid})
    reference_columns = [*keys, *drift_columns, *(c for c in monitor if c not in drift_columns and c not in keys)]
    sampled = train if train.height <= REFERENCE_ROWS else train.sample(REFERENCE_ROWS, seed=opts.seed)
    reference = sampled.select(reference_columns)
    store = workspace.artifacts
    refs = {
        "model": store.put_bytes(booster_to_bytes(booster), "model.ubj", "application/ubjson"),
        "contract": store.put_bytes(_json(contract.to_dict()), "contract.json", "application/json"),
        "metrics": store.put_bytes(_json(all_metrics), "metrics.json", "application/json"),
        "shap_global": store.put_bytes(_parquet(importance), "shap_global.parquet", "application/vnd.apache.parquet"),
        "shap_local": store.put_bytes(_parquet(local), "shap_local.parquet", "application/vnd.apache.parquet"),
        "drift": store.put_bytes(_json(drift.to_dict()), "drift.json", "application/json"),
        "fairness": store.put_bytes(_json(fairness), "fairness.json", "application/json"),
        "reference": store.put_bytes(_parquet(reference), "reference.parquet", "application/vnd.apache.parquet"),
    }
    if feature_record is not None:
        refs["feature_set"] = store.put_bytes(_json(feature_record), "feature_set.json", "application/json")
    if summary_png:
        refs["shap_summary_png"] = store.put_bytes(summary_png, "shap_summary.png", "image/png")
    if bar_png:
        refs["shap_bar_png"] = store.put_bytes(bar_png, "shap_bar.png", "image/png")
    if drift_html:
        refs["drift_report"] = store.put_bytes(drift_html.encode("utf-8"), "drift_report.html", "text/html")
    signed_by = None
    if acting.key is not None:
        bundle = sign_artifacts(store, {k: r.to_dict() for k, r in refs.items()}, acting.key, f"{name} (new)")
        refs[SIGNATURE] = store.put_bytes(bundle, "model.sig", MEDIA_TYPE)
        signed_by = {"name": acting.identity.name, "key": acting.key.public_line, "fingerprint": acting.key.fingerprint}
    timings["write_artifacts"] = time.perf_counter() - mark

    explanation = {
        "method": opts.explain,
        "device": device,
        "rows": len(sample_index),
        "bias": float(bias),
        "global": importance.to_dicts(),
    }
    drift_data = drift.to_dict()
    drift_record = {
        "summary": {k: v for k, v in drift_data.items() if k != "columns"},
        "columns": drift_data.get("columns", []),
    }
    mark = time.perf_counter()
    version = insert_version(
        workspace,
        name=name,
        task=task,
        description=description,
        intended_use=intended_use,
        artifacts={key: ref.to_dict() for key, ref in refs.items()},
        contract=contract.to_dict(),
        lineage={
            **lineage,
            "sensitive": list(sensitive),
            "target": target,
            "monitor": [c for c in monitor if c not in drift_columns],
            "timings": timings,
            "signed_by": signed_by,
            **({"feature_set": {k: feature_record[k] for k in ("name", "version")}} if feature_record else {}),
        },
        metrics=all_metrics,
        explanation=explanation,
        drift=drift_record,
        fairness=fairness,
    )
    timings["transaction"] = time.perf_counter() - mark
    return version


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=1, default=str).encode("utf-8")


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()
