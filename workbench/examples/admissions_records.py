"""The admissions case on raw records: what an admissions office actually holds, time-stamped.

:func:`raw_records` turns applicants drawn by :func:`workbench.examples.admissions.generate_applicants`
into the records the office receives over time, the sources of the ``admissions`` feature set
(``features/admissions.py``), which derives the model's inputs from them as of each decision:

* ``applications``: the form (essay, extracurriculars, region, ...), its ``submitted_at`` and the
  ``decision_time`` (45 days later); no GPA, test score or completeness flag, those are derived;
* ``transcripts``: :data:`TERMS` terms of :data:`COURSES_PER_TERM` course lines (course, term, grade
  points, difficulty), posted line by line after each term; an applicant whose transcript was
  incomplete at the decision has the last term posted after it;
* ``test_attempts``: one to three attempts before applying (the best is the applicant's score), and
  for some applicants a better attempt *after* the decision, which no training row may see;
* ``letters``: :data:`LETTERS_REQUIRED` recommendation letters; an incomplete file has the second
  arrive after the decision.

Everything is seeded (its own streams per applicant chunk) and vectorised; the same applicants
and seed give the same records.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from workbench.examples._common import check_seed, streams

__all__ = [
    "COURSES_PER_TERM",
    "DECISION_DELAY",
    "DERIVED",
    "LETTERS_REQUIRED",
    "TERMS",
    "raw_records",
    "write_raw_records",
]

TERMS = 4
COURSES_PER_TERM = 2
LETTERS_REQUIRED = 2
DECISION_DELAY = timedelta(days=45)
#: Columns of an applicant that the raw records replace (the feature set derives them).
DERIVED = (
    "gpa",
    "test_score",
    "course_difficulty",
    "transcript_complete",
    "recommendation_complete",
    "test_score_submitted",
)
_STREAMS = ("grade", "difficulty", "attempts", "lower", "attempt_day", "late_attempt", "letter_day", "minute")
_LATE_ATTEMPT_SHARE = 0.15


def _times(days: pl.Series, offset: np.ndarray) -> pl.Series:
    """``application_date`` (a Date) plus ``offset`` in seconds, as microsecond datetimes."""
    base = days.cast(pl.Datetime("us")).to_numpy().astype("datetime64[us]")
    return pl.Series(base + offset.astype("timedelta64[s]"))


def raw_records(applicants: pl.DataFrame, *, seed: int = 0) -> dict[str, pl.DataFrame]:
    """``applications``, ``transcripts``, ``test_attempts`` and ``letters`` for ``applicants``."""
    seed = check_seed(seed)
    m = applicants.height
    rng = streams(seed, (0xAE, m), _STREAMS)
    ids = applicants["applicant_id"]
    applied = applicants["application_date"]
    # Noon plus a few minutes: distinct times, and decisions never at a record's instant by accident.
    submitted = _times(applied, 12 * 3600 + rng["minute"].integers(0, 3600, m))
    decided = submitted + DECISION_DELAY

    # Transcripts: grade points scatter around the applicant's GPA, difficulty around theirs.
    lines = TERMS * COURSES_PER_TERM
    who = np.repeat(np.arange(m), lines)
    term = np.tile(np.repeat(np.arange(TERMS), COURSES_PER_TERM), m)
    course = np.tile(np.arange(lines), m)
    gpa = applicants["gpa"].to_numpy()[who]
    grade = np.round(np.clip(gpa + 0.25 * rng["grade"].standard_normal(m * lines), 0.0, 4.0), 1)
    base_difficulty = applicants["course_difficulty"].to_numpy()[who]
    difficulty = np.round(np.clip(base_difficulty + 0.4 * rng["difficulty"].standard_normal(m * lines), 1.0, 5.0), 1)
    # Term t ends (TERMS - t) * 120 days before applying; each line is posted a minute apart.
    posted = -((TERMS - term) * 120 * 86_400) + course * 60
    late_term = ~applicants["transcript_complete"].to_numpy()[who] & (term == TERMS - 1)
    after_decision = int(DECISION_DELAY.total_seconds()) + 10 * 86_400 + 12 * 3600 + course * 60
    transcripts = pl.DataFrame(
        {
            "applicant_id": ids.gather(who),
            "course": pl.Series(course, dtype=pl.Int8),
            "term": pl.Series(term, dtype=pl.Int8),
            "grade": grade,
            "difficulty": difficulty,
            "recorded_at": _times(applied.gather(who), np.where(late_term, after_decision, posted)),
        }
    )

    # Test attempts: the best one before applying is the applicant's score; the others are lower.
    score = applicants["test_score"].to_numpy()
    has_score = ~np.isnan(score)
    attempts = np.where(has_score, 1 + (rng["attempts"].random(m) < 0.5) + (rng["attempts"].random(m) < 0.2), 0)
    who_t = np.repeat(np.arange(m), attempts)
    first = np.concatenate([[0], np.cumsum(attempts)[:-1]])[who_t]
    nth = np.arange(who_t.size) - first
    lower = np.clip(np.round(score[who_t] - np.abs(rng["lower"].normal(0, 60, who_t.size)), -1), 400, 1600)
    values = np.where(nth == 0, score[who_t], lower)
    days_before = 20 + nth * 60 + rng["attempt_day"].integers(0, 40, who_t.size)
    late = rng["late_attempt"].random(m) < _LATE_ATTEMPT_SHARE  # a retake after the decision: the leak
    late_score = np.where(has_score, np.minimum(np.nan_to_num(score) + 150, 1600), 1300)[late]
    test_attempts = pl.DataFrame(
        {
            "applicant_id": pl.concat([ids.gather(who_t), ids.filter(pl.Series(late))]),
            "score": np.concatenate([values, late_score]),
            "recorded_at": pl.concat(
                [
                    _times(applied.gather(who_t), -days_before * 86_400 + 9 * 3600),
                    _times(applied.filter(pl.Series(late)), np.full(int(late.sum()), 60 * 86_400)),
                ]
            ),
        }
    )

    # Letters: the first a few days before applying, the second within 20 days, or after the decision.
    complete = applicants["recommendation_complete"].to_numpy()
    second = np.where(complete, rng["letter_day"].integers(1, 20, m) * 86_400, 55 * 86_400)
    letters = pl.DataFrame(
        {
            "applicant_id": pl.concat([ids, ids]),
            "letter": pl.Series(np.repeat([1, 2], m), dtype=pl.Int8),
            "recorded_at": pl.concat(
                [_times(applied, np.full(m, -5 * 86_400 + 8 * 3600)), _times(applied, second + 10 * 3600)]
            ),
        }
    )

    applications = applicants.drop([c for c in DERIVED if c in applicants.columns]).with_columns(
        submitted.alias("submitted_at"), decided.alias("decision_time")
    )
    return {
        "applications": applications,
        "transcripts": transcripts,
        "test_attempts": test_attempts,
        "letters": letters,
    }


def write_raw_records(records: list[dict[str, pl.DataFrame]], folder: str) -> dict[str, int]:
    """The sources of several cohorts, one Parquet file each under ``folder`` (applications excepted)."""
    from workbench.examples._common import write_parquet_atomic

    rows: dict[str, int] = {}
    for name in ("transcripts", "test_attempts", "letters"):
        frame = pl.concat([r[name] for r in records])
        write_parquet_atomic(frame, f"{folder}/{name}.parquet")
        rows[name] = frame.height
    return rows
