"""Shared fixtures: a fresh workbench project per test, and database URLs for
SQLite and (when `make test` started one) a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.project.init import init_project
from workbench.project.workspace import Workspace, open_workspace

PG_URL_ENV = "WORKBENCH_TEST_PG_URL"

# pytest only accepts pytest_plugins in a top-level conftest.
pytest_plugins = (
    # jp_fetch, jp_serverapp and friends for the server extension tests (tests/server/).
    "pytest_jupyter.jupyter_server",
    # Governed projects (one registered version; the scoring project) and a Dask cluster.
    "tests.governed",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_ARTIFACTS", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "analyst@example.org")
    monkeypatch.setenv("DO_NOT_TRACK", "1")


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised project (no git, no dvc: fast) as the current folder."""
    root = tmp_path / "proj"
    init_project(root, git=False, dvc=False)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def workspace(project_dir: Path) -> Workspace:
    return open_workspace(project_dir)


def _pg_admin_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests skipped: {PG_URL_ENV} is not set (`make test` starts a server and sets it).")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(_pg_admin_url())
    name = f"wb_{uuid.uuid4().hex[:12]}"
    conninfo = f"host={admin.host} port={admin.port} user={admin.username} dbname={admin.database}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        from workbench.store import engine as store_engine

        cached = store_engine._cache.pop(admin.set(database=name).render_as_string(hide_password=False), None)
        if cached is not None:
            cached.dispose()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'workbench.db'}"
    return request.getfixturevalue("pg_url")
