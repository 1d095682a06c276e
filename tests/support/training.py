"""A small XGBoost model on the admissions data, and registering it as ``admissions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.project.workspace import Workspace
from workbench.registry.register import RegisterOptions, register

__all__ = ["FAST", "FEATURES", "Trained", "prepare", "register_admissions", "train_model"]

FEATURES = [
    "gpa",
    "test_score",
    "course_difficulty",
    "essay_score",
    "recommendation_strength",
    "extracurricular_count",
    "transcript_complete",
]

# Registration without the costly evidence (Evidently's HTML, wide SHAP samples).
FAST = RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20)


@dataclass(frozen=True)
class Trained:
    booster: Any
    train: pl.DataFrame
    valid: pl.DataFrame
    features: list[str]


def prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Model-ready columns: numeric features plus region as a string category."""
    return df.select(
        "applicant_id",
        "gpa",
        "test_score",
        "course_difficulty",
        "essay_score",
        pl.col("recommendation_strength").cast(pl.Float64),
        pl.col("extracurricular_count").cast(pl.Float64),
        "region",
        pl.col("transcript_complete").cast(pl.Float64),
        "gender",
        pl.col("first_generation").cast(pl.Int8),
        "admit",
    )


def train_model(rows: int = 2000, seed: int = 0, rounds: int = 30, max_depth: int = 3, eta: float = 0.3) -> Trained:
    import xgboost as xgb

    from workbench.examples.admissions import generate_applicants, split

    train, valid = split(prepare(generate_applicants(rows, seed=seed)), seed=seed)
    matrix = xgb.DMatrix(train.select(FEATURES).to_numpy(), label=train["admit"].to_numpy(), feature_names=FEATURES)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": max_depth, "eta": eta, "nthread": 1, "seed": seed},
        matrix,
        num_boost_round=rounds,
    )
    return Trained(booster, train, valid, FEATURES)


def register_admissions(
    workspace: Workspace, trained: Trained, *, options: RegisterOptions = FAST, **fields: Any
) -> Any:
    """Register ``trained`` as the next ``admissions`` version (keys, target and sensitive column
    as the admissions data has them); ``fields`` adds or replaces :func:`register`'s arguments."""
    arguments: dict[str, Any] = {
        "name": "admissions",
        "train": trained.train,
        "valid": trained.valid,
        "target": "admit",
        "sensitive": ["gender"],
        "keys": ["applicant_id"],
        "options": options,
        **fields,
    }
    return register(workspace, trained.booster, **arguments)
