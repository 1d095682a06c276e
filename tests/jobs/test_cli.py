"""The scoring commands end to end through ``workbench.cli.main``: output, exit codes, detach."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.scoring import write_input
from workbench.cli.main import main
from workbench.core.errors import Conflict, ContractViolation, DeviceUnavailable, NotFound, ValidationError
from workbench.project.workspace import Workspace


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_score_then_jobs_queue_and_monitor(scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_input(scoring_ws.project.root, n=1_500)
    code, out, err = run_cli(capsys, "score", "admissions", "data/applicants.parquet", "-o", "out/scores.parquet")
    assert code == 0, err
    assert "warning: scoring admissions:1, which is not approved" in err
    assert "succeeded: 1,500 rows" in out and "decisions: auto_accept" in out and "drift: 0/7 columns" in out
    assert "batch drift: 1 batch checked, largest share 0.00" in out
    code, out, _ = run_cli(capsys, "jobs", "list", "--json")
    [job] = json.loads(out)
    assert job["status"] == "succeeded" and job["model_ref"] == "admissions:1"
    code, out, _ = run_cli(capsys, "jobs", "list")
    assert job["id"][:12] in out and "1,500/1,500" in out
    code, out, _ = run_cli(capsys, "jobs", "show", job["id"][:8])
    assert code == 0 and f"Job {job['id']} (score) succeeded" in out and "batch latency ms" in out
    code, out, err = run_cli(capsys, "jobs", "cancel", job["id"][:8])
    assert code == Conflict.exit_code and "already succeeded" in err

    code, out, _ = run_cli(capsys, "queue", "list", "--job", job["id"][:8], "--limit", "5000", "--json")
    items = json.loads(out)
    assert len(items) == job["stats"]["review_items"]
    declined = next(i for i in items if i["leaning"] == "decline")
    code, out, err = run_cli(capsys, "queue", "decide", str(declined["id"]), "--decision", "accept")
    assert code == ValidationError.exit_code and "--comment" in err
    code, out, _ = run_cli(capsys, "queue", "decide", str(declined["id"]), "--decision", "accept", "-m", "context")
    assert code == 0 and "(overrides the model)" in out
    code, out, _ = run_cli(capsys, "queue", "list", "--status", "decided")
    assert "accept (override)" in out

    code, out, _ = run_cli(capsys, "monitor", "--json")
    report = json.loads(out)
    assert code == 0 and report["entries"][0]["job_id"] == job["id"] and report["flagged"] == []
    code, out, _ = run_cli(capsys, "monitor", "--act")
    assert code == 0 and "Nothing to retrain." in out


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["admissions", "data/missing.parquet"], NotFound.exit_code, "does not exist"),
        (["nope", "data/applicants.parquet"], NotFound.exit_code, "No model named 'nope'"),
        (["admissions", "data/broken.parquet", "--batch-rows", "100"], ContractViolation.exit_code, "batch 2 of 3"),
        (["admissions", "data/applicants.parquet", "--device", "cuda"], DeviceUnavailable.exit_code, "CUDA"),
        (["admissions", "data/applicants.parquet", "-o", "taken.parquet"], Conflict.exit_code, "--overwrite"),
    ],
)
def test_errors_map_to_exit_codes(
    scoring_ws: Workspace, capsys: pytest.CaptureFixture[str], args: list[str], code: int, text: str
) -> None:
    import polars as pl

    from workbench.explain import device as device_module

    root = scoring_ws.project.root
    frame = pl.read_parquet(write_input(root, n=300))
    frame.with_columns(
        pl.when(pl.int_range(300) == 150).then(None).otherwise(pl.col("gpa")).alias("gpa")
    ).write_parquet(root / "data" / "broken.parquet")
    (root / "taken.parquet").write_bytes(b"x")
    if device_module.cuda_available() and "cuda" in args:
        pytest.skip("this machine has a GPU")
    output = [] if "-o" in args else ["-o", "out.parquet"]
    got, _out, err = run_cli(capsys, "score", *args, *output)
    assert got == code and text in err, err


def test_detach_runs_in_the_background(scoring_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_input(scoring_ws.project.root, n=500)
    code, out, err = run_cli(
        capsys, "score", "admissions", "data/applicants.parquet", "-o", "bg.parquet", "--detach", "--json"
    )
    assert code == 0, err
    job = json.loads(out)
    assert job["status"] == "queued" and job["pid"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        code, out, _ = run_cli(capsys, "jobs", "show", job["id"], "--json")
        shown = json.loads(out)
        if shown["status"] not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert shown["status"] == "succeeded", shown["error"]
    assert (scoring_ws.project.root / "bg.parquet").exists()
    # The background process prints its summary after the job's final commit: give it a moment.
    log_path = scoring_ws.project.root / ".workbench" / "jobs" / job["id"] / "job.log"
    deadline = time.monotonic() + 30
    while "succeeded: 500 rows" not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "succeeded: 500 rows" in log_path.read_text()
