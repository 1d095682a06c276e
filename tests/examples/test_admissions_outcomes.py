"""Tests for the first-year outcome generator (workbench.examples.admissions_outcomes)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
import xgboost as xgb
from polars.testing import assert_frame_equal

from workbench.core.errors import ValidationError
from workbench.examples.admissions import generate_applicants
from workbench.examples.admissions_outcomes import LABEL, OBSERVED_AT, first_year_outcomes

MERIT = ["gpa", "test_score", "course_difficulty", "essay_score", "recommendation_strength", "extracurricular_count"]


@pytest.fixture(scope="module")
def incoming() -> pl.DataFrame:
    return generate_applicants(4000, seed=8, year=2026, drift=True, start_id=20001)


@pytest.fixture(scope="module")
def scores(incoming: pl.DataFrame) -> np.ndarray:
    """A model of past admissions, as the demo trains, scoring the drifted cohort."""
    past = generate_applicants(8000, seed=7, year=2025)
    model = xgb.XGBClassifier(n_estimators=120, max_depth=4, learning_rate=0.1, n_jobs=1, random_state=0)
    model.fit(past.select(MERIT).to_pandas(), past.get_column("admit").to_numpy())
    return model.predict_proba(incoming.select(MERIT).to_pandas())[:, 1]


def test_same_applicants_and_seed_give_the_same_results(incoming: pl.DataFrame) -> None:
    first = first_year_outcomes(incoming, seed=3, drift=True)
    assert_frame_equal(first, first_year_outcomes(incoming, seed=3, drift=True))
    other = first_year_outcomes(incoming, seed=4, drift=True)
    assert (first.get_column(LABEL) != other.get_column(LABEL)).sum() > 0


def test_shape_types_and_report_dates(incoming: pl.DataFrame) -> None:
    truth = first_year_outcomes(incoming, seed=3, drift=True)
    assert truth.columns == ["applicant_id", LABEL, OBSERVED_AT]
    assert truth.dtypes == [pl.String, pl.Int8, pl.Date]
    assert truth.height == incoming.height
    assert truth.get_column("applicant_id").to_list() == incoming.get_column("applicant_id").to_list()
    assert set(truth.get_column(LABEL).unique().to_list()) == {0, 1}
    # Entry in autumn 2026 (read from the ids), results in the second half of June 2027.
    assert truth.get_column(OBSERVED_AT).min() >= date(2027, 6, 16)
    assert truth.get_column(OBSERVED_AT).max() <= date(2027, 6, 29)


def test_only_admitted_applicants_and_their_results_do_not_depend_on_who_else_was(incoming: pl.DataFrame) -> None:
    truth = first_year_outcomes(incoming, seed=3, drift=True)
    admitted = incoming.get_column("applicant_id").gather_every(3)
    some = first_year_outcomes(incoming, admitted, seed=3, drift=True)
    assert some.height == admitted.len()
    assert_frame_equal(some, truth.filter(pl.col("applicant_id").is_in(admitted.implode())))
    fewer = first_year_outcomes(incoming, admitted.head(10).to_list(), seed=3, drift=True)
    assert_frame_equal(fewer, some.head(10))


def test_results_agree_with_a_model_of_past_admissions_mostly(incoming: pl.DataFrame, scores: np.ndarray) -> None:
    passed = first_year_outcomes(incoming, seed=3, drift=True).get_column(LABEL).to_numpy()
    accepted = scores >= 0.6
    agreement = passed[accepted].mean()  # accepted applicants who passed
    assert 0.8 < agreement < 0.95, agreement  # about one in eight accepted fails: disagreements exist
    assert passed[scores < 0.2].mean() < agreement - 0.2  # those it would decline do clearly worse
    # The score ranks passes above failures, well short of perfectly.
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    positives = passed == 1
    auc = (ranks[positives].sum() - positives.sum() * (positives.sum() + 1) / 2) / (
        positives.sum() * (~positives).sum()
    )
    assert 0.7 < auc < 0.9, auc


def test_bad_input_is_refused(incoming: pl.DataFrame) -> None:
    with pytest.raises(ValidationError, match="lack gpa"):
        first_year_outcomes(incoming.drop("gpa"))
    with pytest.raises(ValidationError, match="not among the applicants: nobody"):
        first_year_outcomes(incoming, ["nobody"])
    with pytest.raises(ValidationError, match="seed"):
        first_year_outcomes(incoming, seed=-1)
    with pytest.raises(ValidationError, match="pass year="):
        first_year_outcomes(incoming.with_columns(pl.lit("x-1").alias("applicant_id")))
