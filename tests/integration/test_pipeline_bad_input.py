"""Every bad input of the pipelines issue, through the real CLI: a clear message, a non-zero
exit, nothing half-written, and an audit chain that still verifies.

Refusals run the CLI in-process (its parser, handlers and exit codes, without paying for
interpreter start-ups); the failing notebooks run real kernels, one of them under the
real ``dvc repro``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import bin_folder, commit, new_project, process_env, sh

from tests.support.notebooks import write_notebook
from workbench.cli.main import main
from workbench.pipelines.promote import promote
from workbench.pipelines.runs import list_runs
from workbench.project.workspace import open_workspace

STAGES = {
    "good": ["n = 1\nlabel = 'x'", "print(n, label)"],
    "fails": ["n = 1", "m = 2", "n / 0"],
    "dies": ["n = 1", "import os\nos._exit(1)"],
    "sleepy": ["n = 1", "import time\ntime.sleep(60)"],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    scratch = tmp_path_factory.mktemp("bad-input")
    env = process_env(bin_folder(scratch / "bin"))
    root = new_project(scratch / "template")
    workspace = open_workspace(root)
    for name, cells in STAGES.items():
        write_notebook(root / f"{name}.ipynb", cells)
        promote(workspace, f"{name}.ipynb", base_dir=root)  # in-process: the CLI's promote is tested below
    (root / "notes.txt").write_text("just text\n")
    (root / "broken.ipynb").write_text('{"cells": [{"cell_type": "code",')
    write_notebook(root / "plain.ipynb", ["x = 1"], parameters=None)
    write_notebook(root / "twice.ipynb", ["x = 1", "y = 2"], parameters=(0, 1))
    write_notebook(root / "computed.ipynb", ["import os\nhere = os.getcwd()"])
    write_notebook(root / "absolute.ipynb", ["x = 1", "data = open('/srv/data/raw.csv')"])
    write_notebook(scratch / "outside.ipynb", ["x = 1"])
    commit(root, env, "stages")
    return root, env


@pytest.fixture
def project(
    template: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path / "proj"
    shutil.copytree(template[0], root, symlinks=True)
    shutil.copy(template[0].parent / "outside.ipynb", tmp_path / "outside.ipynb")
    monkeypatch.chdir(root)
    yield root, template[1]


def _files(root: Path) -> dict[str, bytes]:
    skip = {".git", ".dvc", ".workbench"}
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] not in skip and path.name != "workbench.audit-head"
    }


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    _, err = capsys.readouterr()
    return code, err


REFUSALS = {
    "not a notebook": (["promote", "notes.txt"], 11, "notes.txt is not a notebook"),
    "corrupt JSON": (["promote", "broken.ipynb"], 11, "broken.ipynb is corrupt: its JSON does not parse"),
    "no parameters cell": (["promote", "plain.ipynb"], 11, "no cell is tagged `parameters`"),
    "two parameters cells": (["promote", "twice.ipynb"], 11, "cells 1, 2 are all tagged `parameters`"),
    "non-literal default": (
        ["promote", "computed.ipynb"],
        11,
        "the default of `here` (`os.getcwd()`) is not a literal",
    ),
    "absolute path": (["promote", "absolute.ipynb"], 11, "absolute path '/srv/data/raw.csv'"),
    "missing dep": (
        ["promote", "good.ipynb", "--stage", "good2", "--deps", "data/missing.csv"],
        11,
        "the dep 'data/missing.csv' does not exist and no stage produces it",
    ),
    "stage with a path separator": (["promote", "good.ipynb", "--stage", "a/b"], 11, "invalid stage name 'a/b'"),
    "stage with shell characters": (
        ["promote", "good.ipynb", "--stage", "x;touch pwned"],
        11,
        "invalid stage name 'x;touch pwned'",
    ),
    "notebook outside the project": (["promote", "../outside.ipynb"], 11, "is outside the project"),
    "unknown -p key": (["run", "good", "-p", "colour=red"], 2, "unknown parameter `colour` (from -p)"),
    "wrong type": (["run", "good", "-p", "n=many"], 2, "parameter `n` expects int"),
    "malformed -p": (["run", "good", "-p", "n"], 2, "write parameters as -p key=value"),
    "run outside the project": (["run", "../outside.ipynb"], 2, "is outside the project"),
    "run a stage with shell characters": (["run", "$(touch pwned)"], 2, "Invalid stage name"),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_refusals(case: str, project: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = project
    argv, exit_code, text = REFUSALS[case]
    before = _files(root)
    code, err = _cli(capsys, *argv)
    assert code == exit_code, err
    assert err.startswith("error: ") and text in err, err
    assert _files(root) == before
    assert not (root / "pwned").exists()
    assert list_runs(open_workspace(root)) == []
    assert _cli(capsys, "audit", "verify")[0] == 0


@pytest.mark.slow
def test_a_raising_notebook_stops_dvc_repro(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    result = sh(root, env, "dvc", "repro", "fails", check=False)
    assert result.returncode != 0
    assert "the notebook raised ZeroDivisionError in cell 3: division by zero" in result.stderr
    assert "failed to reproduce 'fails'" in result.stderr
    [run] = list_runs(open_workspace(root))
    assert (run.status, run.stage, run.error_cell, run.error_name) == ("failed", "fails", 2, "ZeroDivisionError")
    assert run.output_path == f".workbench/runs/{run.id}/fails.ipynb" and (root / run.output_path).is_file()
    assert not (root / "runs/fails/fails.ipynb").exists()
    assert not (root / "dvc.lock").exists()
    assert open_workspace(root).verify_audit().ok


@pytest.mark.slow
def test_a_dying_kernel_is_a_failed_run(
    project: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    before = _files(root)
    code, err = _cli(capsys, "run", "dies", "--quiet")
    assert code == 11
    assert "The kernel died in cell 2" in err and "os._exit" in err
    [run] = list_runs(open_workspace(root))
    assert (run.status, run.error_name, run.error_cell) == ("failed", "KernelDied", 1)
    assert _files(root) == before
    assert _cli(capsys, "audit", "verify")[0] == 0


@pytest.mark.slow
def test_a_timeout_stops_the_run(project: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = project
    before = _files(root)
    code, err = _cli(capsys, "run", "sleepy", "--timeout", "4", "--quiet")
    assert code == 11
    assert "timed-out" in err and "exceeded its timeout of 4 s in cell 2" in err
    [run] = list_runs(open_workspace(root))
    assert (run.status, run.error_name) == ("timed-out", "Timeout")
    assert run.duration_s is not None and run.duration_s < 40
    assert _files(root) == before
    assert _cli(capsys, "audit", "verify")[0] == 0
