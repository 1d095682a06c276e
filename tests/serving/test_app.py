"""workbench serve against a real uvicorn on loopback: each endpoint and status, idempotency, reload."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import polars as pl
import pytest
import sqlalchemy as sa

from tests.serving.conftest import Server, governed, place, start_server, stop_server
from tests.support.governed import ANALYST, open_as
from tests.support.scoring import applicants
from tests.support.training import Trained
from tests.support.versions import register_copies
from workbench.core.errors import Conflict
from workbench.jobs.cancel import cancel_job
from workbench.jobs.score import score
from workbench.serving.tokens import create_token, revoke_token
from workbench.store.schema import audit_events, jobs, online_decisions, online_requests, review_items


def rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    return applicants(n, seed=seed).drop("admit").to_dicts()


def test_decides_like_the_batch_job_and_logs_every_decision(server: Server) -> None:
    batch = rows(200)
    answer = server.post({"rows": batch})
    assert answer.status_code == 200, answer.text
    decisions = answer.json()["decisions"]
    assert len(decisions) == 200 and {d["version"] for d in decisions} == {1}
    assert all(d["arm"] == "champion" and len(d["decision_id"]) == 32 for d in decisions)
    # The same rows through a batch job: identical scores, decisions and routes.
    analyst = open_as(server.root, ANALYST)
    pl.DataFrame(batch).write_parquet(server.root / "in.parquet")
    score(analyst, "admissions@production", "in.parquet", "out.parquet")
    out = pl.read_parquet(server.root / "out.parquet")
    by_key = {str(r["applicant_id"]): r for r in out.to_dicts()}
    for d in decisions:
        expected = by_key[d["key"]]
        assert abs(d["score"] - expected["score"]) < 1e-6
        assert (d["decision"], d["route"]) == (expected["decision"], expected["route"])
    with analyst.read() as conn:
        logged = conn.execute(sa.select(online_decisions.c.id, online_decisions.c.route)).all()
        items = conn.execute(sa.select(review_items.c.detail)).all()
    assert {r.id for r in logged} == {d["decision_id"] for d in decisions}
    human = [d for d in decisions if d["decision"] == "review"]
    assert human and len(items) >= len(human)
    metrics = httpx.get(f"{server.url}/metrics").text  # the decision mix counts every row once
    counted = [float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("workbench_serve_decisions_total{")]  # fmt: skip
    assert sum(counted) == 200


def test_single_row_reasons_health_ready_metrics_openapi(server: Server) -> None:
    one = server.post(rows(1)[0], params={"reasons": "true"})
    assert one.status_code == 200, one.text
    decision = one.json()["decisions"][0]
    assert len(decision["reasons"]) == 3 and {"feature", "contribution"} <= set(decision["reasons"][0])
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["ready"] is True and ready["models"]["admissions"]["version"] == 1
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'workbench_serve_requests_total{model="admissions",status="200"}' in metrics
    assert "workbench_serve_decision_seconds_bucket" in metrics and "workbench_serve_decisions_total" in metrics
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert "/v1/models/{name}/decide" in spec["paths"]


def test_statuses_401_403_413_400_422(server: Server) -> None:
    assert server.post(rows(1), token="wbs_nonsense").status_code == 401
    assert httpx.post(f"{server.url}/v1/models/admissions/decide", json=rows(1)).status_code == 401
    analyst = open_as(server.root, ANALYST)
    _, other = create_token(analyst, "other", ["tickets"])
    assert server.post(rows(1), token=other).status_code == 403
    assert server.post(rows(501)).status_code == 413  # --max-rows 500
    assert server.post([{"gpa": "x" * 100}] * 3000).status_code == 413  # --max-body-bytes 200000
    bad = httpx.post(
        f"{server.url}/v1/models/admissions/decide",
        content=b"{not json",
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "ValidationError"
    wrong = rows(2)
    wrong[0]["gpa"] = "high"
    answer = server.post(wrong)
    assert answer.status_code == 422 and "gpa" in answer.json()["message"] and "high" not in answer.text
    missing = [{k: v for k, v in r.items() if k != "test_score"} for r in rows(2)]
    answer = server.post(missing)
    assert answer.status_code == 422 and "test_score" in answer.json()["message"]
    with analyst.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(online_decisions)).scalar() == 0
    revoke_token(analyst, "portal")
    revoked = time.monotonic()  # live tokens are cached for a second (WORKBENCH_SERVE_TOKEN_TTL_S)
    while server.post(rows(1)).status_code == 200 and time.monotonic() - revoked < 3:
        time.sleep(0.1)
    assert server.post(rows(1)).status_code == 401 and time.monotonic() - revoked < 1.5


def test_idempotency_key_returns_the_first_decision(server: Server) -> None:
    first = server.post(rows(3), headers={"Idempotency-Key": "app-42"})
    again = server.post(rows(3, seed=9), headers={"Idempotency-Key": "app-42"})
    assert first.status_code == again.status_code == 200
    assert again.json()["decisions"] == first.json()["decisions"] and again.json()["replayed"] is True
    analyst = open_as(server.root, ANALYST)
    with analyst.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(online_decisions)).scalar() == 3
        assert conn.execute(sa.select(sa.func.count()).select_from(online_requests)).scalar() == 1


def test_copies_of_one_idempotency_key_in_flight_at_once_get_one_decision(server: Server) -> None:
    start = threading.Barrier(6)
    answers: list[httpx.Response] = []

    def send() -> None:
        start.wait()
        answers.append(server.post(rows(2), headers={"Idempotency-Key": "app-7"}))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 6
    assert len({tuple(d["decision_id"] for d in a.json()["decisions"]) for a in answers}) == 1
    assert sum(1 for a in answers if not a.json().get("replayed")) == 1
    analyst = open_as(server.root, ANALYST)
    with analyst.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(online_decisions)).scalar() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(online_requests)).scalar() == 1


def test_arrow_ipc_bodies_are_decided_as_json_rows(server: Server) -> None:
    import pyarrow as pa

    frame = applicants(60, seed=4).drop("admit")
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/vnd.apache.arrow.stream"}
    url = f"{server.url}/v1/models/admissions/decide"
    arrow = httpx.post(url, content=sink.getvalue().to_pybytes(), headers=headers, timeout=30)
    assert arrow.status_code == 200, arrow.text
    as_json = server.post(frame.to_dicts())

    def seen(answer: httpx.Response) -> list[tuple[object, ...]]:
        return [(d["key"], d["score"], d["decision"], d["route"], d["rule"]) for d in answer.json()["decisions"]]

    assert seen(arrow) == seen(as_json) and len(seen(arrow)) == 60
    broken = httpx.post(url, content=b"not an arrow stream", headers=headers, timeout=30)
    assert broken.status_code == 400 and "Arrow IPC" in broken.json()["message"]


def test_alias_move_reloads_without_a_failed_request(server: Server) -> None:
    analyst = open_as(server.root, ANALYST)
    register_copies(analyst, 1)  # admissions:2
    failures: list[int] = []
    versions: set[int] = set()
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            answer = server.post(rows(1))
            if answer.status_code != 200:
                failures.append(answer.status_code)
            else:
                versions.add(answer.json()["decisions"][0]["version"])

    clients = [threading.Thread(target=load) for _ in range(3)]
    for c in clients:
        c.start()
    time.sleep(0.5)
    place(server.root, "admissions:2", "production")
    moved = time.monotonic()
    while time.monotonic() - moved < 5 and 2 not in versions:
        time.sleep(0.05)
    reloaded_after = time.monotonic() - moved
    time.sleep(0.3)
    stop.set()
    for c in clients:
        c.join()
    assert failures == [] and versions == {1, 2}
    assert reloaded_after < 1.0


def test_the_plain_asgi_decide_route_answers_as_starlettes_would(server: Server) -> None:
    url = f"{server.url}/v1/models/{server.model}/decide"
    assert httpx.get(url).status_code == 405  # not the decide route's method: Starlette's router answers
    unauthenticated = httpx.post(url, json=rows(1))
    assert unauthenticated.status_code == 401 and unauthenticated.headers["www-authenticate"] == "Bearer"
    assert unauthenticated.headers["content-type"] == "application/json"
    assert int(unauthenticated.headers["content-length"]) == len(unauthenticated.content)
    _, secret = create_token(open_as(server.root, ANALYST), "plain-route", [server.model])
    # Repeated headers count by their first value, repeated query parameters by their last, as in Starlette.
    answer = httpx.post(
        f"{url}?reasons=0&reasons=true",
        content=httpx.Request("POST", url, json=rows(1)[0]).content,
        headers=[
            ("Authorization", f"Bearer {secret}"),
            ("Authorization", "Bearer wbs_nonsense"),
            ("Content-Type", "application/json"),
        ],
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert len(answer.json()["decisions"][0]["reasons"]) == 3
    unknown = httpx.post(
        f"{server.url}/v1/models/nothing/decide", json=rows(1), headers={"Authorization": f"Bearer {secret}"}
    )
    assert unknown.status_code in (403, 404) and unknown.json()["error"]


def _serve_jobs(root: Path) -> list[sa.Row]:
    with open_as(root, ANALYST).read() as conn:
        return list(conn.execute(sa.select(jobs).where(jobs.c.kind == "serve").order_by(jobs.c.created_at)).all())


def _decisions_of(root: Path, job_id: str) -> int:
    with open_as(root, ANALYST).read() as conn:
        return conn.execute(sa.select(sa.func.count()).where(online_decisions.c.served_by == job_id)).scalar_one()


def test_serve_jobs_end_when_the_service_reloads_or_stops(project_dir: Path, trained_serving: Trained) -> None:
    """A serve job is running while its process serves that version, carries the process id (so a kill -9 is
    reaped like any job's), cannot be cancelled, and ends (succeeded, with the decisions it made) when an alias
    move reloads the versions and when the service stops."""
    analyst = governed(project_dir, trained_serving)
    _, secret = create_token(analyst, "portal", ["admissions"])
    url, process = start_server(project_dir, env={"WORKBENCH_SERVE_POLL_S": "0.2"})
    server = Server(url, process, secret, project_dir)
    try:
        for _ in range(3):
            assert server.post(rows(2)).status_code == 200
        [first] = _serve_jobs(project_dir)
        assert (first.status, first.version, first.options["role"]) == ("running", 1, "champion")
        assert first.pid is not None and first.heartbeat_at is not None
        with pytest.raises(Conflict, match="ends when that service stops"):
            cancel_job(analyst, first.id)
        register_copies(analyst, 1)  # admissions:2
        place(project_dir, "admissions:2", "production")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.post(rows(1)).json()["decisions"][0]["version"] != 2:
            time.sleep(0.1)
        assert server.post(rows(3)).status_code == 200
        deadline = time.monotonic() + 15  # the old version's job ends a few seconds after the reload
        while time.monotonic() < deadline and _serve_jobs(project_dir)[0].status == "running":
            time.sleep(0.2)
        old, new = _serve_jobs(project_dir)
        assert old.id == first.id and (old.status, old.rows_done) == ("succeeded", _decisions_of(project_dir, old.id))
        assert old.rows_done >= 6 and old.ended_at is not None
        assert (new.status, new.version) == ("running", 2)
    finally:
        stop_server(process)
    # uvicorn shuts down on SIGTERM (the lifespan's end ran: the jobs below) and exits by the signal.
    ended = _serve_jobs(project_dir)
    assert [j.status for j in ended] == ["succeeded", "succeeded"]
    assert ended[1].rows_done == _decisions_of(project_dir, ended[1].id) >= 3
    with open_as(project_dir, ANALYST).read() as conn:
        unloads = conn.execute(
            sa.select(audit_events.c.subject, audit_events.c.payload)
            .where(audit_events.c.action == "serve.unload")
            .order_by(audit_events.c.seq)
        ).all()
    assert [(subject, json.loads(payload)["why"]) for subject, payload in unloads] == [
        (f"job:{ended[0].id}", "reloaded"),
        (f"job:{ended[1].id}", "stopped"),
    ]
