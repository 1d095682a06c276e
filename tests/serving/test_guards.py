"""The canary's error_rate, drift_share and auc_drop guards, each breached on purpose."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
from sklearn.metrics import roc_auc_score

from tests.serving.conftest import Server, governed, place, start_server, stop_server
from tests.support.governed import SCORING_POLICY, write_policy
from tests.support.scoring import applicants
from tests.support.training import Trained
from tests.support.versions import register_copies
from workbench.postmarket import add_outcomes
from workbench.reports.audit_report import render_report
from workbench.scoring.routing import parse_routing
from workbench.serving.decide import decide_rows
from workbench.serving.guards import check_guards
from workbench.serving.log import DecisionWriter, Pending
from workbench.serving.report import format_report, rollout_report
from workbench.serving.rollout import RolloutSpec
from workbench.serving.served import load_served
from workbench.serving.tokens import create_token
from workbench.store.audit import list_events


def _canary(root: Path, trained: Trained, guards: str):  # type: ignore[no-untyped-def]
    analyst = governed(root, trained)
    register_copies(analyst, 1)  # admissions:2
    write_policy(root, SCORING_POLICY + f"rollout:\n  mode: canary\n  share: 0.5\n  guards: {guards}\n")
    place(root, "admissions:2", "canary")
    return analyst


def _log(analyst, served, frame: pl.DataFrame) -> None:  # type: ignore[no-untyped-def]
    decided = decide_rows(served, frame)
    writer = DecisionWriter(analyst)
    try:
        writer._commit([Pending("r" + str(time.monotonic_ns()), "t", None, "admissions", {}, decided.records)])
    finally:
        writer.close()


def test_error_rate_and_drift_share_are_judged_on_this_replicas_evidence(
    project_dir: Path, trained_serving: Trained
) -> None:
    analyst = _canary(project_dir, trained_serving, "{error_rate: 0.1, drift_share: 0.5, min_decisions: 10}")
    served = load_served(analyst, "admissions")
    canary = served.challenger
    assert canary is not None and served.rollout is not None
    _log(analyst, served, applicants(120, seed=4).drop("admit"))
    spec = served.rollout
    assert check_guards(analyst, "admissions", canary, spec, champion_version=1) is None  # healthy so far
    # Inputs far outside what the canary was trained on: its drift check names them.
    shifted = applicants(600, seed=5).drop("admit").with_columns(pl.col("gpa") * 0 + 0.1, pl.col("test_score") * 3)
    _log(analyst, served, shifted)
    breach = check_guards(analyst, "admissions", canary, spec, champion_version=1)
    assert breach is not None and breach.guard == "drift_share" and breach.observed > breach.limit
    assert set(breach.evidence["drift"]["drifted"]) >= {"gpa", "test_score"}
    # Rows the canary failed to decide, as this replica counted them.
    canary.health.record(canary.health.tried, ok=False)
    strict = RolloutSpec("canary", 0.5, guards={"error_rate": 0.1, "min_decisions": 10})
    breach = check_guards(analyst, "admissions", canary, strict, champion_version=1)
    assert breach is not None and breach.guard == "error_rate" and abs(breach.observed - 0.5) < 1e-9
    assert breach.evidence["replica"]["rows_failed"] * 2 == breach.evidence["replica"]["rows_tried"]


def test_auc_drop_on_outcomes_rolls_the_canary_back(project_dir: Path, trained_serving: Trained) -> None:
    analyst = _canary(project_dir, trained_serving, "{auc_drop: 0.2, min_decisions: 10}")
    _, secret = create_token(analyst, "portal", ["admissions"])
    url, process = start_server(project_dir, env={"WORKBENCH_SERVE_GUARD_S": "0.3"})
    try:
        server = Server(url, process, secret, project_dir)
        decisions = server.post({"rows": applicants(400, seed=8).drop("admit").to_dicts()}).json()["decisions"]
        time.sleep(1.0)
        with analyst.read() as conn:
            assert not list_events(conn, subject="rollout:admissions", action="rollout.rollback")  # no outcomes yet
        # What came true: the champion's scores rank it right, the canary's wrong (seeded).
        truth = pl.DataFrame(
            {
                "applicant_id": [d["key"] for d in decisions],
                "admit": [int((d["score"] > 0.5) == (d["arm"] == "champion")) for d in decisions],
            }
        )
        added = add_outcomes(analyst, "admissions", truth, keys=["applicant_id"], label="admit")
        assert added.matched == 400 and added.unmatched == 0  # online decisions match outcomes
        deadline, events = time.monotonic() + 10, []
        while time.monotonic() < deadline and not events:
            time.sleep(0.2)
            with analyst.read() as conn:
                events = list_events(conn, subject="rollout:admissions", action="rollout.rollback")
    finally:
        stop_server(process)
    assert events, "no rollback recorded"
    payload = events[0].payload
    assert payload["guard"] == "auc_drop" and payload["automatic"] is True and payload["limit"] == 0.2
    realized = payload["evidence"]["realized"]
    assert realized["champion"]["auc"] > 0.9 and realized["canary"]["auc"] < 0.1
    assert abs(payload["observed"] - (realized["champion"]["auc"] - realized["canary"]["auc"])) < 1e-6
    # The rollout report against a hand computation: realized AUC and selection rate per group, per arm.
    sent = applicants(400, seed=8).select("applicant_id", "gender")
    hand = pl.DataFrame(decisions).join(truth, left_on="key", right_on="applicant_id")
    hand = hand.join(sent, left_on="key", right_on="applicant_id")
    accept = parse_routing({}).label("accept")
    report = rollout_report(analyst, "admissions")
    outcomes = report["with_outcomes"]
    for arm in ("champion", "canary"):
        rows = hand.filter(pl.col("arm") == arm)
        stats = outcomes["arms"][arm]
        assert stats["with_outcomes"] == rows.height
        assert abs(stats["auc"] - roc_auc_score(rows["admit"].to_numpy(), rows["score"].to_numpy())) < 1e-12
        for group in stats["selection"]["gender"]["groups"]:
            mine = rows.filter(pl.col("gender") == group["group"])
            assert group["rows"] == mine.height
            assert abs(group["selection_rate"] - float((mine["decision"] == accept).mean())) < 1e-12  # type: ignore[arg-type]
    difference = outcomes["auc_difference"]
    assert difference["difference"] < -0.8 and difference["significant"] and difference["interval"][1] < 0
    assert "realized AUC" in format_report(report)
    # The audit report shows the rollout under post-market monitoring, naming the guard that ended it.
    html = render_report(analyst, "admissions:2")
    assert 'id="rollout"' in html and "<code>auc_drop</code>" in html and "realized AUC" in html


def test_guards_judge_only_this_rollouts_decisions(project_dir: Path, trained_serving: Trained) -> None:
    """A canary placed again on the same version starts from nothing: the earlier placement's decisions,
    which breached, are not judged again; the new ones are, counted alone."""
    import sqlalchemy as sa

    from workbench.core.clock import utcnow
    from workbench.store.schema import aliases, online_decisions

    analyst = _canary(project_dir, trained_serving, "{review_rate: 0.0001, min_decisions: 10}")
    served = load_served(analyst, "admissions")
    canary, spec = served.challenger, served.rollout
    assert canary is not None and spec is not None
    _log(analyst, served, applicants(300, seed=4).drop("admit"))
    first = check_guards(analyst, "admissions", canary, spec, champion_version=1)
    assert first is not None and first.guard == "review_rate"
    # The canary placed on the version again (a new rollout): what it decided before is not this rollout's.
    with analyst.transaction() as tx:
        tx.conn.execute(
            aliases.update()
            .where(aliases.c.name == "admissions", aliases.c.alias == "canary")
            .values(updated_at=utcnow())
        )
    assert check_guards(analyst, "admissions", canary, spec, champion_version=1) is None  # 0 < min_decisions
    time.sleep(0.01)
    _log(analyst, served, applicants(300, seed=6).drop("admit"))
    again = check_guards(analyst, "admissions", canary, spec, champion_version=1)
    assert again is not None and again.guard == "review_rate"
    with analyst.read() as conn:
        canary_rows = conn.execute(
            sa.select(sa.func.count()).where(online_decisions.c.arm == "canary", online_decisions.c.version == 2)
        ).scalar_one()
    assert again.evidence["decisions"] < canary_rows == first.evidence["decisions"] + again.evidence["decisions"]
    assert again.evidence["since"] is not None
