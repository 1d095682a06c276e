"""``GET /workbench/api/models/{name}/rollout`` through a real Jupyter server: a canary's arms, share and
guards against a hand count, an automatic rollback with its guard and evidence, a shadow's agreement, a
model without a rollout (``rollout: null``, not an error), valid against openapi.yaml's ModelRollout;
404 on an unknown model, 403 without a token."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tornado.httpclient import HTTPClientError

from tests.support.governed import ANALYST, SERVER_POLICY, SERVER_USER, open_as, write_policy
from tests.support.versions import register_copies
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.serving.intervals import two_proportion, wilson
from workbench.serving.rollout import end_rollout
from workbench.store.schema import aliases, audit_head, jobs, online_decisions, review_items

CANARY = SERVER_POLICY + (
    "rollout:\n  mode: canary\n  share: 0.4\n"
    "  guards: {review_rate: 0.3, override_rate: 0.5, error_rate: 0.01, min_decisions: 10}\n"
)
SHADOW = SERVER_POLICY + "rollout:\n  mode: shadow\n  challenger: admissions:2\n"


def _place(root: Path, ref: str, alias: str) -> None:
    """Put ``ref`` on ``alias`` through the gate: checks, the server user's approval, promotion."""
    run_checks(open_as(root, ANALYST), ref)
    approve(open_as(root, SERVER_USER), ref, "fine")
    promote(open_as(root, SERVER_USER), ref, alias)


def _decide(
    root: Path,
    arm: str,
    version: int,
    decisions: list[str],
    shadow: list[str] | None = None,
    *,
    at: datetime | None = None,
    shadow_version: int = 2,
) -> None:
    """Log online decisions as the service would: one row per decision, key ``{arm}-{i}``, made ``at`` (now)."""
    at = at or datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4().hex,
            "request_id": uuid.uuid4().hex,
            "row": i,
            "name": "admissions",
            "version": version,
            "arm": arm,
            "served_by": "test",
            "row_key": f"{arm}-{i}",
            "score": 0.1 * (i % 10),
            "decision": decision,
            "route": f"auto_{decision}",
            "rule": None,
            "shadow": None
            if shadow is None
            else {
                "version": shadow_version,
                "score": 0.1 * (i % 10) + 0.05,
                "decision": shadow[i],
                "route": f"auto_{shadow[i]}",
                "rule": None,
            },
            "input": {},
            "created_at": at,
        }
        for i, decision in enumerate(decisions)
    ]
    with open_as(root, ANALYST).transaction() as tx:
        tx.conn.execute(sa.insert(online_decisions), rows)


def _reviewed(root: Path, version: int, overrides: list[bool]) -> None:
    """A serve job of ``version`` whose review items reviewers decided, overriding where ``overrides`` says."""
    job = uuid.uuid4().hex
    now = datetime.now(UTC)
    with open_as(root, ANALYST).transaction() as tx:
        tx.conn.execute(
            sa.insert(jobs).values(
                id=job, kind="serve", name="admissions", version=version, options={}, status="running",
                created_at=now, actor="test",
            )
        )  # fmt: skip
        tx.conn.execute(
            sa.insert(review_items),
            [
                {"job_id": job, "row_key": f"r{i}", "score": 0.5, "leaning": "accept", "reasons": [],
                 "status": "decided", "decision": "decline" if o else "accept", "override": o, "created_at": now}
                for i, o in enumerate(overrides)
            ],
        )  # fmt: skip


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    """The governed project (admissions:1 registered); each test writes its policy and decisions itself,
    which the server reads at each request."""
    return governed_root


