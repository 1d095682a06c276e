"""Fixtures for the server extension tests: a real Jupyter server (pytest-jupyter)
with the workbench extension enabled, authentication required, a fixed user
name, and a workbench project as its root folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.serverapp import ServerApp

from tests.support.governed import ANALYST, SERVER_POLICY, SERVER_USER, open_as, write_policy
from workbench.project.init import init_project


class NamedUserIdentityProvider(IdentityProvider):
    """Token authentication as usual, but the token's user has a stable name (not a random one)."""

    username = SERVER_USER

    def generate_anonymous_user(self, handler: Any) -> User:
        return User(username=self.username, name=self.username.split("@")[0].title())


def named_user_provider(username: str) -> type[IdentityProvider]:
    """An identity provider whose token user is ``username``."""
    return type("NamedUser", (NamedUserIdentityProvider,), {"username": username})


def workbench_server_config(*, user: str = SERVER_USER, **workbench_app: Any) -> dict[str, Any]:
    """Server config enabling only the workbench extension, acting as ``user``, with ``c.WorkbenchApp`` traits."""
    server: dict[str, Any] = {
        "jpserver_extensions": {"workbench": True},
        "identity_provider_class": NamedUserIdentityProvider if user == SERVER_USER else named_user_provider(user),
    }
    if "allow_unauthenticated_access" in ServerApp.class_trait_names():
        # Jupyter Server >= 2.13: every endpoint must be authenticated, else the server refuses it.
        server["allow_unauthenticated_access"] = False
    return {"ServerApp": server, "WorkbenchApp": workbench_app}


def make_project(root: Path, approvers: tuple[str, ...] = ()) -> Path:
    """A workbench project at ``root`` (no git, no dvc: fast) with the given approvers."""
    root.mkdir(parents=True, exist_ok=True)
    names = ", ".join(f'"{name}"' for name in approvers)
    (root / "workbench.toml").write_text(f"[tool.workbench.roles]\napprover = [{names}]\n", encoding="utf-8")
    init_project(root, git=False, dvc=False)
    return root


@pytest.fixture
def server_user() -> str:
    """The name the test server gives every token-authenticated request."""
    return SERVER_USER


@pytest.fixture(name="make_project")
def make_project_fixture() -> Callable[..., Path]:
    return make_project


@pytest.fixture(name="workbench_server_config")
def workbench_server_config_fixture() -> Callable[..., dict[str, Any]]:
    return workbench_server_config


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return workbench_server_config()


@pytest.fixture
def jp_root_dir(tmp_path: Path) -> Path:
    """The server's root folder: a workbench project where the server user is an approver."""
    return make_project(tmp_path / "root_dir", approvers=(SERVER_USER,))


@pytest.fixture(scope="session")
def api_schema() -> Callable[[Any, str], None]:
    """``api_schema(body, "ReviewState")`` fails the test when ``body`` does not match the OpenAPI schema."""
    import jsonschema
    import yaml
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec_file = Path(__file__).resolve().parents[2] / "workbench" / "server" / "openapi.yaml"
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    registry = Registry().with_resource("urn:workbench-api", Resource(contents=spec, specification=DRAFT202012))

    def check(body: Any, schema_name: str) -> None:
        assert schema_name in spec["components"]["schemas"], f"no schema {schema_name} in openapi.yaml"
        schema = {"$ref": f"urn:workbench-api#/components/schemas/{schema_name}"}
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        problems = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(body)
        ]
        assert not problems, f"{schema_name} mismatch:\n" + "\n".join(problems[:20])

    return check


# --- a governed project: a policy and one registered version by the analyst -------------


@pytest.fixture(scope="session")
def governed_template(tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Path:
    """A project with the policy, ``admissions:1`` (with its Evidently drift report) and a
    scoring input ``data/applicants.parquet``, built once."""
    from tests.support.scoring import write_input
    from tests.support.training import register_admissions
    from workbench.registry.register import RegisterOptions

    root = make_project(tmp_path_factory.mktemp("governed") / "project", approvers=(SERVER_USER,))
    write_policy(root, SERVER_POLICY)
    author = open_as(root, ANALYST)
    project = author.project
    register_admissions(
        author,
        trained_small,
        description="Admissions triage",
        options=RegisterOptions(explain_rows=200, local_rows=10, drift_report_rows=2000),
    )
    write_input(root, n=400)
    from workbench.store import engine as store_engine

    # The copies get their own engines; this one must not hold the template's file open.
    cached = store_engine._cache.pop(project.db_url, None)
    if cached is not None:
        cached.dispose()
    return root


@pytest.fixture
def governed_root(tmp_path: Path, governed_template: Path) -> Path:
    """A fresh copy of the governed project, to serve as the server's root_dir."""
    import shutil

    root = tmp_path / "governed"
    shutil.copytree(governed_template, root)
    return root


# --- a git + DVC project for the pipeline endpoints ----------------------------------------


@pytest.fixture(scope="session")
def dvc_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised git + DVC project with a migrated database, built once and copied per test."""
    from workbench.store.engine import open_store

    root = tmp_path_factory.mktemp("dvc-template") / "project"
    root.mkdir(parents=True)
    (root / "workbench.toml").write_text(f'[tool.workbench.roles]\napprover = ["{SERVER_USER}"]\n', encoding="utf-8")
    init_project(root, git=True, dvc=True)
    open_store(f"sqlite:///{root / '.workbench' / 'workbench.db'}", cached=False).dispose()
    return root


@pytest.fixture
def dvc_root(tmp_path: Path, dvc_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the DVC project, with ``workbench`` (for DVC stage commands) on PATH."""
    import os
    import shutil
    import sys

    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "Test")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "test@example.org")
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    root = tmp_path / "pipelines"
    shutil.copytree(dvc_template, root, symlinks=True)
    return root
