"""First-year results of admitted applicants: the admissions demo's ground truth, seeded.

:func:`first_year_outcomes` draws, for applicants drawn by
:func:`workbench.examples.admissions.generate_applicants`, whether each passed the first year
(``first_year_pass``, 1 or 0) and the day the registrar reported it (``observed_on``, in the
June after entry). The truth is a logistic function of the applicant's academic record, with
the test score taken *relative to its own cohort* (a re-normed test means the same preparation
at more points), plus noise no file shows (health, money, homesickness):

* on the reference cohort, a model trained on past admissions mostly agrees with it: most
  applicants it accepts pass, and its score ranks passes above failures;
* on the drifted cohort, the raw test points are inflated, so a model fitted on the reference
  cohort accepts some applicants it should not, and its realized accuracy drops.

About one applicant in eight that such a model accepts fails the first year, near the share universities report.

Only admitted applicants have a first year, so a caller passes those (``admitted``); the
function draws every applicant's result first and then keeps the admitted rows, so a row's
result never depends on who else was admitted. Every draw comes from its own seeded stream
(:mod:`workbench.examples._common`): the same applicants and seed give the same results.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.examples._common import check_seed, sigmoid, streams

__all__ = ["LABEL", "OBSERVED_AT", "first_year_outcomes"]

LABEL = "first_year_pass"
OBSERVED_AT = "observed_on"

# (mean, sd) of the test score per cohort: the scale generate_applicants draws on (reference, re-normed).
_TEST_NORMS = {False: (1100.0, 190.0), True: (1170.0, 215.0)}
# How the record predicts the first year: grades and course rigour most, the essay little.
_INTERCEPT = 0.2
_WEIGHTS = {"gpa": 1.05, "test": 0.8, "difficulty": 0.45, "essay": 0.15, "recommendation": 0.15}
_NOISE = 1.0  # sd of what no file shows, on the logit scale
_REQUIRED = ("applicant_id", "gpa", "test_score", "course_difficulty", "essay_score", "recommendation_strength")


def first_year_outcomes(
    applicants: pl.DataFrame,
    admitted: Iterable[str] | pl.Series | None = None,
    *,
    seed: int = 0,
    drift: bool = False,
    year: int | None = None,
) -> pl.DataFrame:
    """``applicant_id``, ``first_year_pass`` (Int8) and ``observed_on`` (Date) of the admitted applicants.

    ``applicants`` holds at least the columns of :data:`_REQUIRED` as ``generate_applicants``
    draws them; ``drift`` says which cohort it is (the one its test scores were drawn on).
    ``admitted`` lists the admitted applicant ids (``None``: everyone, the full truth); ids not
    among ``applicants`` are refused. ``year`` is the entry year (default: read from the ids,
    ``A2026-...``); results are reported in June of the year after.
    """
    seed = check_seed(seed)
    missing = [c for c in _REQUIRED if c not in applicants.columns]
    if missing:
        raise ValidationError(
            f"The applicants lack {', '.join(missing)}: pass the frame generate_applicants drew "
            "(the first-year result depends on the academic record)."
        )
    ids = applicants.get_column("applicant_id")
    entry = year if year is not None else _entry_year(ids)
    m = applicants.height
    rng = streams(seed, (0x0F, entry, int(drift)), ("noise", "draw", "day"))

    mean, sd = _TEST_NORMS[bool(drift)]
    test = applicants.get_column("test_score").to_numpy().astype(np.float64)
    rec = applicants.get_column("recommendation_strength").cast(pl.Float64).fill_null(3.4).to_numpy()
    record = (
        _WEIGHTS["gpa"] * (applicants.get_column("gpa").to_numpy() - 3.30) / 0.42
        + _WEIGHTS["test"] * np.where(np.isnan(test), -0.15, (test - mean) / sd)
        + _WEIGHTS["difficulty"] * (applicants.get_column("course_difficulty").to_numpy() - 3.0) / 0.85
        + _WEIGHTS["essay"] * (applicants.get_column("essay_score").to_numpy() - 6.0) / 1.3
        + _WEIGHTS["recommendation"] * (rec - 3.4) / 0.9
    )
    passed = rng["draw"].random(m) < sigmoid(_INTERCEPT + record + _NOISE * rng["noise"].standard_normal(m))
    # Grades are posted over the last two weeks of June.
    days = rng["day"].integers(0, 14, size=m)
    first = np.datetime64(date(entry + 1, 6, 16), "D")
    truth = pl.DataFrame(
        [
            ids.cast(pl.String).alias("applicant_id"),
            pl.Series(LABEL, passed.astype(np.int8)),
            pl.Series(OBSERVED_AT, first + days.astype("timedelta64[D]")).cast(pl.Date),
        ]
    )
    if admitted is None:
        return truth
    chosen = pl.Series("applicant_id", list(admitted) if not isinstance(admitted, pl.Series) else admitted)
    chosen = chosen.cast(pl.String).unique(maintain_order=True)
    unknown = chosen.filter(~chosen.is_in(truth.get_column("applicant_id").implode()))
    if not unknown.is_empty():
        raise ValidationError(
            f"{unknown.len()} admitted id(s) are not among the applicants: {', '.join(unknown.head(5).to_list())}. "
            "Pass the applicants the admitted ids come from."
        )
    return truth.filter(pl.col("applicant_id").is_in(chosen.implode()))


def _entry_year(ids: pl.Series) -> int:
    """The entry year in ``A2026-000001`` ids; 2025 for an empty frame."""
    if ids.is_empty():
        return 2025
    head = str(ids[0])
    digits = head[1:5]
    if not (head.startswith("A") and digits.isdigit() and 1900 < int(digits) < 2200):
        raise ValidationError(
            f"Cannot read the entry year from applicant id {head!r}; pass year= (the cohort's entry year)."
        )
    return int(digits)
