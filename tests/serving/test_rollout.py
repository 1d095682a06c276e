"""Shadow and canary through a real service: decisions unchanged by a shadow, the canary's share and
stable assignment, the automatic rollback on a seeded guard breach, and the report against a hand count."""

from __future__ import annotations

import time

import numpy as np
import sqlalchemy as sa

from tests.serving.conftest import Server, free_port, governed, place, start_server, stop_server
from tests.support.governed import ANALYST, SCORING_POLICY, open_as, write_policy
from tests.support.scoring import applicants
from tests.support.training import Trained
from tests.support.versions import register_copies
from workbench.serving.report import rollout_report, two_proportion, wilson
from workbench.serving.rollout import canary_mask
from workbench.serving.tokens import create_token
from workbench.store.audit import list_events
from workbench.store.schema import online_decisions

SHADOW = SCORING_POLICY + "rollout:\n  mode: shadow\n  challenger: admissions:2\n"
CANARY = SCORING_POLICY + "rollout:\n  mode: canary\n  share: 0.5\n  guards: {review_rate: 0.9, min_decisions: 10}\n"
BREACH = SCORING_POLICY + "rollout:\n  mode: canary\n  share: 0.5\n  guards: {review_rate: 0.0001, min_decisions: 10}\n"

assert free_port  # re-exported for the other modules' convenience


def rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    return applicants(n, seed=seed).drop("admit").to_dicts()


def test_canary_share_is_within_one_percent_on_100k_keys_and_stable() -> None:
    keys = [f"applicant-{i}" for i in range(100_000)]
    mask = canary_mask(keys, 0.05, model="admissions")
    assert abs(mask.mean() - 0.05) <= 0.01
    assert np.array_equal(mask, canary_mask(keys, 0.05, model="admissions"))
    assert not np.array_equal(mask, canary_mask(keys, 0.05, model="admissions", salt="again"))
    wider = canary_mask(keys, 0.20, model="admissions")
    assert abs(wider.mean() - 0.20) <= 0.01 and bool(np.all(wider[mask]))  # growing the share keeps who had it


