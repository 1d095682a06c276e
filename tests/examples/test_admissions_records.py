"""Raw admissions records: seeded, consistent with the applicants they come from, and holding the
late records (a transcript term, a retake, a letter after the decision) that point-in-time must skip."""

from __future__ import annotations

import polars as pl

from workbench.examples import admissions
from workbench.examples.admissions_records import DERIVED, raw_records


def test_records_are_seeded_and_replace_the_derived_columns() -> None:
    applicants = admissions.generate_applicants(300, seed=3)
    first, again = raw_records(applicants, seed=3), raw_records(applicants, seed=3)
    assert all(first[name].equals(again[name]) for name in first)
    applications = first["applications"]
    assert not set(DERIVED) & set(applications.columns)
    assert applications["decision_time"].dtype == pl.Datetime("us")
    assert (applications["decision_time"] > applications["submitted_at"]).all()
    assert first["transcripts"].height == 300 * 8 and first["letters"].height == 600


def test_late_records_exist_exactly_where_the_file_was_incomplete() -> None:
    applicants = admissions.generate_applicants(2000, seed=5)
    records = raw_records(applicants, seed=5)
    decided = records["applications"].select("applicant_id", "decision_time")

    def late(name: str) -> set[str]:
        frame = records[name].join(decided, on="applicant_id").filter(pl.col("recorded_at") > pl.col("decision_time"))
        return set(frame["applicant_id"])

    incomplete = set(applicants.filter(~pl.col("transcript_complete"))["applicant_id"])
    assert late("transcripts") == incomplete and incomplete
    assert late("letters") == set(applicants.filter(~pl.col("recommendation_complete"))["applicant_id"])
    retakes = late("test_attempts")
    assert 0.10 < len(retakes) / 2000 < 0.20
    # The best attempt before the decision is the applicant's score; a retake after it is better.
    before = (
        records["test_attempts"]
        .join(decided, on="applicant_id")
        .filter(pl.col("recorded_at") < pl.col("decision_time"))
        .group_by("applicant_id")
        .agg(pl.col("score").max())
        .join(applicants.select("applicant_id", "test_score"), on="applicant_id")
    )
    assert before.filter(pl.col("score") != pl.col("test_score")).height == 0
    assert before.height == applicants["test_score"].drop_nulls().len()
