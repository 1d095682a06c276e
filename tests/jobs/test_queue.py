"""The review queue: listing, decisions, overrides of the model marked and audited."""

from __future__ import annotations

import pytest

from tests.support.governed import configure, open_as
from tests.support.scoring import write_input
from workbench.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.jobs import decide_review_item, get_job, list_review_items, score
from workbench.jobs.values import Job, ReviewItem
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events


def scored(workspace: Workspace) -> tuple[Job, list[ReviewItem]]:
    write_input(workspace.project.root, n=1_200)
    job = score(workspace, "admissions", "data/applicants.parquet", "out.parquet")
    return job, list_review_items(workspace, job=job.id, limit=None)


def leaning(items: list[ReviewItem], value: str) -> ReviewItem:
    return next(item for item in items if item.leaning == value)


def test_a_decision_that_follows_the_model_is_not_an_override(scoring_ws: Workspace) -> None:
    job, items = scored(scoring_ws)
    item = leaning(items, "accept")
    decided = decide_review_item(scoring_ws, item.id, "accept")
    assert decided.status == "decided" and decided.decision == "accept" and decided.override is False
    assert decided.decided_by == "analyst@example.org" and decided.decided_at is not None
    assert get_job(scoring_ws, job.id).stats["overrides"] == 0
    with scoring_ws.read() as conn:
        [event] = [e for e in list_events(conn) if e.subject == f"review:{item.id}"]
    assert event.action == "review.decide" and event.payload["override"] is False
    assert event.payload["job"] == job.id and event.payload["row_key"] == item.row_key


def test_an_override_needs_a_comment_and_is_marked_everywhere(scoring_ws: Workspace) -> None:
    job, items = scored(scoring_ws)
    item = leaning(items, "decline")
    with pytest.raises(ValidationError, match=r"overrides the model, which leaned to decline.*--comment"):
        decide_review_item(scoring_ws, item.id, "accept")
    decided = decide_review_item(scoring_ws, item.id, "accept", "strong portfolio the model cannot see")
    assert decided.override is True and decided.comment == "strong portfolio the model cannot see"
    assert get_job(scoring_ws, job.id).stats["overrides"] == 1
    with scoring_ws.read() as conn:
        [event] = [e for e in list_events(conn) if e.subject == f"review:{item.id}"]
    assert event.payload["override"] is True and event.payload["leaning"] == "decline"
    assert event.payload["decision"] == "accept" and event.actor == "analyst@example.org"
    with pytest.raises(Conflict, match="already decided"):
        decide_review_item(scoring_ws, item.id, "decline", "changed my mind")


def test_lists_by_status(scoring_ws: Workspace) -> None:
    _job, items = scored(scoring_ws)
    decide_review_item(scoring_ws, items[0].id, items[0].leaning)
    assert [i.id for i in list_review_items(scoring_ws, status="decided")] == [items[0].id]
    assert len(list_review_items(scoring_ws, limit=None)) == len(items) - 1
    assert len(list_review_items(scoring_ws, status=None, limit=None)) == len(items)
    assert len(list_review_items(scoring_ws, limit=2, offset=1)) == 2
    assert list_review_items(scoring_ws, model="other") == []
    with pytest.raises(ValidationError, match="Unknown review status"):
        list_review_items(scoring_ws, status="closed")


def test_bad_decisions_and_items(scoring_ws: Workspace) -> None:
    _job, items = scored(scoring_ws)
    with pytest.raises(ValidationError, match="Unknown decision 'maybe'"):
        decide_review_item(scoring_ws, items[0].id, "maybe")
    with pytest.raises(NotFound, match="No review item 999999"):
        decide_review_item(scoring_ws, 999_999, "accept")


def test_only_reviewers_decide_when_the_project_names_them(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    _job, items = scored(scoring_ws)
    configure(root, reviewers=["reviewer-b"])
    with pytest.raises(PermissionDenied, match="analyst@example.org may not decide review items"):
        decide_review_item(open_as(root, "analyst@example.org"), items[0].id, items[0].leaning)
    decided = decide_review_item(open_as(root, "reviewer-b"), items[0].id, items[0].leaning)
    assert decided.decided_by == "reviewer-b"