def _serve(root, trained: Trained, policy: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    analyst = governed(root, trained)
    register_copies(analyst, 1)  # admissions:2, the same booster
    write_policy(root, policy)
    _, secret = create_token(analyst, "portal", ["admissions"])
    return analyst, secret


def test_shadow_scores_beside_and_changes_no_decision(project_dir, trained_serving: Trained) -> None:  # type: ignore[no-untyped-def]
    analyst, secret = _serve(project_dir, trained_serving, SHADOW)
    from workbench.governance.checks import run_checks

    run_checks(analyst, "admissions:2")  # a shadow needs passed checks, not approvals
    url, process = start_server(project_dir)
    try:
        server = Server(url, process, secret, project_dir)
        answer = server.post(rows(100))
        assert answer.status_code == 200, answer.text
        decisions = answer.json()["decisions"]
        assert {d["arm"] for d in decisions} == {"champion"} and {d["version"] for d in decisions} == {1}
    finally:
        stop_server(process)
    with analyst.read() as conn:
        logged = conn.execute(
            sa.select(online_decisions.c.decision, online_decisions.c.score, online_decisions.c.route,
                      online_decisions.c.rule, online_decisions.c.shadow)
        ).all()  # fmt: skip
    assert len(logged) == 100 and all(r.shadow["version"] == 2 for r in logged)
    for r in logged:  # the same booster: the shadow's lean path decides exactly as the champion's
        assert (r.shadow["score"], r.shadow["decision"], r.shadow["route"], r.shadow["rule"]) == (
            r.score, r.decision, r.route, r.rule)  # fmt: skip
    report = rollout_report(analyst, "admissions")
    assert report["mode"] == "shadow" and report["agreement"]["rate"] == 1.0 and report["rows"] == 100


def test_a_shadow_of_micro_batched_rows_is_logged_beside_each(project_dir, trained_serving: Trained) -> None:  # type: ignore[no-untyped-def]
    """Single rows decided in micro-batches get their shadow's records off the response path (the shadow lane
    scores several batches at once); by the time the service has stopped, every acknowledged row has its own."""
    import threading

    analyst, secret = _serve(project_dir, trained_serving, SHADOW)
    from workbench.governance.checks import run_checks

    run_checks(analyst, "admissions:2")
    singles = rows(60, seed=9)
    answers: dict[int, dict[str, object]] = {}
    url, process = start_server(project_dir)
    try:
        server = Server(url, process, secret, project_dir)

        def send(k: int) -> None:
            for i in range(k, len(singles), 6):
                answer = server.post(singles[i])
                assert answer.status_code == 200, answer.text
                answers[i] = answer.json()["decisions"][0]

        threads = [threading.Thread(target=send, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop_server(process)
    assert len(answers) == 60
    with analyst.read() as conn:
        logged = {
            r.id: r
            for r in conn.execute(
                sa.select(online_decisions.c.id, online_decisions.c.score, online_decisions.c.decision,
                          online_decisions.c.route, online_decisions.c.rule, online_decisions.c.shadow)
            )
        }  # fmt: skip
    assert len(logged) == 60
    for answer in answers.values():
        r = logged[answer["decision_id"]]
        assert r.shadow is not None and r.shadow["version"] == 2
        assert (r.shadow["score"], r.shadow["decision"], r.shadow["route"], r.shadow["rule"]) == (
            r.score, r.decision, r.route, r.rule)  # fmt: skip


def test_canary_splits_by_key_and_the_report_matches_a_hand_count(project_dir, trained_serving: Trained) -> None:  # type: ignore[no-untyped-def]
    analyst, secret = _serve(project_dir, trained_serving, CANARY)
    place(project_dir, "admissions:2", "canary")  # the same gate as production
    url, process = start_server(project_dir)
    try:
        server = Server(url, process, secret, project_dir)
        batch = rows(300)
        first = server.post(batch).json()["decisions"]
        second = server.post(batch).json()["decisions"]
    finally:
        stop_server(process)
    expected = canary_mask([str(r["applicant_id"]) for r in batch], 0.5, model="admissions")
    assert [d["arm"] == "canary" for d in first] == expected.tolist()
    assert [d["version"] for d in first] == [d["version"] for d in second]  # one applicant, one version
    report = rollout_report(analyst, "admissions")
    arms = {"champion": [d for d in first + second if d["arm"] == "champion"],
            "canary": [d for d in first + second if d["arm"] == "canary"]}  # fmt: skip
    reviews = {arm: sum(d["decision"] == "review" for d in ds) for arm, ds in arms.items()}
    for arm, ds in arms.items():
        assert report["arms"][arm]["decisions"] == len(ds)
        assert report["arms"][arm]["review_rate"] == reviews[arm] / len(ds)
    hand = two_proportion(reviews["champion"], len(arms["champion"]), reviews["canary"], len(arms["canary"]))
    assert report["review_rate_difference"] == hand
    p = reviews["canary"] / len(arms["canary"])
    assert abs(hand["difference"] - (p - reviews["champion"] / len(arms["champion"]))) < 1e-12
    low, high = wilson(50, 100)
    assert round(low, 4) == 0.4038 and round(high, 4) == 0.5962  # the textbook Wilson interval


def test_a_guard_breach_rolls_the_canary_back_with_an_audited_event(project_dir, trained_serving: Trained) -> None:  # type: ignore[no-untyped-def]
    analyst, secret = _serve(project_dir, trained_serving, BREACH)
    place(project_dir, "admissions:2", "canary")
    url, process = start_server(project_dir, env={"WORKBENCH_SERVE_GUARD_S": "0.3"})
    try:
        server = Server(url, process, secret, project_dir)
        assert "canary" in {d["arm"] for d in server.post(rows(200)).json()["decisions"]}
        deadline = time.monotonic() + 10
        events = []
        while time.monotonic() < deadline and not events:
            time.sleep(0.2)
            with analyst.read() as conn:
                events = list_events(conn, subject="rollout:admissions", action="rollout.rollback")
        assert events, "no rollback recorded"
        time.sleep(0.6)  # the next reload drops the canary
        after = server.post(rows(200, seed=11)).json()["decisions"]
    finally:
        stop_server(process)
    payload = events[0].payload
    assert payload["guard"] == "review_rate" and payload["version"] == 2 and payload["automatic"] is True
    assert payload["observed"] > payload["limit"] and payload["evidence"]["decisions"] >= 10
    assert {d["arm"] for d in after} == {"champion"}
    assert open_as(project_dir, ANALYST)  # the project still opens as the analyst


def test_the_panels_guards_count_this_rollouts_decisions_alone(project_dir, trained_serving: Trained) -> None:  # type: ignore[no-untyped-def]
    """The Rollout section's guard values judge the window the service's guards judge: v2's canary decisions
    from before its placement (an earlier rollout of the same version) are left out."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from workbench.serving.rollout_status import rollout_status

    analyst, _ = _serve(project_dir, trained_serving, CANARY)

    def decide(decisions: list[str], at: datetime) -> None:
        with analyst.transaction() as tx:
            tx.conn.execute(
                sa.insert(online_decisions),
                [
                    {"id": uuid.uuid4().hex, "request_id": "r", "row": i, "name": "admissions", "version": 2,
                     "arm": "canary", "served_by": "t", "row_key": f"k{at:%s}-{i}", "score": 0.5, "decision": d,
                     "route": "model", "created_at": at}
                    for i, d in enumerate(decisions)
                ],
            )  # fmt: skip

    decide(["review"] * 30, datetime.now(UTC) - timedelta(days=1))  # v2's earlier canary
    place(project_dir, "admissions:2", "canary")
    decide(["review"] * 3 + ["auto_accept"] * 9, datetime.now(UTC))
    plan = rollout_status(analyst, "admissions")["rollout"]
    (review,) = [g for g in plan["guards"] if g["guard"] == "review_rate"]
    assert (review["observed"], review["status"]) == (0.25, "ok")  # 3 of 12, not 33 of 42
    evidence = plan["guard_evidence"]
    assert evidence["decisions"] == 12 and evidence["since"] is not None
