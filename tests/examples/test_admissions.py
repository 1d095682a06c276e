"""Tests for the synthetic applicants generator (workbench.examples.admissions)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.core.errors import ValidationError
from workbench.examples import _common, admissions
from workbench.examples.admissions import (
    DEFAULT_BIAS,
    DRIFT_REGION,
    FEATURES,
    GENDERS,
    KEY,
    REGIONS,
    SCHEMA,
    SENSITIVE,
    TARGET,
    cycle_bounds,
    generate_applicants,
    split,
    write_parquet_atomic,
)


@pytest.fixture(scope="module")
def small() -> pl.DataFrame:
    return generate_applicants(2_000, seed=7)


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    # Large enough that rates sit well inside their bands; still ~50 ms.
    return generate_applicants(20_000, seed=11)


def _rate(df: pl.DataFrame, predicate: pl.Expr) -> float:
    return df.select(predicate.cast(pl.Float64).mean()).item()


def _admit_gap(df: pl.DataFrame, group: pl.Expr) -> float:
    """Admit rate outside ``group`` minus inside it, averaged over GPA quintiles (a loose merit control)."""
    banded = df.with_columns(band=(pl.col("gpa").rank("ordinal") * 5 // (pl.len() + 1)), grp=group)
    per_band = banded.group_by("band").agg(
        gap=pl.col(TARGET).filter(~pl.col("grp")).mean() - pl.col(TARGET).filter(pl.col("grp")).mean(),
        rows=pl.len(),
    )
    return per_band.select((pl.col("gap") * pl.col("rows")).sum() / pl.col("rows").sum()).item()


def test_constants_name_real_columns() -> None:
    assert set(FEATURES) | set(SENSITIVE) | {KEY, TARGET} <= set(SCHEMA)
    assert not set(FEATURES) & set(SENSITIVE)
    assert SENSITIVE == ("gender", "first_generation")
    assert (KEY, TARGET) == ("applicant_id", "admit")


def test_schema_and_dtypes(small: pl.DataFrame) -> None:
    assert small.height == 2_000
    assert dict(small.schema) == SCHEMA


def test_same_arguments_same_frame() -> None:
    assert_frame_equal(generate_applicants(2_000, seed=3), generate_applicants(2_000, seed=3))
    assert not generate_applicants(500, seed=3).equals(generate_applicants(500, seed=4))


def test_small_frame_is_prefix_of_large() -> None:
    assert_frame_equal(generate_applicants(300, seed=5), generate_applicants(2_000, seed=5).head(300))


def test_chunks_join_seamlessly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "CHUNK_ROWS", 700)
    df = generate_applicants(2_000, seed=5)
    assert df.height == 2_000
    assert df[KEY].is_unique().all()
    assert df[KEY][[0, 699, 700, 1_999]].to_list() == [
        "A2025-0000001",
        "A2025-0000700",
        "A2025-0000701",
        "A2025-0002000",
    ]
    assert_frame_equal(generate_applicants(700, seed=5), df.head(700))


def test_ids_unique_and_formatted(small: pl.DataFrame) -> None:
    ids = small[KEY]
    assert ids.is_unique().all()
    assert ids.str.contains(r"^A2025-\d{7}$").all()
    later = generate_applicants(10, seed=7, year=2026, start_id=2_001)
    assert later[KEY][0] == "A2026-0002001"


def test_bounds(cohort: pl.DataFrame) -> None:
    df = cohort
    assert df["gpa"].is_between(0.0, 4.0).all()
    assert df["gpa"].null_count() == 0
    scores = df["test_score"].drop_nulls()
    assert scores.is_between(400.0, 1600.0).all()
    assert (scores % 10 == 0).all()
    assert df["course_difficulty"].is_between(1.0, 5.0).all()
    assert df["essay_score"].is_between(1.0, 10.0).all()
    assert ((df["essay_score"] * 2) % 1 == 0).all()
    assert df["recommendation_strength"].drop_nulls().is_between(1, 5).all()
    assert df["extracurricular_count"].is_between(0, 12).all()
    assert set(df["region"].unique()) == set(REGIONS)
    assert set(df["gender"].unique()) == set(GENDERS)
    first, last = cycle_bounds(2025)
    assert df["application_date"].is_between(first, last).all()
    assert set(df[TARGET].unique()) == {0, 1}


def test_distributions_look_like_applicants(cohort: pl.DataFrame) -> None:
    gpa = cohort["gpa"]
    assert 3.1 < gpa.mean() < 3.5
    assert cohort.select(pl.col("gpa").skew()).item() < 0  # left-skewed, piled towards 4.0
    assert 1_050 < cohort["test_score"].mean() < 1_150
    assert 0.25 < _rate(cohort, pl.col("first_generation")) < 0.38
    # Applications bunch before the deadlines (Nov 1 early round, Jan 15 regular).
    months = cohort["application_date"].dt.month()
    assert ((months == 10) | (months == 12) | (months == 1)).mean() > 0.7


def test_missing_test_score_rate_and_flags(cohort: pl.DataFrame) -> None:
    missing = cohort["test_score"].null_count() / cohort.height
    assert 0.05 < missing < 0.11
    assert (cohort["test_score"].is_null() == ~cohort["test_score_submitted"]).all()
    assert (cohort["recommendation_strength"].is_null() == ~cohort["recommendation_complete"]).all()
    assert 0.93 < _rate(cohort, pl.col("transcript_complete")) < 0.995


def test_label_base_rate_and_merit(cohort: pl.DataFrame) -> None:
    assert 0.28 < cohort[TARGET].mean() < 0.42
    top = cohort.filter(pl.col("gpa") >= pl.col("gpa").quantile(0.8))
    bottom = cohort.filter(pl.col("gpa") <= pl.col("gpa").quantile(0.2))
    assert top[TARGET].mean() > bottom[TARGET].mean() + 0.3
    # Incomplete transcripts are rarely admitted.
    incomplete = cohort.filter(~pl.col("transcript_complete"))
    assert incomplete[TARGET].mean() < cohort[TARGET].mean()


def test_bias_changes_only_the_label() -> None:
    fair = generate_applicants(2_000, seed=9, bias=0.0)
    biased = generate_applicants(2_000, seed=9)
    assert_frame_equal(fair.drop(TARGET), biased.drop(TARGET))
    assert not fair[TARGET].equals(biased[TARGET])


def test_bias_opens_an_admit_gap_between_groups() -> None:
    fair = generate_applicants(20_000, seed=13, bias=0.0)
    biased = generate_applicants(20_000, seed=13, bias=DEFAULT_BIAS)
    first_gen = pl.col("first_generation")
    female = pl.col("gender") == "F"
    # Within GPA quintiles, merit alone leaves a small gap; the injected bias a large one.
    assert abs(_admit_gap(fair, first_gen)) < 0.06
    assert _admit_gap(biased, first_gen) > 0.08
    assert _admit_gap(biased, first_gen) - _admit_gap(fair, first_gen) > 0.06
    assert abs(_admit_gap(fair, female)) < 0.025
    assert _admit_gap(biased, female) > 0.025
    assert 0.28 < fair[TARGET].mean() < 0.42
    stronger = generate_applicants(20_000, seed=13, bias=2 * DEFAULT_BIAS)
    assert _admit_gap(stronger, first_gen) > _admit_gap(biased, first_gen)


def test_drift_shifts_test_scores_and_adds_a_region(cohort: pl.DataFrame) -> None:
    drifted = generate_applicants(20_000, seed=11, year=2026, drift=True, start_id=20_001)
    assert dict(drifted.schema) == SCHEMA
    assert drifted["test_score"].mean() > cohort["test_score"].mean() + 40
    assert drifted["test_score"].std() > cohort["test_score"].std()
    assert DRIFT_REGION not in set(cohort["region"])
    assert 0.05 < _rate(drifted, pl.col("region") == DRIFT_REGION) < 0.15
    assert drifted["test_score"].null_count() > cohort["test_score"].null_count()
    assert drifted["application_date"].is_between(*cycle_bounds(2026)).all()
    assert not set(drifted[KEY]) & set(cohort[KEY])
    assert 0.25 < drifted[TARGET].mean() < 0.42


def test_empty_frame_keeps_schema() -> None:
    empty = generate_applicants(0)
    assert empty.height == 0
    assert dict(empty.schema) == SCHEMA


@pytest.mark.parametrize(
    "kwargs",
    [{"n": -1}, {"n": 1.5}, {"n": 10, "seed": -1}, {"n": 10, "bias": -0.1}, {"n": 10, "bias": float("nan")}],
)
def test_bad_arguments_raise(kwargs: dict) -> None:
    n = kwargs.pop("n")
    with pytest.raises(ValidationError):
        generate_applicants(n, **kwargs)


def test_split_is_seeded_disjoint_and_complete(small: pl.DataFrame) -> None:
    train, valid = split(small, valid_fraction=0.25, seed=1)
    assert (train.height, valid.height) == (1_500, 500)
    assert not set(train[KEY]) & set(valid[KEY])
    assert_frame_equal(pl.concat([train, valid]).sort(KEY), small.sort(KEY))
    again_train, _ = split(small, valid_fraction=0.25, seed=1)
    assert_frame_equal(train, again_train)
    other_train, _ = split(small, valid_fraction=0.25, seed=2)
    assert not train.equals(other_train)
    assert train[KEY].is_sorted()  # input order kept


def test_split_stratified_keeps_base_rate(small: pl.DataFrame) -> None:
    train, valid = split(small, valid_fraction=0.2, seed=0, stratify=TARGET)
    assert abs(valid[TARGET].mean() - small[TARGET].mean()) < 0.002
    assert train.height + valid.height == small.height


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2])
def test_split_rejects_bad_fraction(small: pl.DataFrame, fraction: float) -> None:
    with pytest.raises(ValidationError):
        split(small, valid_fraction=fraction)


def test_write_parquet_atomic_round_trips(tmp_path: Path, small: pl.DataFrame) -> None:
    target = tmp_path / "data" / "applications.parquet"
    assert write_parquet_atomic(small, target) == target
    assert_frame_equal(pl.read_parquet(target), small)
    write_parquet_atomic(small.head(10), target)
    assert pl.read_parquet(target).height == 10
    assert sorted(p.name for p in target.parent.iterdir()) == ["applications.parquet"]


def test_write_parquet_atomic_leaves_nothing_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: pl.DataFrame, file: object, **kwargs: object) -> None:
        raise OSError("disk full")

    target = tmp_path / "out.parquet"
    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        admissions.write_parquet_atomic(pl.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []
