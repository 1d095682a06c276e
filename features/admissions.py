"""The admissions feature set: the model's inputs derived from raw records, as of each decision.

Sources are written by the prepare stage (workbench.examples.admissions_records); the entity
frame is an application with its ``decision_time``. Every value is what the office knew strictly
before the decision: a transcript term, a test retake or a letter that arrived later is not used.
"""

from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

admissions = FeatureSet(
    name="admissions",
    entity="applicant_id",
    event_time="recorded_at",
    at="decision_time",
    description="Difficulty-weighted GPA, best test score, letters received and completeness flags.",
    sources=[
        Source(
            "transcripts",
            "data/admissions/raw/transcripts.parquet",
            features={
                "gpa": ((pl.col("grade") * pl.col("difficulty")).cum_sum() / pl.col("difficulty").cum_sum()).round(2),
                "course_difficulty": pl.col("difficulty").cum_sum().truediv(pl.col("difficulty").cum_count()).round(1),
                "courses_received": pl.col("course").cum_count(),
                "transcript_complete": pl.col("course").cum_count() >= 8,  # 4 terms x 2 courses
            },
        ),
        Source(
            "test_attempts",
            "data/admissions/raw/test_attempts.parquet",
            features={"test_score": pl.col("score").cum_max(), "test_attempts": pl.col("score").cum_count()},
            ttl=timedelta(days=5 * 365),  # scores older than five years are not accepted
        ),
        Source(
            "letters",
            "data/admissions/raw/letters.parquet",
            features={
                "letters_received": pl.col("letter").cum_count(),
                "recommendation_complete": pl.col("letter").cum_count() >= 2,
            },
        ),
    ],
)
