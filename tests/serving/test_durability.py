"""Nothing acknowledged is lost: kill -9 a worker under load; two workers on PostgreSQL."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.serving.conftest import governed, start_server, stop_server
from tests.support.scoring import applicants
from tests.support.training import Trained
from workbench.serving.tokens import create_token
from workbench.store.schema import online_decisions

pytestmark = pytest.mark.slow


def _load(url: str, token: str, seconds: float, clients: int) -> tuple[list[str], Counter[str], set[int]]:
    """Closed-loop clients posting one row each; returns the acknowledged decision ids."""
    acked: list[str] = []
    failures: Counter[str] = Counter()
    pids: set[int] = set()
    pool = applicants(2_000, seed=5).drop("admit").to_dicts()
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(offset: int) -> None:
        with httpx.Client(timeout=10) as http:
            i = offset
            while time.monotonic() < stop:
                i += clients
                try:
                    answer = http.post(
                        f"{url}/v1/models/admissions/decide",
                        json=pool[i % len(pool)],
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                    )
                except httpx.HTTPError as exc:
                    with lock:
                        failures[type(exc).__name__] += 1
                    continue
                with lock:
                    if answer.status_code == 200:
                        acked.extend(d["decision_id"] for d in answer.json()["decisions"])
                    else:
                        failures[str(answer.status_code)] += 1
        with lock:
            pids.add(offset)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked, failures, pids


def _worker_pids(url: str, tries: int = 40) -> set[int]:
    seen = set()
    for _ in range(tries):
        seen.add(httpx.get(f"{url}/healthz", timeout=5).json()["pid"])
    return seen


def _logged_ids(workspace, ids: list[str]) -> Counter[str]:  # type: ignore[no-untyped-def]
    found: Counter[str] = Counter()
    with workspace.read() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(
                conn.execute(sa.select(online_decisions.c.id).where(online_decisions.c.id.in_(chunk))).scalars()
            )
    return found


def _killed_under_load(root: Path, analyst, token: str) -> None:  # type: ignore[no-untyped-def]
    url, process = start_server(root, workers=2)
    try:
        pids = _worker_pids(url)
        assert len(pids) == 2 and process.pid not in pids
        victim = sorted(pids)[0]
        killer = threading.Timer(1.5, os.kill, args=(victim, signal.SIGKILL))
        killer.start()
        acked, failures, _ = _load(url, token, 4.0, 4)
        killer.join()
        assert acked, f"nothing acknowledged ({dict(failures)})"
        logged = _logged_ids(analyst, acked)
        assert len(acked) == len(set(acked))
        assert all(logged[i] == 1 for i in acked), "an acknowledged decision is missing from the log"
        # The supervisor restarts the worker and the service serves again.
        deadline = time.monotonic() + 60
        seen = _worker_pids(url, 20)
        while time.monotonic() < deadline and (victim in seen or len(seen) < 2):
            time.sleep(0.5)
            seen = _worker_pids(url, 20)
        assert victim not in seen and len(seen) == 2 and httpx.get(f"{url}/readyz").status_code == 200
        again, failures, _ = _load(url, token, 1.0, 2)
        assert again and not failures
    finally:
        stop_server(process)


def test_kill_9_a_worker_under_load_loses_no_acknowledged_decision(project_dir: Path, trained_serving: Trained) -> None:
    analyst = governed(project_dir, trained_serving)
    _, token = create_token(analyst, "portal", ["admissions"])
    _killed_under_load(project_dir, analyst, token)


def test_two_workers_on_postgresql(
    project_dir: Path, trained_serving: Trained, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DB_URL", pg_url)
    analyst = governed(project_dir, trained_serving)
    assert analyst.store.backend == "postgresql"
    _, token = create_token(analyst, "portal", ["admissions"])
    _killed_under_load(project_dir, analyst, token)
