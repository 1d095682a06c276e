"""Handlers do their blocking work on the extension's own bounded threads, never on the event loop.

- every database transaction and every project lookup a request causes runs on a
  ``workbench-worker`` thread (``workbench-health`` for the health check);
- while every worker is stuck, ``/health`` and Jupyter's own ``/api/status`` still answer;
- the pool has the configured, fixed number of threads and is not asyncio's default executor.
"""

from __future__ import annotations

import ast
import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench.server
import workbench.server.model_handlers as model_handlers
from workbench.project import config as project_config
from workbench.server.base import SERVICES_SETTING
from workbench.server.executor import HEALTH_THREAD_PREFIX, WORKER_THREAD_PREFIX
from workbench.store.engine import Store

# One GET per read endpoint with a project behind it (the write endpoints use the same helper,
# WorkbenchHandler.reply, and are exercised with it in the area tests).
READS = [
    ("health",),
    ("models",),
    ("models", "admissions", "versions"),
    ("models", "admissions", "versions", "1"),
    ("models", "admissions", "alias-history"),
    ("review", "items"),
    ("jobs",),
    ("audit", "events"),
    ("audit", "verification"),
    ("pipelines", "runs"),
    ("pipelines", "schedules"),
]


@pytest.fixture
def jp_root_dir(governed_root: Path) -> Path:
    return governed_root


@pytest.fixture
def blocking_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(what, thread name) for every transaction and project lookup made while the test runs."""
    seen: list[tuple[str, str]] = []

    def spy(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.append((name, threading.current_thread().name))
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(Store, "begin", spy("Store.begin", Store.begin))
    monkeypatch.setattr(Store, "read", spy("Store.read", Store.read))
    # WorkspaceProvider.project() calls find_project through this module's global.
    from workbench.server import workspaces

    monkeypatch.setattr(workspaces, "find_project", spy("find_project", project_config.find_project))
    yield seen


async def test_every_read_endpoint_does_its_blocking_work_on_the_worker_threads(
    jp_fetch, blocking_calls: list[tuple[str, str]]
) -> None:
    for path in READS:
        response = await jp_fetch("workbench", "api", *path)
        assert response.code == 200, path

    threads = {thread for _, thread in blocking_calls}
    # Read endpoints only read: every database call is a (deferred) read transaction.
    assert {what for what, _ in blocking_calls} == {"Store.read", "find_project"}
    assert all(name.startswith((WORKER_THREAD_PREFIX, HEALTH_THREAD_PREFIX)) for name in threads), threads


async def test_writes_run_on_the_worker_threads_too(jp_fetch, blocking_calls: list[tuple[str, str]]) -> None:
    response = await jp_fetch(
        "workbench", "api", "models", "admissions", "versions", "1", "checks", method="POST", body=""
    )

    assert response.code == 201
    assert ("Store.begin", threading.main_thread().name) not in blocking_calls
    assert all(thread.startswith(WORKER_THREAD_PREFIX) for _, thread in blocking_calls)


async def test_health_and_jupyter_answer_while_every_worker_is_stuck(
    jp_fetch, jp_serverapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = jp_serverapp.web_app.settings[SERVICES_SETTING].pool
    release = threading.Event()
    stuck = threading.Semaphore(0)
    list_models = model_handlers.list_models

    def slow_list_models(workspace: Any) -> Any:
        stuck.release()
        release.wait(timeout=60)
        return list_models(workspace)

    monkeypatch.setattr(model_handlers, "list_models", slow_list_models)
    # One request more than there are workers: that one waits in the queue.
    waiting = [asyncio.ensure_future(jp_fetch("workbench", "api", "models")) for _ in range(pool.workers + 1)]
    try:
        for _ in range(pool.workers):
            assert await asyncio.get_running_loop().run_in_executor(None, stuck.acquire, True, 30)

        health = await jp_fetch("workbench", "api", "health")
        status = await jp_fetch("api", "status")

        assert (health.code, json.loads(health.body)["db_backend"]) == (200, "sqlite")
        assert status.code == 200
        assert not any(request.done() for request in waiting)
    finally:
        release.set()
    answers = await asyncio.gather(*waiting)
    assert [answer.code for answer in answers] == [200] * (pool.workers + 1)


def test_the_pool_is_fixed_and_the_extensions_own(jp_serverapp) -> None:
    pool = jp_serverapp.web_app.settings[SERVICES_SETTING].pool

    assert pool.workers == 2
    assert pool._work._max_workers == 2 and pool._health._max_workers == 1


class TestConfigured:
    @pytest.fixture
    def jp_server_config(self, workbench_server_config) -> dict[str, Any]:
        return workbench_server_config(worker_threads=5)

    def test_worker_threads_is_configurable(self, jp_serverapp) -> None:
        assert jp_serverapp.web_app.settings[SERVICES_SETTING].pool.workers == 5


def test_no_handler_reaches_for_asyncio_default_executor() -> None:
    """``asyncio.to_thread`` and ``run_in_executor(None, ...)`` would bypass the bounded pool."""
    problems = []
    for path in Path(workbench.server.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            default_executor = name.endswith("run_in_executor") and (
                not node.args or (isinstance(node.args[0], ast.Constant) and node.args[0].value is None)
            )
            if name.endswith("to_thread") or default_executor:
                problems.append(f"{path.name}:{node.lineno}: {name}")
    assert not problems