def _canary(root: Path) -> None:
    """admissions:1 on production and admissions:2 on canary (40%), with 30 champion and 20 canary decisions."""
    register_copies(open_as(root, ANALYST), 2)  # admissions:2 and :3
    write_policy(root, CANARY)
    _place(root, "admissions:1", "production")
    # Before this rollout: decisions of the champion alone, and of an earlier canary (v3), a day ago.
    _decide(root, "champion", 1, ["review"] * 10, at=datetime.now(UTC) - timedelta(days=1))
    _decide(root, "canary", 3, ["decline"] * 5, at=datetime.now(UTC) - timedelta(days=1))
    _place(root, "admissions:2", "canary")
    _decide(root, "champion", 1, ["accept"] * 20 + ["review"] * 3 + ["decline"] * 7)
    _decide(root, "canary", 2, ["accept"] * 9 + ["review"] * 8 + ["decline"] * 3)
    _reviewed(root, 2, [True, False, False, False])  # the canary: 1 of 4 decided reviews overridden


async def _rollout(jp_fetch: Any) -> dict[str, Any]:
    response = await jp_fetch("workbench", "api", "models", "admissions", "rollout")
    return json.loads(response.body)


async def test_a_canary_with_its_arms_and_guards_against_a_hand_count(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    _canary(jp_root_dir)
    head_before = _audit_head(jp_root_dir)
    body = await _rollout(jp_fetch)
    api_schema(body, "ModelRollout")
    plan = body["rollout"]
    assert (plan["mode"], plan["share"], plan["champion_version"], plan["challenger_version"]) == ("canary", 0.4, 1, 2)
    assert plan["active"] is True and plan["ended_by"] is None
    report = body["report"]
    # The window opens when v2 went on canary: the day-old decisions (champion reviews, v3's canary) are out.
    placed = _placed_at(jp_root_dir)
    assert report["window"] == {"since": placed.isoformat(), "until": None, "challenger": 2}
    champion, canary = report["arms"]["champion"], report["arms"]["canary"]
    assert (champion["decisions"], champion["reviews"], champion["decision_mix"]) == (
        30, 3, {"accept": 20, "review": 3, "decline": 7})  # fmt: skip
    assert (canary["decisions"], canary["reviews"], canary["review_rate"]) == (20, 8, 0.4)
    assert report["share"] == pytest.approx(20 / 50)
    hand = two_proportion(3, 30, 8, 20)
    assert report["review_rate_difference"] == pytest.approx(hand)
    assert abs(hand["difference"] - 0.3) < 1e-12 and hand["significant"] is True  # 0.3 against a half-width of ~0.23
    guards = {g["guard"]: g for g in plan["guards"]}
    assert list(guards) == ["error_rate", "review_rate", "override_rate"]  # in the order the service checks them
    assert guards["review_rate"] == {
        "guard": "review_rate", "limit": 0.3, "observed": 0.4, "status": "breached", "source": "store"}  # fmt: skip
    assert (guards["override_rate"]["observed"], guards["override_rate"]["status"]) == (0.25, "ok")  # limit 0.5
    assert (guards["error_rate"]["observed"], guards["error_rate"]["status"]) == (None, "replica")
    assert plan["overrides"] == {
        "champion": {"reviews_decided": 0, "override_rate": None},  # none of its reviews decided yet
        "canary": {"reviews_decided": 4, "override_rate": 0.25},
    }
    assert body["rollbacks"] == [] and body["commands"]["stop"] == "workbench rollout stop admissions"
    assert _audit_head(jp_root_dir) == head_before  # looking records nothing


async def test_an_automatic_rollback_shows_its_guard_and_evidence(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    _canary(jp_root_dir)
    evidence = {"decisions": 20, "review_rate": 0.4, "decision_mix": {"accept": 9, "review": 8, "decline": 3}}
    payload = {"guard": "review_rate", "observed": 0.4, "limit": 0.3, "evidence": evidence, "automatic": True}
    assert end_rollout(open_as(jp_root_dir, ANALYST), "admissions", 2, "rollout.rollback", payload)
    _decide(jp_root_dir, "champion", 1, ["review"] * 7)  # after the rollback: no longer this rollout's
    body = await _rollout(jp_fetch)
    api_schema(body, "ModelRollout")
    (rollback,) = body["rollbacks"]
    assert (rollback["guard"], rollback["observed"], rollback["limit"]) == ("review_rate", 0.4, 0.3)
    assert rollback["version"] == 2
    assert rollback["evidence"] == evidence and rollback["automatic"] is True
    plan = body["rollout"]
    assert plan["active"] is False and plan["ended_by"]["seq"] == rollback["seq"]
    assert body["report"]["events"] == body["rollbacks"]
    window = body["report"]["window"]
    ended = datetime.fromisoformat(rollback["time"])  # as the chain stored it (SQLite's naive UTC)
    assert window["since"] == _placed_at(jp_root_dir).isoformat()
    assert window["until"] == (ended if ended.tzinfo else ended.replace(tzinfo=UTC)).isoformat()
    arms = body["report"]["arms"]
    assert (arms["champion"]["decisions"], arms["champion"]["reviews"], arms["canary"]["decisions"]) == (30, 3, 20)


async def test_a_shadow_with_its_agreement_against_a_hand_count(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    register_copies(open_as(jp_root_dir, ANALYST), 1)
    write_policy(jp_root_dir, SHADOW)
    _place(jp_root_dir, "admissions:1", "production")
    champion = ["accept"] * 10 + ["review"] * 5 + ["decline"] * 5
    shadow = ["accept"] * 8 + ["review"] * 7 + ["decline"] * 5  # two accepts become reviews: 18 of 20 agree
    _decide(jp_root_dir, "champion", 1, champion, shadow=shadow)
    # An earlier shadow (v3) that disagreed on every row, and rows decided with no shadow: not this rollout's.
    _decide(jp_root_dir, "champion", 1, ["accept"] * 5, shadow=["decline"] * 5, shadow_version=3)
    _decide(jp_root_dir, "champion", 1, ["review"] * 4)
    body = await _rollout(jp_fetch)
    api_schema(body, "ModelRollout")
    plan = body["rollout"]
    assert (plan["mode"], plan["share"], plan["champion_version"], plan["challenger_version"]) == ("shadow", None, 1, 2)
    assert plan["active"] is True and plan["guards"] == [] and list(plan["overrides"]) == ["champion"]
    report = body["report"]
    assert report["mode"] == "shadow" and report["rows"] == 20 and report["sources"] == {"online": 20}
    assert report["window"] == {"since": None, "until": None, "challenger": 2}
    assert report["agreement"]["rate"] == 0.9
    assert report["agreement"]["interval"] == pytest.approx(list(wilson(18, 20)))
    assert report["score_difference"]["mean"] == pytest.approx(0.05)
    assert report["arms"]["shadow"]["decision_mix"] == {"accept": 8, "review": 7, "decline": 5}


async def test_a_model_without_a_rollout_answers_null(
    jp_fetch: Any, jp_root_dir: Path, api_schema: Callable[[Any, str], None]
) -> None:
    body = await _rollout(jp_fetch)
    api_schema(body, "ModelRollout")
    assert body["model"] == "admissions" and body["rollout"] is None and body["report"] is None
    assert body["rollbacks"] == [] and len(body["policy"]) == 64


async def test_an_unknown_model_is_404(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "models", "nobody", "rollout")
    assert caught.value.code == 404
    assert "nobody" in json.loads(caught.value.response.body)["message"]


async def test_the_rollout_needs_a_token(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "models", "admissions", "rollout", headers={"Authorization": ""})
    assert caught.value.code == 403


def _placed_at(root: Path) -> datetime:
    """When the canary alias was placed on its version, as an aware UTC time."""
    with open_as(root, ANALYST).read() as conn:
        moment = conn.execute(sa.select(aliases.c.updated_at).where(aliases.c.alias == "canary")).scalar_one()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _audit_head(root: Path) -> int:
    with open_as(root, ANALYST).read() as conn:
        return int(conn.execute(sa.select(audit_head.c.seq)).scalar_one())
