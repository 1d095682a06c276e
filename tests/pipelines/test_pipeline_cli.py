"""The pipeline commands through the real CLI entry point, in-process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.notebooks import write_notebook
from workbench.cli.main import main
from workbench.core.clock import utcnow
from workbench.core.errors import NotebookError
from workbench.project.workspace import Workspace
from workbench.store.schema import runs

NotebookFactory = Callable[..., Path]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_promote_check_then_promote(
    dvc_project: Path, notebook: NotebookFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook("notebooks/score.ipynb", ["threshold = 0.7  # decision threshold", "print(threshold)"])
    code, out, _ = cli(capsys, "promote", "notebooks/score.ipynb", "--check", "--json")
    plan = json.loads(out)
    assert code == 0 and plan["ok"] and plan["stage"] == "score"
    assert plan["parameters"] == [{"name": "threshold", "type": "float", "default": 0.7, "help": "decision threshold"}]
    assert not (dvc_project / "dvc.yaml").exists()

    code, out, _ = cli(capsys, "promote", "notebooks/score.ipynb", "--outs", "scores.csv")
    assert code == 0 and "Promoted notebooks/score.ipynb to stage 'score'." in out
    assert "cmd     workbench run notebooks/score.ipynb --stage score" in out
    code, out, _ = cli(capsys, "promote", "notebooks/score.ipynb", "--outs", "scores.csv")
    assert code == 0 and "already up to date" in out


def test_promote_lists_every_problem(notebook: NotebookFactory, capsys: pytest.CaptureFixture[str]) -> None:
    notebook("bad.ipynb", ["import os\nroot = os.getcwd()", "open('/home/ana/x.csv')"])
    code, _, err = cli(capsys, "promote", "bad.ipynb", "--deps", "missing.csv")
    lines = err.strip().splitlines()
    assert code == 11
    assert lines[0] == "error: Cannot promote bad.ipynb: 4 problems to fix first (nothing was changed)."
    assert all(line.startswith("  - ") for line in lines[1:]) and len(lines) == 5


def test_runs_list_and_show(dvc_workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "runs", "list")
    assert code == 0 and "No runs yet" in out
    with dvc_workspace.transaction() as tx:
        tx.conn.execute(
            runs.insert().values(
                id="f" * 32, stage="train", notebook="train.ipynb", params={"a": 1}, status="failed", actor="x",
                started_at=utcnow(), ended_at=utcnow(), cells=[{"index": 0, "duration_s": 0.1, "status": "error"}],
                error_cell=0, error_type="ValueError", error="boom", trigger="manual",
            )
        )  # fmt: skip
    code, out, _ = cli(capsys, "runs", "list")
    assert code == 0 and out.splitlines()[2].split()[:3] == ["ffffffffffff", "train", "failed"]
    code, out, _ = cli(capsys, "runs", "show", "ffff")
    assert code == 0 and "ValueError in cell 1: boom" in out
    code, out, _ = cli(capsys, "runs", "show", "ffff", "--json")
    assert json.loads(out)["error_name"] == "ValueError"
    code, _, err = cli(capsys, "runs", "show", "0000")
    assert code == 4 and "No run '0000'" in err


def test_schedule_commands_and_a_scheduler_pass(
    dvc_project: Path, notebook: NotebookFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook("nightly.ipynb", ["n = 1"])
    assert cli(capsys, "promote", "nightly.ipynb")[0] == 0
    code, out, _ = cli(capsys, "schedule", "add", "nightly", "--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--json")
    added = json.loads(out)
    assert code == 0 and added["stage"] == "nightly" and added["tz"] == "Europe/Berlin"
    code, out, _ = cli(capsys, "schedule", "list")
    row = out.splitlines()[2].split()
    assert code == 0 and row[:10] == [
        str(added["id"]),
        "nightly",
        "0",
        "2",
        "*",
        "*",
        "*",
        "Europe/Berlin",
        "run",
        "active",
    ]
    assert cli(capsys, "schedule", "pause", str(added["id"]))[1].strip() == f"Schedule {added['id']} paused."
    assert cli(capsys, "schedule", "resume", str(added["id"]))[1].strip() == f"Schedule {added['id']} resumed."
    code, out, _ = cli(capsys, "scheduler", "--once")
    assert code == 0 and out.strip() == "Nothing due."
    code, _, err = cli(capsys, "schedule", "add", "nightly", "--cron", "whenever")
    assert code == 2 and "Invalid cron expression" in err
    assert cli(capsys, "schedule", "rm", str(added["id"]))[0] == 0
    code, _, err = cli(capsys, "schedule", "rm", str(added["id"]))
    assert code == 4 and "No schedule" in err


# Every way `workbench promote` can refuse: (setup of the project, extra arguments, text of the error).
PROMOTION_REFUSALS: dict[str, tuple[Callable[[Path], None], list[str], str]] = {
    "a problem in the notebook": (lambda root: None, ["--deps", "missing.csv"], "the dep 'missing.csv' does not exist"),
    "a shell command in the parameters cell": (
        lambda root: write_notebook(root / "good.ipynb", ["!ls /etc", "x = 1"]),
        [],
        "`!ls /etc` is an IPython shell command",
    ),
    "a computed path in the parameters cell": (
        lambda root: write_notebook(root / "good.ipynb", ["p = chr(47)+'etc'"]),
        [],
        "the default of `p` (`chr(47)+'etc'`) is not a literal",
    ),
    "params.yaml that is not YAML": (
        lambda root: (root / "params.yaml").write_text("x: [\n"),
        [],
        "params.yaml is not valid YAML",
    ),
    "dvc.yaml that is not YAML": (
        lambda root: (root / "dvc.yaml").write_text("stages: [\n"),
        [],
        "dvc.yaml is not valid YAML",
    ),
    "params.yaml a folder": (lambda root: (root / "params.yaml").mkdir(), [], "params.yaml is a folder"),
    "not a DVC repository": (lambda root: shutil.rmtree(root / ".dvc"), [], "is not a DVC repository"),
    "an out below a file": (
        lambda root: (root / "data").write_text("x\n"),
        ["--outs", "data/out.csv"],
        "data is a file, not a folder",
    ),
}


@pytest.mark.parametrize("check", [False, True], ids=["promote", "promote --check"])
@pytest.mark.parametrize("case", list(PROMOTION_REFUSALS), ids=list(PROMOTION_REFUSALS))
def test_every_promotion_refusal_exits_11(
    case: str, check: bool, dvc_project: Path, notebook: NotebookFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook("good.ipynb", ["x = 1"])
    setup, extra, text = PROMOTION_REFUSALS[case]
    setup(dvc_project)
    code, _, err = cli(capsys, "promote", "good.ipynb", *extra, *(["--check"] if check else []))
    assert code == NotebookError.exit_code == 11, err
    assert err.startswith("error: ") and text in err and "Traceback" not in err, err
    assert not (dvc_project / "runs").exists()


def test_a_write_failure_during_promotion_exits_11(
    dvc_project: Path, notebook: NotebookFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.pipelines import promote as promote_module

    def disk_full(path: Path, _text: str) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(promote_module, "atomic_write_text", disk_full)
    notebook("good.ipynb", ["x = 1"])
    code, _, err = cli(capsys, "promote", "good.ipynb")
    assert code == 11 and "a file could not be written" in err and "No space left on device" in err
