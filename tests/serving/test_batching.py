"""Concurrent requests decided together answer as each would alone; a bad one fails only itself."""

from __future__ import annotations

import threading

import httpx

from tests.serving.conftest import Server
from tests.support.scoring import applicants


def test_concurrent_requests_merge_and_answer_as_alone(server: Server) -> None:
    singles = applicants(48, seed=11).drop("admit").to_dicts()
    bad = dict(singles[5], gpa="high")
    bodies: list[object] = [*singles[:5], bad, *singles[6:]]
    answers: dict[int, httpx.Response] = {}
    start = threading.Barrier(16)

    def send(k: int) -> None:
        start.wait()
        for i in range(k, len(bodies), 16):
            answers[i] = server.post(bodies[i])

    before = httpx.get(f"{server.url}/readyz").json()["batches"]
    threads = [threading.Thread(target=send, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batches = httpx.get(f"{server.url}/readyz").json()["batches"] - before
    assert answers[5].status_code == 422 and "gpa" in answers[5].json()["message"]
    good = {i: a.json()["decisions"][0] for i, a in answers.items() if i != 5}
    assert all(answers[i].status_code == 200 for i in good) and len(good) == 47
    assert batches < len(bodies)  # some requests shared a batch
    # Each row again, alone: the same score, decision and route.
    for i in (0, 7, 30):
        alone = server.post(bodies[i]).json()["decisions"][0]
        assert alone["key"] == good[i]["key"] == str(singles[i]["applicant_id"])
        assert (alone["score"], alone["decision"], alone["route"]) == (
            good[i]["score"],
            good[i]["decision"],
            good[i]["route"],
        )
