"""``promote`` resolves parameter paths as the run will: from the notebook's folder; outs are inferred by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from workbench.cli.main import main
from workbench.pipelines.param_paths import is_output_name
from workbench.pipelines.promote import check_promotion, promote
from workbench.project.config import load_project
from workbench.project.workspace import Workspace

NotebookFactory = Callable[..., Path]


def test_a_root_relative_path_is_refused_naming_the_parameter_and_the_corrected_value(
    dvc_project: Path, notebook: NotebookFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook("nb/score.ipynb", ['data = "data/x.parquet"  # scored rows', "print(data)"])
    (dvc_project / "data").mkdir()
    (dvc_project / "data/x.parquet").write_bytes(b"PAR1")

    code = main(["promote", "nb/score.ipynb"])
    _, err = capsys.readouterr()
    assert code == 11
    assert "parameter `data` = 'data/x.parquet' names data/x.parquet relative to the project root" in err
    assert "the notebook runs in nb/, where 'data/x.parquet' does not exist; set it to '../data/x.parquet'" in err
    assert not (dvc_project / "dvc.yaml").exists() and not (dvc_project / "params.yaml").exists()

    code = main(["promote", "nb/score.ipynb", "--check", "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 11 and not plan["ok"] and "'../data/x.parquet'" in plan["problems"][0]


def test_the_corrected_value_becomes_a_dep_and_outputs_are_inferred(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    params = (
        'data = "../data/x.parquet"\n'
        'output = "../out/scored.parquet"\n'
        'summary_path = "../metrics/summary.json"\n'
        'out_dir = "../out"\n'  # no file extension: a folder, not inferred
        'label = "out/notes.txt"'  # not named like an output: never an out
    )
    notebook("nb/score.ipynb", [params, "print(data)"])
    (dvc_project / "data").mkdir()
    (dvc_project / "data/x.parquet").write_bytes(b"PAR1")

    result = promote(dvc_workspace, "nb/score.ipynb")
    stage = yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"]["score"]
    assert sorted(stage["deps"]) == ["data/x.parquet", "nb/score.ipynb"]
    assert sorted(stage["outs"]) == ["metrics/summary.json", "out/scored.parquet", "runs/score/score.ipynb"]
    assert result.plan.outs[-1] == "runs/score/score.ipynb"  # the executed notebook

    # After the first run the outputs exist; promoting again keeps them outs and changes nothing.
    (dvc_project / "out/scored.parquet").write_bytes(b"PAR1")
    (dvc_project / "metrics/summary.json").write_text("{}")
    again = promote(dvc_workspace, "nb/score.ipynb")
    assert not again.changed and again.plan.outs == result.plan.outs


def test_an_output_named_parameter_that_another_stage_produces_is_a_dep(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("nb/prepare.ipynb", ['out_file = "../data/prepared.parquet"', "print(out_file)"])
    notebook("nb/train.ipynb", ['prepared_path = "../data/prepared.parquet"', "print(prepared_path)"])
    promote(dvc_workspace, "nb/prepare.ipynb")
    plan = check_promotion(load_project(dvc_project), "nb/train.ipynb", base_dir=dvc_project)
    assert plan.ok, plan.problems
    assert "data/prepared.parquet" in plan.deps and plan.outs == ("runs/train/train.ipynb",)


def test_a_notebook_at_the_root_reads_paths_from_the_root(
    dvc_project: Path, dvc_workspace: Workspace, notebook: NotebookFactory
) -> None:
    notebook("score.ipynb", ['data = "data/x.parquet"', "print(data)"])
    (dvc_project / "data").mkdir()
    (dvc_project / "data/x.parquet").write_bytes(b"PAR1")
    plan = check_promotion(load_project(dvc_project), "score.ipynb", base_dir=dvc_project)
    assert plan.ok and "data/x.parquet" in plan.deps


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("out", True),
        ("output", True),
        ("out_file", True),
        ("scores_output", True),
        ("model_path", True),
        ("outcome", False),
        ("data", False),
        ("layout", False),
        ("path", False),
    ],
)
def test_the_output_name_rule(name: str, expected: bool) -> None:
    assert is_output_name(name) is expected
