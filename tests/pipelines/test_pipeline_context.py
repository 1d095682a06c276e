"""``workbench.context()`` read from the environment ``workbench run`` gives a kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.pipelines.context import context


def test_interactive_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("WORKBENCH_RUN_ID", "WORKBENCH_STAGE", "WORKBENCH_PARAMS", "WORKBENCH_PAPERMILL", "WORKBENCH_PROJECT"):
        monkeypatch.delenv(key, raising=False)
    current = context()
    assert current.run_id is None and current.stage is None and current.params == {}
    assert current.interactive and not current.papermill


def test_a_run_is_described_by_its_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_RUN_ID", "ab" * 16)
    monkeypatch.setenv("WORKBENCH_STAGE", "train")
    monkeypatch.setenv("WORKBENCH_PARAMS", '{"alpha": 0.5, "cols": ["a"]}')
    monkeypatch.setenv("WORKBENCH_NOTEBOOK", "notebooks/train.ipynb")
    monkeypatch.setenv("WORKBENCH_PROJECT", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_TRIGGER", "schedule:3")
    monkeypatch.setenv("WORKBENCH_PAPERMILL", "1")
    current = context()
    assert (current.run_id, current.stage, current.trigger) == ("ab" * 16, "train", "schedule:3")
    assert current.params == {"alpha": 0.5, "cols": ["a"]}
    assert current.project_root == tmp_path and current.notebook == "notebooks/train.ipynb"
    assert current.papermill and not current.interactive
    assert current.to_dict()["project_root"] == str(tmp_path)


def test_garbled_params_do_not_break_the_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_PARAMS", "{not json")
    assert context().params == {}
    monkeypatch.setenv("WORKBENCH_PARAMS", "[1, 2]")
    assert context().params == {}
