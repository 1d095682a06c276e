"""Two promoted notebooks as a DAG, reproduced by the real ``dvc repro`` and ``dvc exp run``.

Everything here is real: git, DVC, ``workbench`` as DVC's stage command, papermill
and Jupyter kernels. The project is built once for the module; the steps run in
order on it, as an analyst would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_helpers import bin_folder, commit, new_project, process_env, sh, workbench

from tests.support.notebooks import write_notebook
from workbench.pipelines.runs import list_runs
from workbench.pipelines.stages import stage_statuses
from workbench.project.workspace import open_workspace

pytestmark = pytest.mark.slow

PREPARE = [
    'scale = 2\nraw = "../data/raw.txt"  # input, tracked as a dep because it exists',
    "value = int(open(raw).read()) * scale\nopen('../data/prepared.txt', 'w').write(str(value))",
]
TRAIN = [
    'bonus = 1\nprepared = "../data/prepared.txt"',
    "import json\nscore = int(open(prepared).read()) + bonus",
    "json.dump({'score': score}, open('../metrics.json', 'w'))",
]


def _runs(root: Path, _env: dict[str, str]) -> list[dict[str, Any]]:
    """The run history, read in-process (the CLI's `runs list` is tested elsewhere)."""
    return [record.to_dict() for record in list_runs(open_workspace(root), limit=None)]


def _score(root: Path) -> int:
    return json.loads((root / "metrics.json").read_text())["score"]


def _set_param(root: Path, old: str, new: str) -> None:
    path = root / "params.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def dag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    scratch = tmp_path_factory.mktemp("dag")
    env = process_env(bin_folder(scratch / "bin"))
    root = new_project(scratch / "proj")
    (root / "data").mkdir()
    (root / "data/raw.txt").write_text("10")
    write_notebook(root / "notebooks/prepare.ipynb", PREPARE)
    write_notebook(root / "notebooks/train.ipynb", TRAIN)
    workbench(root, env, "promote", "notebooks/prepare.ipynb", "--outs", "data/prepared.txt")
    workbench(root, env, "promote", "notebooks/train.ipynb", "--deps", "data/prepared.txt", "--metrics", "metrics.json")
    commit(root, env, "promote prepare and train")
    yield root, env


def test_repro_runs_the_dag_skips_when_unchanged_and_reruns_only_dependents(dag: tuple[Path, dict[str, str]]) -> None:
    root, env = dag
    first = sh(root, env, "dvc", "repro")
    assert "Running stage 'prepare'" in first.stdout and "Running stage 'train'" in first.stdout
    assert first.stdout.index("Running stage 'prepare'") < first.stdout.index("Running stage 'train'")
    assert _score(root) == 21
    runs = _runs(root, env)
    assert [(run["stage"], run["status"], run["trigger"]) for run in runs] == [
        ("train", "succeeded", "dvc-repro"),
        ("prepare", "succeeded", "dvc-repro"),
    ]
    assert (root / "runs/prepare/prepare.ipynb").is_file() and (root / "runs/train/train.ipynb").is_file()
    commit(root, env, "first repro")

    again = sh(root, env, "dvc", "repro")
    assert "Stage 'prepare' didn't change, skipping" in again.stdout
    assert "Stage 'train' didn't change, skipping" in again.stdout
    assert len(_runs(root, env)) == 2
    statuses = stage_statuses(open_workspace(root).project)
    assert {name: status.state for name, status in statuses.items()} == {"prepare": "up-to-date", "train": "up-to-date"}

    _set_param(root, "bonus: 1", "bonus: 5")
    changed = sh(root, env, "dvc", "repro")
    assert "Stage 'prepare' didn't change, skipping" in changed.stdout
    assert "Running stage 'train'" in changed.stdout
    assert _score(root) == 25
    assert [run["stage"] for run in _runs(root, env)] == ["train", "train", "prepare"]

    _set_param(root, "scale: 2", "scale: 3")
    upstream = sh(root, env, "dvc", "repro")
    assert "Running stage 'prepare'" in upstream.stdout and "Running stage 'train'" in upstream.stdout
    assert _score(root) == 35
    assert len(_runs(root, env)) == 5
    commit(root, env, "tuned")
    assert open_workspace(root).verify_audit().ok


def test_exp_run_set_param_changes_the_output(dag: tuple[Path, dict[str, str]]) -> None:
    root, env = dag
    sh(root, env, "dvc", "repro")  # up to date, whichever test ran first
    if sh(root, env, "git", "status", "--porcelain").stdout.strip():
        commit(root, env, "baseline")  # experiments start from a commit
    prepared = int((root / "data/prepared.txt").read_text())
    assert _score(root) != prepared + 100
    result = sh(root, env, "dvc", "exp", "run", "-S", "train.bonus=100")
    assert "Running stage 'train'" in result.stdout
    assert "Stage 'prepare' didn't change, skipping" in result.stdout
    assert _score(root) == prepared + 100
    latest = _runs(root, env)[0]
    assert (latest["stage"], latest["status"], latest["trigger"]) == ("train", "succeeded", "dvc-exp")
    assert latest["params"] == {"bonus": 100, "prepared": "../data/prepared.txt"}
