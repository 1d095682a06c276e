"""The pipelines scheduler loop runs inside the server when the project enables it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


async def test_the_scheduler_is_off_by_default(jp_fetch) -> None:
    body = json.loads((await jp_fetch("workbench", "api", "health")).body)

    assert body["scheduler"] is False


class TestEnabled:
    @pytest.fixture
    def jp_root_dir(self, tmp_path: Path, make_project) -> Path:
        root = make_project(tmp_path / "scheduled")
        with (root / "workbench.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n[tool.workbench.scheduler]\nenabled = true\ninterval_s = 1\n")
        return root

    async def test_it_runs_and_stops_with_the_server(self, jp_fetch, jp_serverapp) -> None:
        # A real server starts its extensions once the event loop runs; pytest-jupyter's does not.
        await jp_serverapp.extension_manager.start_all_extensions()

        body = json.loads((await jp_fetch("workbench", "api", "health")).body)

        assert body["scheduler"] is True
        scheduler = jp_serverapp.web_app.settings["workbench_services"].scheduler
        await jp_serverapp.extension_manager.stop_all_extensions()
        assert scheduler.running is False
