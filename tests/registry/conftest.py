"""A small trained model on the admissions data, shared by registry and governance tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import pytest


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


FEATURES = [
    "gpa",
    "test_score",
    "course_difficulty",
    "essay_score",
    "recommendation_strength",
    "extracurricular_count",
    "transcript_complete",
]


def train_model(rows: int = 2000, seed: int = 0, rounds: int = 30) -> Trained:
    import xgboost as xgb

    from workbench.examples.admissions import generate_applicants, split

    train, valid = split(prepare(generate_applicants(rows, seed=seed)), seed=seed)
    matrix = xgb.DMatrix(train.select(FEATURES).to_numpy(), label=train["admit"].to_numpy(), feature_names=FEATURES)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "nthread": 1, "seed": seed},
        matrix,
        num_boost_round=rounds,
    )
    return Trained(booster, train, valid, FEATURES)


@pytest.fixture(scope="session")
def trained() -> Trained:
    return train_model()
