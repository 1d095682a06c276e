"""A governed project with admissions:1 on production, a token, and a real ``workbench serve`` on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.governed import ANALYST, SCORING_POLICY, configure, open_as, write_policy
from tests.support.training import Trained, register_admissions, train_model
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.project.workspace import Workspace
from workbench.serving.tokens import create_token


@pytest.fixture(scope="session")
def trained_serving() -> Trained:
    return train_model(rows=1500, rounds=15)


def governed(root: Path, trained: Trained, policy: str = SCORING_POLICY) -> Workspace:
    """admissions:1 registered, checked, approved and promoted to production."""
    configure(root)
    write_policy(root, policy)
    analyst = open_as(root, ANALYST)
    register_admissions(analyst, trained)
    place(root, "admissions:1", "production")
    return analyst


def place(root: Path, ref: str, alias: str) -> None:
    """Put ``ref`` on a protected alias through the gate (checks, one approval, promote)."""
    run_checks(open_as(root, ANALYST), ref)
    approve(open_as(root, "reviewer-a"), ref, "fine")
    promote(open_as(root, "reviewer-a"), ref, alias)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    token: str
    root: Path
    model: str = "admissions"

    def post(self, rows: object, *, token: str | None = None, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", **dict(kwargs.pop("headers", {}) or {})}  # type: ignore[call-overload]
        return httpx.post(f"{self.url}/v1/models/{self.model}/decide", json=rows, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def start_server(
    root: Path, *, workers: int = 1, env: dict[str, str] | None = None, model: str = "admissions"
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    command = [sys.executable, "-m", "workbench.cli.main", "serve", "--models", model, "--port", str(port),
               "--workers", str(workers), "--max-rows", "500", "--max-body-bytes", "200000"]  # fmt: skip
    process = subprocess.Popen(command, cwd=root, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"workbench serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("workbench serve did not become ready in 90 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def server(project_dir: Path, trained_serving: Trained) -> Iterator[Server]:
    analyst = governed(project_dir, trained_serving)
    _, secret = create_token(analyst, "portal", ["admissions"])
    url, process = start_server(project_dir, env={"WORKBENCH_SERVE_POLL_S": "0.2"})
    try:
        yield Server(url, process, secret, project_dir)
    finally:
        stop_server(process)
