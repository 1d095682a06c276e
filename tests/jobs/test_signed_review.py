"""In a keyed project a review-queue decision is a statement signed by a roster reviewer's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.test_queue import scored
from tests.support.governed import open_as
from tests.support.keyed import make_keyed
from workbench.core.errors import PermissionDenied
from workbench.core.statements import SignedStatement
from workbench.jobs import decide_review_item
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events


def test_review_decisions_are_signed_by_a_roster_reviewer(
    scoring_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _job, items = scored(scoring_ws)
    workspace, keys = make_keyed(
        scoring_ws,
        tmp_path / "keys",
        {"rita": ["reviewer"], "otto": ["operator"]},
        policies=("pipelines/admissions/policy.yaml",),
    )
    # the claimed name changes nothing: the key decides who acts
    monkeypatch.setenv("WORKBENCH_KEY", str(keys["otto"].path))
    with pytest.raises(PermissionDenied, match="otto may not decide review items: that needs the `reviewer` role"):
        decide_review_item(open_as(workspace.project.root, "rita"), items[0].id, items[0].leaning)
    with pytest.raises(PermissionDenied, match="the server signs nothing"):
        decide_review_item(workspace, items[0].id, items[0].leaning, may_load_key=False)
    decided = decide_review_item(workspace, items[0].id, items[0].leaning, "as the model leaned", key=keys["rita"])
    assert decided.decided_by == "rita"
    with workspace.read() as conn:
        [event] = list_events(conn, action="review.decide")
    assert event.actor == "rita"
    signed = SignedStatement.from_dict(event.payload["statement"])
    person = workspace.project.config.roster.people["rita"]
    assert workspace.project.config.roster.verified_signer(signed) == person
    assert signed.statement.claims["decision"] == items[0].leaning
    assert signed.statement.claims["row_key"] == items[0].row_key
