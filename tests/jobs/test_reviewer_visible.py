"""The review row shows the input columns the governing policy marks reviewer-visible, beside the
model's features, and nothing else of the applicant's data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.test_queue import scored
from workbench.core.errors import PolicyError
from workbench.governance.policy import load_policy
from workbench.jobs.row_values import review_row
from workbench.project.workspace import Workspace


def test_reviewer_visible_columns_come_from_the_policy(scoring_ws: Workspace) -> None:
    _job, items = scored(scoring_ws)
    before = review_row(scoring_ws, items[0].id)
    hidden = next(c for c in ("first_generation", "gender", "region") if c not in before["features"])
    assert hidden not in before["other"]
    policy = scoring_ws.project.root / "pipelines" / "admissions" / "policy.yaml"
    policy.write_text(policy.read_text() + f"review: {{visible: [{hidden}]}}\n")
    after = review_row(scoring_ws, items[0].id)
    assert hidden in after["other"] and after["features"] == before["features"]


def test_a_malformed_review_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("policy: p\nreview: {visible: 3}\n")
    with pytest.raises(PolicyError, match="visible"):
        load_policy(path)
    path.write_text("policy: p\nreview: {shown: [a]}\n")
    with pytest.raises(PolicyError, match="unknown key"):
        load_policy(path)
