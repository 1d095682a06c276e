"""``promote``: checks, params.yaml, the DVC stage, idempotence, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from workbench.core.errors import NotebookError
from workbench.pipelines import promote as promote_module
from workbench.pipelines.promote import check_promotion, promote
from workbench.project.workspace import Workspace
from workbench.store.audit import list_events

NotebookFactory = Callable[..., Path]
PARAMS = 'rows = 100  # rows to draw\nraw = "../data/raw.csv"\nout = "../data/clean.csv"'


def _files(root: Path) -> dict[str, bytes]:
    """Every file outside .git/.dvc/.workbench, to prove a refusal changed nothing."""
    skip = {".git", ".dvc", ".workbench"}
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] not in skip and path.name != "workbench.audit-head"
    }


def test_promote_writes_params_keeping_comments_and_adds_the_stage(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("notebooks/prepare.ipynb", [PARAMS, "print(rows)"])
    (dvc_project / "data").mkdir()
    (dvc_project / "data/raw.csv").write_text("a\n1\n")
    (dvc_project / "params.yaml").write_text("# shared settings\nseed: 7  # keep this\n")
    result = promote(dvc_workspace, "notebooks/prepare.ipynb", outs=["data/clean.csv"], metrics=["metrics.json"])
    assert result.changed and result.added_params == ("rows", "raw", "out")

    params_text = (dvc_project / "params.yaml").read_text()
    assert params_text.startswith("# shared settings\nseed: 7  # keep this\n")
    assert yaml.safe_load(params_text)["prepare"] == {"rows": 100, "raw": "../data/raw.csv", "out": "../data/clean.csv"}
    stage = yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"]["prepare"]
    assert stage["cmd"] == "workbench run notebooks/prepare.ipynb --stage prepare"
    assert sorted(stage["deps"]) == ["data/raw.csv", "notebooks/prepare.ipynb"]  # the param naming a file
    assert stage["params"] == ["prepare"]
    assert sorted(stage["outs"]) == ["data/clean.csv", "runs/prepare/prepare.ipynb"]
    assert stage["metrics"] == [{"metrics.json": {"cache": False}}]

    with dvc_workspace.read() as conn:
        events = list_events(conn, action="pipeline.promote")
    assert len(events) == 1 and events[0].subject == "stage:prepare"
    assert events[0].payload["changed"] is True and len(events[0].payload["notebook_sha256"]) == 64


def test_promoting_twice_with_the_same_options_changes_nothing(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("train.ipynb", ["alpha = 0.1", "print(alpha)"])
    promote(dvc_workspace, "train.ipynb")
    before = _files(dvc_project)
    again = promote(dvc_workspace, "train.ipynb")
    assert not again.changed
    assert _files(dvc_project) == before
    with dvc_workspace.read() as conn:
        assert [event.payload["changed"] for event in list_events(conn, action="pipeline.promote")] == [True, False]
    assert dvc_workspace.verify_audit().ok


def test_changing_an_existing_stage_needs_force(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("train.ipynb", ["alpha = 0.1", "print(alpha)"])
    promote(dvc_workspace, "train.ipynb")
    (dvc_project / "params.yaml").write_text("train:\n  alpha: 0.5  # tuned\n")
    before = _files(dvc_project)
    with pytest.raises(NotebookError) as caught:
        promote(dvc_workspace, "train.ipynb", outs=["model.json"])
    assert "stage 'train' already exists in dvc.yaml" in caught.value.details[0]
    assert "--force" in caught.value.details[0]
    assert _files(dvc_project) == before
    replaced = promote(dvc_workspace, "train.ipynb", outs=["model.json"], force=True)
    assert replaced.changed
    assert "model.json" in yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"]["train"]["outs"]
    assert (dvc_project / "params.yaml").read_text() == "train:\n  alpha: 0.5  # tuned\n"  # kept value and comment


def test_a_dep_produced_by_another_stage_may_not_exist_yet(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("prepare.ipynb", ["n = 1", "open('clean.csv', 'w').write('x')"])
    notebook("train.ipynb", ["n = 1", "open('clean.csv').read()"])
    promote(dvc_workspace, "prepare.ipynb", outs=["clean.csv"])
    plan = check_promotion(dvc_workspace.project, "train.ipynb", deps=["clean.csv"])
    assert plan.ok and "clean.csv" in plan.deps
    missing = check_promotion(dvc_workspace.project, "train.ipynb", deps=["nowhere.csv"])
    assert missing.problems == (
        "the dep 'nowhere.csv' does not exist and no stage produces it; create it, or promote the stage that "
        "writes it first",
    )


def test_a_params_yaml_value_of_the_wrong_type_is_a_problem(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("train.ipynb", ["alpha = 0.1"])
    (dvc_project / "params.yaml").write_text("train:\n  alpha: fast\n")
    plan = check_promotion(dvc_workspace.project, "train.ipynb")
    assert plan.problems == (
        "params.yaml `train`: parameter `alpha` expects float (the notebook's default is 0.1), got 'fast' (str); "
        "change the value or the notebook's default",
    )


def test_values_set_parameters_and_a_parameters_only_change_needs_no_force(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook("train.ipynb", ["alpha = 0.1\ndepth = 3", "print(alpha)"])
    first = promote(dvc_workspace, "train.ipynb", values={"depth": 6})
    assert first.plan.values == {"alpha": 0.1, "depth": 6}
    dvc_yaml = (dvc_project / "dvc.yaml").read_bytes()

    def no_dvc(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a parameters-only change must not touch dvc.yaml")

    monkeypatch.setattr(promote_module, "run_dvc", no_dvc)
    second = promote(dvc_workspace, "train.ipynb", values={"alpha": 0.05})
    assert second.changed and not second.plan.stage_changed
    assert yaml.safe_load((dvc_project / "params.yaml").read_text())["train"] == {"alpha": 0.05, "depth": 6}
    assert (dvc_project / "dvc.yaml").read_bytes() == dvc_yaml
    with pytest.raises(NotebookError) as caught:
        promote(dvc_workspace, "train.ipynb", values={"alpha": "high", "colour": "red"})
    assert sorted(caught.value.details) == [
        "parameter `alpha` expects float (the notebook's default is 0.1), got 'high' (str) (from the values given)",
        "unknown parameter `colour` (from the values given); the notebook's parameters are: alpha, depth",
    ]
    with dvc_workspace.read() as conn:
        updates = [event.payload.get("updated_params") for event in list_events(conn, action="pipeline.promote")]
    assert updates == [[], ["alpha"]]


def test_a_dvc_failure_restores_every_file(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook("train.ipynb", ["alpha = 0.1"])
    (dvc_project / "params.yaml").write_text("# mine\nother: 1\n")
    before = _files(dvc_project)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise NotebookError("DVC could not add the stage 'train': disk full")

    monkeypatch.setattr(promote_module, "run_dvc", broken)
    with pytest.raises(NotebookError, match="disk full"):
        promote(dvc_workspace, "train.ipynb", outs=["out/model.json"])
    assert _files(dvc_project) == before
    assert not (dvc_project / "runs").exists() and not (dvc_project / "out").exists()
    with dvc_workspace.read() as conn:
        assert list_events(conn, action="pipeline.promote") == []


BAD_INPUTS = {
    "not a notebook": ("notes.txt", None, "is not a notebook"),
    "corrupt JSON": ("broken.ipynb", None, "is corrupt: its JSON does not parse"),
    "no parameters cell": ("plain.ipynb", None, "no cell is tagged `parameters`"),
    "two parameters cells": ("twice.ipynb", None, "are all tagged `parameters`"),
    "non-literal default": ("computed.ipynb", None, "is not a literal"),
    "absolute path": ("absolute.ipynb", None, "absolute path '/data/raw.csv'"),
    "missing dep": ("good.ipynb", {"deps": ["missing.csv"]}, "the dep 'missing.csv' does not exist"),
    "stage with a path separator": ("good.ipynb", {"stage": "a/b"}, "invalid stage name 'a/b'"),
    "stage with shell characters": ("good.ipynb", {"stage": "x;rm -rf ~"}, "invalid stage name 'x;rm -rf ~'"),
    "stage with command substitution": ("good.ipynb", {"stage": "$(id)"}, "invalid stage name '$(id)'"),
    "notebook outside the project": ("../outside.ipynb", None, "is outside the project"),
    "out outside the project": ("good.ipynb", {"outs": ["../elsewhere.csv"]}, "is outside the project"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_refused_with_every_problem_and_changes_nothing(
    case: str, dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    (dvc_project / "notes.txt").write_text("not json")
    (dvc_project / "broken.ipynb").write_text('{"cells": [')
    notebook("plain.ipynb", ["x = 1"], parameters=None)
    notebook("twice.ipynb", ["x = 1", "y = 2"], parameters=(0, 1))
    notebook("computed.ipynb", ["import datetime\nday = datetime.date.today()"])
    notebook("absolute.ipynb", ["x = 1", "open('/data/raw.csv')"])
    notebook("good.ipynb", ["x = 1"])
    notebook("../outside.ipynb", ["x = 1"])
    (dvc_project / "params.yaml").write_text("# keep\nother: 1\n")
    before = _files(dvc_project)
    path, options, expected = BAD_INPUTS[case]
    with pytest.raises(NotebookError) as caught:
        promote(dvc_workspace, path, **(options or {}))
    assert "nothing was changed" in caught.value.message
    assert any(expected in problem for problem in caught.value.details), caught.value.details
    assert _files(dvc_project) == before
    assert dvc_workspace.verify_audit().ok


UNUSABLE_FILES = {
    "params.yaml not YAML": ("params.yaml", b"x: [\n", "params.yaml is not valid YAML"),
    "params.yaml not UTF-8": ("params.yaml", b"\xff\xfe\x00", "params.yaml is not UTF-8 text"),
    "params.yaml not a mapping": ("params.yaml", b"- a\n- b\n", "must hold a mapping of stage names"),
    "dvc.yaml not YAML": ("dvc.yaml", b"stages: [\n", "dvc.yaml is not valid YAML"),
    "dvc.yaml stages not a mapping": ("dvc.yaml", b"stages: [a]\n", "`stages` must be a mapping"),
    "params.yaml a folder": ("params.yaml", None, "params.yaml is a folder"),
}


@pytest.mark.parametrize("case", list(UNUSABLE_FILES), ids=list(UNUSABLE_FILES))
def test_an_unusable_project_file_is_a_problem_of_the_plan(
    case: str, dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("good.ipynb", ["x = 1"])
    name, content, expected = UNUSABLE_FILES[case]
    if content is None:
        (dvc_project / name).mkdir()
    else:
        (dvc_project / name).write_bytes(content)
    before = _files(dvc_project)
    plan = check_promotion(dvc_workspace.project, "good.ipynb")
    assert not plan.ok and any(expected in problem for problem in plan.problems), plan.problems
    with pytest.raises(NotebookError) as caught:
        promote(dvc_workspace, "good.ipynb")
    assert "nothing was changed" in caught.value.message
    assert _files(dvc_project) == before


def test_a_project_without_dvc_is_a_problem_of_the_plan(workspace: Workspace, project_dir: Path) -> None:
    from tests.support.notebooks import write_notebook

    write_notebook(project_dir / "good.ipynb", ["x = 1"])
    plan = check_promotion(workspace.project, "good.ipynb")
    assert plan.problems == (
        f"the project {project_dir} is not a DVC repository; run `dvc init` (or `workbench init`) there first",
    )
    with pytest.raises(NotebookError):
        promote(workspace, "good.ipynb")
    assert not (project_dir / "params.yaml").exists()


def test_an_out_below_a_file_is_a_problem(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("good.ipynb", ["x = 1"])
    (dvc_project / "data").write_text("a file where a folder should be\n")
    plan = check_promotion(dvc_workspace.project, "good.ipynb", outs=["data/clean.csv"], metrics=["data/m/x.json"])
    assert plan.problems == (
        "data/clean.csv cannot be written: data is a file, not a folder; choose another path or move the file",
        "data/m/x.json cannot be written: data is a file, not a folder; choose another path or move the file",
    )


def test_a_file_that_cannot_be_written_is_a_notebook_error_and_restores_everything(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook("train.ipynb", ["alpha = 0.1"])
    (dvc_project / "params.yaml").write_text("# mine\nother: 1\n")
    before = _files(dvc_project)

    def read_only(path: Path, _text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(promote_module, "atomic_write_text", read_only)
    with pytest.raises(NotebookError) as caught:
        promote(dvc_workspace, "train.ipynb", outs=["out/model.json"])
    assert caught.value.message == (
        f"Cannot promote train.ipynb: a file could not be written ({dvc_project / 'params.yaml'}): Permission "
        "denied. Nothing was changed; fix the file or folder and promote again."
    )
    assert caught.value.exit_code == 11
    assert _files(dvc_project) == before and not (dvc_project / "out").exists()
