"""The one drift verdict: the rule, the record a job stores, and reading it back."""

from __future__ import annotations

import pytest

from workbench.drift import ColumnDrift, DriftReport, drift_verdict, job_drift_record, recorded_verdict
from workbench.drift.verdict import DriftVerdict, over_limit


def _report(drifted: int, total: int) -> DriftReport:
    columns = tuple(
        ColumnDrift(f"c{i}", "num", "wasserstein", "Wasserstein", "distance", 0.1, 0.5, i < drifted, 9, 9)
        for i in range(total)
    )
    return DriftReport(columns, share_threshold=0.5)


@pytest.mark.parametrize(
    ("share", "limit", "expected"),
    [(0.22, 0.2, True), (0.2, 0.2, False), (0.1, 0.2, False), (1.0, None, False), (0.0, 0.0, False)],
)
def test_retraining_is_recommended_above_the_limit_only(share: float, limit: float | None, expected: bool) -> None:
    assert over_limit(share, limit) is expected


def test_the_issue_case_two_of_nine_over_a_fifth() -> None:
    report = _report(2, 9)
    verdict = drift_verdict(report, 0.2)

    assert report.dataset_drift is False  # Evidently's rule (share >= 0.5) says no; it is not the verdict
    assert verdict == DriftVerdict(9, ("c0", "c1"), 2 / 9, 0.2, True)
    assert verdict.describe() == (
        "2/9 columns drifted (share 0.222 over the limit 0.2: retraining recommended); drifted: c0, c1"
    )


def test_describe_within_the_limit_and_without_one() -> None:
    assert drift_verdict(_report(1, 9), 0.2).describe() == (
        "1/9 columns drifted (share 0.111, within the limit 0.2); drifted: c0"
    )
    assert drift_verdict(_report(0, 4), None).describe() == "0/4 columns drifted (share 0.000, no monitoring limit set)"


def test_the_stored_record_reads_back_as_the_same_verdict() -> None:
    record = job_drift_record(_report(2, 9), 0.2, sample_rows=500, reference_rows=1_000)

    verdict = recorded_verdict(record)

    assert verdict == drift_verdict(_report(2, 9), 0.2)
    assert record["verdict"] == verdict.to_dict() and record["verdict"]["text"] == verdict.describe()
    assert record["exceeded"] is verdict.retrain_recommended is True and record["limit"] == 0.2
    assert "dataset_drift" not in record["summary"]  # Evidently's second verdict is not stored with a job
    assert record["sample_rows"] == 500 and len(record["columns"]) == 9


def test_a_record_from_before_verdicts_is_judged_by_the_same_rule() -> None:
    columns = [{"column": f"c{i}", "drifted": i < 2} for i in range(9)]
    summary = {"n_columns": 9, "n_drifted": 2, "drift_share": 2 / 9, "dataset_drift": False}

    verdict = recorded_verdict({"summary": summary, "columns": columns, "limit": 0.2, "exceeded": True})

    assert verdict == DriftVerdict(9, ("c0", "c1"), 2 / 9, 0.2, True)


@pytest.mark.parametrize(
    "record",
    [
        None,
        {},
        {"error": "admissions:1 has no training reference artifact"},
        {"summary": {"n_columns": 9}},
        {"summary": {"n_columns": 9, "n_drifted": 2, "drift_share": 0.2}, "columns": [{"column": "a", "drifted": 1}]},
        {"verdict": {"n_columns": "nine", "drifted_columns": [], "share": 0.0, "limit": None}},
        {"verdict": {"n_columns": 9, "drifted_columns": [], "share": float("nan"), "limit": None}},
        {"verdict": {"n_columns": 9, "drifted_columns": [], "share": 0.0, "limit": "0.2"}},
    ],
    ids=["none", "empty", "error", "partial", "columns disagree", "count text", "nan share", "limit text"],
)
def test_a_record_without_a_whole_verdict_has_none(record: dict | None) -> None:
    assert recorded_verdict(record) is None
