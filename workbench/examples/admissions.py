"""Synthetic university applicants: the reference case study's data, seeded and vectorised.

:func:`generate_applicants` draws one admissions cycle. Each applicant has a latent
academic preparation that drives the merit features (GPA, test score, course
difficulty, essay, recommendation, extracurriculars); region and first-generation
status shift that preparation a little, as they do in real cohorts. The historical
decision ``admit`` is a logistic function of the *observed* merit features plus
reader noise, a penalty for an incomplete transcript, and, scaled by ``bias``, a
negative offset for first-generation applicants (full ``bias``) and for female
applicants (half of it). ``bias=0`` gives decisions that depend on merit alone.

``drift=True`` draws a drifted cohort: test scores shift upward and spread wider
(a re-normed test), more applicants withhold their score, and applicants from a new
region, :data:`DRIFT_REGION`, appear that the reference data never holds. Decisions
in that cohort still follow merit relative to its own cohort (percentiles, not raw
points), so a model fitted on the reference cohort over-admits there.

Every column comes from its own seeded stream (see :mod:`workbench.examples._common`):
the same arguments give the same frame, ``bias`` changes only ``admit``, and the first
rows of a large frame equal a small frame drawn with the same arguments.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.examples._common import (
    check_n,
    check_seed,
    chunks,
    formatted_ids,
    sigmoid,
    split,
    streams,
    write_parquet_atomic,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "COMPLETENESS_FLAGS",
    "DEFAULT_BIAS",
    "DRIFT_REGION",
    "FEATURES",
    "GENDERS",
    "KEY",
    "NUMERIC_FEATURES",
    "REGIONS",
    "SCHEMA",
    "SENSITIVE",
    "TARGET",
    "cycle_bounds",
    "generate_applicants",
    "split",
    "write_parquet_atomic",
]

KEY = "applicant_id"
TARGET = "admit"
SENSITIVE = ("gender", "first_generation")
NUMERIC_FEATURES = (
    "gpa",
    "test_score",
    "course_difficulty",
    "essay_score",
    "recommendation_strength",
    "extracurricular_count",
)
CATEGORICAL_FEATURES = ("region",)
#: Model inputs. The sensitive attributes are deliberately not among them: the bias
#: reaches a model only through proxies (region, preparation), as it does in practice.
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
COMPLETENESS_FLAGS = ("transcript_complete", "recommendation_complete", "test_score_submitted")

REGIONS = ("Northeast", "Midwest", "South", "West", "International")
DRIFT_REGION = "Territories"
GENDERS = ("F", "M", "X")
#: Logit offset against first-generation applicants (female applicants get half).
DEFAULT_BIAS = 0.8

SCHEMA: dict[str, pl.DataType] = {
    "applicant_id": pl.String(),
    "gpa": pl.Float64(),
    "test_score": pl.Float64(),
    "course_difficulty": pl.Float64(),
    "essay_score": pl.Float64(),
    "recommendation_strength": pl.Int8(),
    "extracurricular_count": pl.Int8(),
    "region": pl.String(),
    "first_generation": pl.Boolean(),
    "gender": pl.String(),
    "application_date": pl.Date(),
    "transcript_complete": pl.Boolean(),
    "recommendation_complete": pl.Boolean(),
    "test_score_submitted": pl.Boolean(),
    "admit": pl.Int8(),
}

# Index order: REGIONS, then DRIFT_REGION.
_ALL_REGIONS = (*REGIONS, DRIFT_REGION)
_REGION_SHARE = np.array([0.22, 0.21, 0.30, 0.19, 0.08, 0.0])
_REGION_SHARE_DRIFT = np.array([0.20, 0.19, 0.27, 0.17, 0.07, 0.10])
_REGION_FIRST_GEN = np.array([0.22, 0.30, 0.38, 0.30, 0.15, 0.48])
_REGION_PREPARATION = np.array([0.12, 0.0, -0.12, 0.05, 0.20, -0.25])
_GENDER_SHARE = np.array([0.53, 0.45, 0.02])

# (mean, sd) of the test score, and the logit of withholding it, per cohort.
_TEST_REFERENCE = (1100.0, 190.0, -2.65)
_TEST_DRIFT = (1170.0, 215.0, -2.15)

# Fixed standardisation of the merit features for the decision model (never the frame's
# own moments, so a row's decision does not depend on which other rows were drawn).
_INTERCEPT = -0.75
_WEIGHTS = {"gpa": 0.95, "test": 0.70, "difficulty": 0.45, "essay": 0.55, "recommendation": 0.35, "activities": 0.20}

_STREAMS = (
    "region",
    "first_generation",
    "gender",
    "preparation",
    "gpa",
    "difficulty",
    "test",
    "test_withheld",
    "essay_a",
    "essay_b",
    "recommendation",
    "activities",
    "transcript",
    "recommendation_doc",
    "date_round",
    "date_lead",
    "reader_noise",
    "decision",
)


def cycle_bounds(year: int) -> tuple[date, date]:
    """First and last application date of the cycle for entry in autumn ``year``."""
    return date(year - 1, 9, 1), date(year, 1, 15)


def generate_applicants(
    n: int,
    *,
    seed: int = 0,
    year: int = 2025,
    bias: float = DEFAULT_BIAS,
    drift: bool = False,
    start_id: int = 1,
) -> pl.DataFrame:
    """Draw ``n`` applicants of the cycle for entry in ``year``; columns and dtypes as in :data:`SCHEMA`.

    ``bias`` is the historical logit penalty against first-generation applicants (female
    applicants get half); 0 means decisions on merit alone. ``drift=True`` draws the
    drifted cohort described in the module docstring; pass the next ``year`` and a
    ``start_id`` past the reference frame's to keep ids unique across both.
    """
    n = check_n(n)
    seed = check_seed(seed)
    if not np.isfinite(bias) or bias < 0:
        raise ValidationError(f"bias must be a finite number >= 0, got {bias!r}. Use 0 for merit-only decisions.")
    if not 1900 < year < 2200:
        raise ValidationError(f"year must be a plausible admissions year, got {year!r}.")
    if isinstance(start_id, bool) or start_id < 0:
        raise ValidationError(f"start_id must be a non-negative integer, got {start_id!r}.")
    parts = [
        _chunk(m, seed=seed, year=year, bias=float(bias), drift=drift, chunk=c, first_id=start_id + offset)
        for c, offset, m in chunks(n)
    ]
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True)


def _chunk(m: int, *, seed: int, year: int, bias: float, drift: bool, chunk: int, first_id: int) -> pl.DataFrame:
    rng = streams(seed, (0xAD, year, int(drift), chunk), _STREAMS)

    region = rng["region"].choice(len(_ALL_REGIONS), size=m, p=_REGION_SHARE_DRIFT if drift else _REGION_SHARE)
    first_gen = rng["first_generation"].random(m) < _REGION_FIRST_GEN[region]
    gender = rng["gender"].choice(len(GENDERS), size=m, p=_GENDER_SHARE)
    # Latent academic preparation: the common cause of every merit feature.
    prep = rng["preparation"].standard_normal(m) + _REGION_PREPARATION[region] - 0.2 * first_gen

    # GPA is left-skewed with a pile at 4.0: a centred, negated gamma supplies the skew.
    k = 3.0
    skew = -(rng["gpa"].gamma(k, size=m) - k) / np.sqrt(k)
    gpa = np.round(np.clip(3.30 + 0.42 * (0.72 * prep + 0.69 * skew), 0.0, 4.0), 2)

    difficulty = 3.0 + 0.85 * (0.55 * prep + 0.83 * rng["difficulty"].standard_normal(m))
    difficulty = np.round(np.clip(difficulty, 1.0, 5.0), 1)

    test_mean, test_sd, withhold_logit = _TEST_DRIFT if drift else _TEST_REFERENCE
    test_raw = test_mean + test_sd * (0.75 * prep + 0.66 * rng["test"].standard_normal(m))
    test_scale = np.clip(np.round(test_raw, -1), 400.0, 1600.0)
    # Test-optional: weaker-prepared applicants withhold their score more often.
    submitted = rng["test_withheld"].random(m) >= sigmoid(withhold_logit - 0.6 * prep)
    test = np.where(submitted, test_scale, np.nan)

    # Two readers score the essay 1-10; the applicant sees their mean (steps of 0.5).
    readers = [
        np.clip(np.round(6.0 + 1.6 * (0.45 * prep + 0.89 * rng[name].standard_normal(m))), 1, 10)
        for name in ("essay_a", "essay_b")
    ]
    essay = (readers[0] + readers[1]) / 2.0

    rec = np.clip(np.round(3.4 + 0.9 * (0.5 * prep + 0.87 * rng["recommendation"].standard_normal(m))), 1, 5)
    activities = np.minimum(rng["activities"].poisson(np.exp(1.35 + 0.25 * prep - 0.15 * first_gen)), 12)

    # First-generation applicants get less guidance and miss documents a little more often.
    transcript_complete = rng["transcript"].random(m) >= 0.025 + 0.02 * first_gen
    recommendation_complete = rng["recommendation_doc"].random(m) >= 0.04 + 0.02 * first_gen

    dates = _application_days(m, year, rng["date_round"], rng["date_lead"])

    merit = (
        _WEIGHTS["gpa"] * (gpa - 3.30) / 0.42
        + _WEIGHTS["test"] * np.where(submitted, (test_scale - test_mean) / test_sd, -0.15)
        + _WEIGHTS["difficulty"] * (difficulty - 3.0) / 0.85
        + _WEIGHTS["essay"] * (essay - 6.0) / 1.3
        + _WEIGHTS["recommendation"] * np.where(recommendation_complete, (rec - 3.4) / 0.9, 0.0)
        + _WEIGHTS["activities"] * (activities - 4.0) / 2.0
    )
    logit = (
        _INTERCEPT
        + merit
        + 0.6 * rng["reader_noise"].standard_normal(m)
        - 1.5 * ~transcript_complete
        - bias * (first_gen + 0.5 * (gender == 0))
    )
    admit = rng["decision"].random(m) < sigmoid(logit)

    year_prefix = f"A{year}-"
    frame = pl.DataFrame(
        [
            formatted_ids(year_prefix, first_id, m).alias("applicant_id"),
            pl.Series("gpa", gpa, dtype=pl.Float64),
            pl.Series("test_score", test, dtype=pl.Float64, nan_to_null=True),
            pl.Series("course_difficulty", difficulty, dtype=pl.Float64),
            pl.Series("essay_score", essay, dtype=pl.Float64),
            pl.Series("recommendation_strength", rec.astype(np.int8)),
            pl.Series("extracurricular_count", activities.astype(np.int8)),
            pl.Series("region", _ALL_REGIONS, dtype=pl.String).gather(region),
            pl.Series("first_generation", first_gen),
            pl.Series("gender", GENDERS, dtype=pl.String).gather(gender),
            pl.Series("application_date", dates).cast(pl.Date),
            pl.Series("transcript_complete", transcript_complete),
            pl.Series("recommendation_complete", recommendation_complete),
            pl.Series("test_score_submitted", submitted),
            pl.Series("admit", admit.astype(np.int8)),
        ]
    )
    # A missing letter has no strength to report.
    return frame.with_columns(
        pl.when(pl.col("recommendation_complete"))
        .then(pl.col("recommendation_strength"))
        .alias("recommendation_strength")
    )


def _application_days(m: int, year: int, round_rng: np.random.Generator, lead_rng: np.random.Generator) -> np.ndarray:
    """Days since 1970-01-01: 30% early round, the rest regular, bunched before each deadline."""
    epoch = date(1970, 1, 1)
    opens, regular_deadline = cycle_bounds(year)
    early_deadline = date(year - 1, 11, 1)
    is_early = round_rng.random(m) < 0.30
    deadline = np.where(is_early, (early_deadline - epoch).days, (regular_deadline - epoch).days)
    window = np.where(is_early, (early_deadline - opens).days, (regular_deadline - opens).days) + 1
    scale = np.where(is_early, 12.0, 20.0)
    # Inverse CDF of an exponential truncated to the window: days of lead time before the deadline.
    u = lead_rng.random(m)
    lead = np.floor(-scale * np.log1p(-u * -np.expm1(-window / scale)))
    return (deadline - np.minimum(lead, window - 1)).astype(np.int32)
