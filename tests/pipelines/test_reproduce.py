"""``workbench.pipelines.reproduce``: the command a face starts, and the run id it hands to one stage only."""

from __future__ import annotations

import pytest

from workbench.core.errors import ValidationError
from workbench.pipelines.reproduce import LAUNCH_RUN_ENV, launched_run_id, repro_command


def test_the_command_reproduces_the_stage_alone_and_names_its_run() -> None:
    command, env = repro_command("score", "ab" * 16)

    assert command[-4:] == ["repro", "--single-item", "--force", "score"]
    assert env[LAUNCH_RUN_ENV] == f"score:{'ab' * 16}"


def test_a_stage_name_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValidationError):
        repro_command("no such/stage", "ab" * 16)


def test_only_the_named_stage_takes_the_launched_run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAUNCH_RUN_ENV, f"score:{'cd' * 16}")

    assert launched_run_id("score") == "cd" * 16
    assert launched_run_id("prepare") is None
    assert launched_run_id(None) is None


def test_without_a_launch_there_is_no_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LAUNCH_RUN_ENV, raising=False)

    assert launched_run_id("score") is None
