"""Outcomes: matched to decisions across jobs and versions, idempotent, revisions audited, bad input refused."""

from __future__ import annotations

import datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from workbench.core.errors import NotFound, ValidationError
from workbench.postmarket import add_outcomes, current_outcomes, load_decisions
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events
from workbench.store.schema import outcome_batches


def _events(workspace: Workspace) -> list[dict]:
    with workspace.read() as conn:
        return [e.payload for e in list_events(conn) if e.action == "outcomes.add"]


def _batches(workspace: Workspace) -> int:
    with workspace.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outcome_batches)).scalar() or 0)


def test_outcomes_match_decisions_across_two_jobs_and_two_versions(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    added = add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    assert (added.rows, added.added, added.revised, added.unchanged) == (2_002, 2_002, 0, 0)
    assert (added.matched, added.unmatched) == (2_000, 2) and set(added.unmatched_keys) == {"nobody-1", "nobody-2"}
    assert added.batch == 1 and workspace.artifacts.exists(added.digest)
    decisions = load_decisions(workspace, "admissions")
    assert decisions.height == 2_200 and decisions.group_by("version").len().sort("version")["len"].to_list() == [
        1_200,
        1_000,
    ]
    joined = decisions.join(current_outcomes(workspace, "admissions"), on="row_key")
    assert joined.height == 2_200  # the 200 keys decided by both versions count for each
    [event] = _events(workspace)
    assert event["digest"] == added.digest and event["unmatched"] == 2 and event["matched"] == 2_000


def test_re_adding_is_a_no_op_and_a_changed_label_is_an_audited_revision(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    again = add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="enrolled")
    assert (again.added, again.revised, again.unchanged, again.batch) == (0, 0, 2_002, None)
    assert _batches(workspace) == 1 and len(_events(workspace)) == 1
    frame = pl.read_parquet(truth)
    flipped = frame.head(3).with_columns((1 - pl.col("enrolled")).alias("enrolled"))
    revised = add_outcomes(workspace, "admissions", flipped, keys=["applicant_id"], label="enrolled")
    assert (revised.added, revised.revised, revised.unchanged, revised.batch) == (0, 3, 0, 2)
    current = current_outcomes(workspace, "admissions").filter(
        pl.col("row_key").is_in(flipped["applicant_id"].implode())
    )
    assert sorted(current["revision"].to_list()) == [2, 2, 2]
    expected = dict(zip(flipped["applicant_id"], flipped["enrolled"], strict=True))
    assert {k: v for k, v in zip(current["row_key"], current["label"], strict=True)} == expected
    event = _events(workspace)[-1]
    assert event["revised"] == 3 and {r["row_key"] for r in event["revisions"]} == set(expected)
    assert all(r["to"] == expected[r["row_key"]] and r["from"] == 1 - r["to"] for r in event["revisions"])


@pytest.mark.parametrize(
    ("frame", "keys", "label", "observed", "message"),
    [
        (pl.DataFrame({"applicant_id": ["a", "b"], "y": [1, 0]}), ["applicant_id"], "enrolled", None, "lacks column"),
        (pl.DataFrame({"id": ["a"], "enrolled": [1]}), ["id"], "enrolled", None, "keyed by applicant_id"),
        (
            pl.DataFrame({"applicant_id": ["a", "b", "a"], "enrolled": [1, 0, 1]}),
            ["applicant_id"],
            "enrolled",
            None,
            r"Row\(s\) 1, 3 repeat a key",
        ),
        (
            pl.DataFrame({"applicant_id": ["a", None], "enrolled": [1, 0]}),
            ["applicant_id"],
            "enrolled",
            None,
            r"empty in row\(s\) 2",
        ),
        (
            pl.DataFrame({"applicant_id": ["a", "b", "c"], "enrolled": [1, 2, None]}),
            ["applicant_id"],
            "enrolled",
            None,
            r"outside the task's classes \(0, 1\) in row\(s\) 2, 3",
        ),
        (
            pl.DataFrame({"applicant_id": ["a"], "enrolled": ["yes"]}),
            ["applicant_id"],
            "enrolled",
            None,
            "holds String values",
        ),
        (
            pl.DataFrame({"applicant_id": ["a", "b"], "enrolled": [1, 0], "seen": ["2026-01-02", "soon"]}),
            ["applicant_id"],
            "enrolled",
            "seen",
            r"not times in row\(s\) 2",
        ),
    ],
)
def test_bad_input_is_refused_whole_naming_rows_and_columns(
    two_versions: tuple[Workspace, Path],
    frame: pl.DataFrame,
    keys: list[str],
    label: str,
    observed: str | None,
    message: str,
) -> None:
    workspace, _ = two_versions
    with pytest.raises(ValidationError, match=message):
        add_outcomes(workspace, "admissions", frame, keys=keys, label=label, observed_at=observed)
    assert _batches(workspace) == 0 and _events(workspace) == []


def test_an_unknown_model_and_a_missing_file_are_refused(two_versions: tuple[Workspace, Path], tmp_path: Path) -> None:
    workspace, truth = two_versions
    with pytest.raises(NotFound, match="No model named 'nope'"):
        add_outcomes(workspace, "nope", truth, keys=["applicant_id"], label="enrolled")
    with pytest.raises(ValidationError, match="does not exist"):
        add_outcomes(workspace, "admissions", "data/gone.csv", keys=["applicant_id"], label="enrolled")
    with pytest.raises(ValidationError, match="is outside the project"):
        add_outcomes(workspace, "admissions", tmp_path / "elsewhere.csv", keys=["applicant_id"], label="enrolled")
    assert _batches(workspace) == 0


def test_observed_at_and_csv_input(two_versions: tuple[Workspace, Path]) -> None:
    workspace, truth = two_versions
    path = truth.parent / "truth.csv"
    pl.read_parquet(truth).head(5).with_columns(pl.lit("2026-09-01").alias("seen")).write_csv(path)
    added = add_outcomes(workspace, "admissions", path, keys=["applicant_id"], label="enrolled", observed_at="seen")
    assert added.added == 5
    seen = current_outcomes(workspace, "admissions")["observed_at"]
    assert seen.dt.date().unique().to_list() == [datetime.date(2026, 9, 1)]
