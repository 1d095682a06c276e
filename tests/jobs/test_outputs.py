"""Nothing lost, nothing outside: what a scoring job may write to, and what --overwrite may replace.

Each attack from the review is tried through the real scoring service; after each one
the test checks that nothing was deleted, nothing outside the project was read, and no
job was recorded.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from tests.support.scoring import write_input
from workbench.core.errors import Conflict, ContractViolation, ValidationError
from workbench.jobs import score
from workbench.project.workspace import Workspace
from workbench.scoring.sinks import MANIFEST
from workbench.store.schema import jobs


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the hash of its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def job_count(workspace: Workspace) -> int:
    with workspace.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() or 0)


@pytest.fixture
def project(scoring_ws: Workspace) -> Workspace:
    root = scoring_ws.project.root
    write_input(root, n=300)
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".dvc").mkdir(exist_ok=True)
    (root / ".dvc" / "config").write_text("")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "train.ipynb").write_text("{}")
    (root / "runs" / "train").mkdir(parents=True)
    (root / "runs" / "train" / "train.ipynb").write_text("{}")
    return scoring_ws


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (".", "it is the project root"),
        (".workbench", "it is the project's .workbench folder"),
        (".workbench/artifacts", "inside the project's .workbench folder"),
        (".git", "it is the project's .git folder"),
        (".dvc", "it is the project's .dvc folder"),
        (".git/scores.parquet", "inside the project's .git folder"),
        ("runs", "has no manifest"),
        ("notebooks", "has no manifest"),
        ("data", "it holds the input"),
    ],
)
def test_overwrite_never_replaces_what_scoring_did_not_write(project: Workspace, output: str, reason: str) -> None:
    root = project.project.root
    before = snapshot(root)
    with pytest.raises(ValidationError, match=reason):
        score(project, "admissions", "data/applicants.parquet", output, overwrite=True)
    assert snapshot(root) == before
    assert job_count(project) == 0


def test_the_artifact_store_and_folders_holding_the_project_are_protected(
    project: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project.project.root
    store = root / "models-store"
    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(store))
    from workbench.project.config import load_project

    moved = Workspace(load_project(root), project.identity)
    store.mkdir()
    (store / "blob").write_text("model bytes")
    with pytest.raises(ValidationError, match="it is the artifact store"):
        score(moved, "admissions", "data/applicants.parquet", "models-store", overwrite=True)
    with pytest.raises(ValidationError, match="inside the artifact store"):
        score(moved, "admissions", "data/applicants.parquet", "models-store/x.parquet")
    assert (store / "blob").read_text() == "model bytes"


def test_a_previous_folder_output_is_replaced_atomically(project: Workspace) -> None:
    root = project.project.root
    first = score(project, "admissions", "data/applicants.parquet", "scores/")
    assert sorted(p.name for p in (root / "scores").iterdir()) == ["part-00000.parquet"]
    assert (root / MANIFEST.format("scores")).is_file()
    second = score(project, "admissions", "data/applicants.parquet", "scores/", overwrite=True)
    assert pl.read_parquet(root / "scores").get_column("job_id").unique().to_list() == [second.id]
    assert first.id != second.id
    assert [p.name for p in root.iterdir() if p.name.startswith(".scores")] == [MANIFEST.format("scores")]
    (root / "scores" / "my-notes.txt").write_text("keep me")
    before = snapshot(root)
    with pytest.raises(ValidationError, match=r"holds files the scoring job did not write \(my-notes.txt\)"):
        score(project, "admissions", "data/applicants.parquet", "scores/", overwrite=True)
    assert snapshot(root) == before


def test_a_file_is_replaced_only_when_this_projects_scoring_wrote_it(project: Workspace) -> None:
    root = project.project.root
    pl.DataFrame({"a": [1, 2]}).write_parquet(root / "data" / "mine.parquet")
    before = snapshot(root)
    with pytest.raises(ValidationError, match="no job of this project wrote this file"):
        score(project, "admissions", "data/applicants.parquet", "data/mine.parquet", overwrite=True)
    with pytest.raises(ValidationError, match="The output path is the input path"):
        score(project, "admissions", "data/applicants.parquet", "data/applicants.parquet", overwrite=True)
    with pytest.raises(ValidationError, match="it holds the input"):
        score(project, "admissions", "data/applicants.parquet", "data/", overwrite=True)
    assert snapshot(root) == before
    score(project, "admissions", "data/applicants.parquet", "out.parquet")
    again = score(project, "admissions", "data/applicants.parquet", "out.parquet", overwrite=True)
    assert pl.read_parquet(root / "out.parquet").get_column("job_id").unique().to_list() == [again.id]


def test_the_old_output_survives_a_failed_job(project: Workspace) -> None:
    root = project.project.root
    score(project, "admissions", "data/applicants.parquet", "out.parquet")
    before = (root / "out.parquet").read_bytes()
    bad = pl.read_parquet(root / "data" / "applicants.parquet")
    bad = pl.concat([bad, bad.head(5).with_columns(pl.lit(None, dtype=bad.schema["gpa"]).alias("gpa"))])
    bad.write_parquet(root / "data" / "bad.parquet", row_group_size=100)
    with pytest.raises(ContractViolation):
        score(project, "admissions", "data/bad.parquet", "out.parquet", overwrite=True, batch_rows=100)
    assert (root / "out.parquet").read_bytes() == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".out")) == []


DVC_YAML = """\
stages:
  prepare:
    cmd: echo prepare
    outs:
    - data/applicants.parquet
  score:
    cmd: echo score
    deps:
    - data/applicants.parquet
    outs:
    - scored.parquet
"""


def test_dvc_tracked_paths_are_replaced_only_by_their_own_stage(
    project: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project.project.root
    score(project, "admissions", "data/applicants.parquet", "scored.parquet")
    score(project, "admissions", "data/applicants.parquet", "tracked.parquet")
    (root / "dvc.yaml").write_text(DVC_YAML)
    (root / "tracked.parquet.dvc").write_text("outs:\n- path: tracked.parquet\n")
    with pytest.raises(ValidationError, match=r"DVC tracks it as out scored.parquet of stage 'score'"):
        score(project, "admissions", "data/applicants.parquet", "scored.parquet", overwrite=True)
    with pytest.raises(ValidationError, match=r"tracked by tracked.parquet.dvc"):
        score(project, "admissions", "data/applicants.parquet", "tracked.parquet", overwrite=True)
    monkeypatch.setenv("DVC_STAGE", "prepare")
    with pytest.raises(ValidationError, match=r"DVC tracks it as out scored.parquet of stage 'score'"):
        score(project, "admissions", "data/applicants.parquet", "scored.parquet", overwrite=True)
    monkeypatch.setenv("DVC_STAGE", "dvc.yaml:score")
    job = score(project, "admissions", "data/applicants.parquet", "scored.parquet", overwrite=True)
    assert job.status == "succeeded"


@pytest.mark.parametrize("wrap", ["local://{}", "file://{}", "simplecache::file://{}", "{}"])
def test_urls_and_paths_outside_the_project_are_neither_read_nor_deleted(
    project: Workspace, tmp_path: Path, wrap: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = write_input(outside, name="victim.parquet", n=50)
    (outside / "folder").mkdir()
    (outside / "folder" / "keep.txt").write_text("keep")
    before = snapshot(outside)
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", wrap.format(victim), "out.parquet")
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", "data/applicants.parquet", wrap.format(outside / "folder"), overwrite=True)
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", "data/applicants.parquet", wrap.format(victim), overwrite=True)
    assert snapshot(outside) == before
    assert job_count(project) == 0


def test_symlinks_out_of_the_project_are_refused(project: Workspace, tmp_path: Path) -> None:
    root = project.project.root
    outside = tmp_path / "outside"
    outside.mkdir()
    write_input(outside, name="in.parquet", n=50)
    os.symlink(outside, root / "data" / "link")
    os.symlink(outside / "in.parquet", root / "data" / "in-link.parquet")
    before = snapshot(outside)
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", "data/in-link.parquet", "out.parquet")
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", "data/link/in.parquet", "out.parquet")
    with pytest.raises(ValidationError, match="outside the project"):
        score(project, "admissions", "data/applicants.parquet", "data/link/out.parquet")
    assert snapshot(outside) == before


def test_an_existing_output_needs_overwrite(project: Workspace) -> None:
    root = project.project.root
    score(project, "admissions", "data/applicants.parquet", "out.parquet")
    with pytest.raises(Conflict, match="exists already. Pass --overwrite"):
        score(project, "admissions", "data/applicants.parquet", "out.parquet")
    before = snapshot(root)
    with pytest.raises(ValidationError, match="is a file, and this job writes a folder"):
        score(project, "admissions", "data/applicants.parquet", "out.parquet", overwrite=True, engine="dask")
    assert snapshot(root) == before


def test_the_cli_refuses_overwriting_the_project(project: Workspace) -> None:
    root = project.project.root
    before = snapshot(root)
    env = {**os.environ, "WORKBENCH_USER": "analyst@example.org"}
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "score", "admissions", "data/applicants.parquet", "-o", ".",
         "--overwrite"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "it is the project root" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root) == before


def test_the_kernel_api_goes_through_the_same_resolver(project: Workspace, tmp_path: Path) -> None:
    import workbench as wb

    outside = tmp_path / "outside"
    outside.mkdir()
    victim = write_input(outside, name="victim.parquet", n=50)
    before = snapshot(outside)
    for given in (f"local://{victim}", f"simplecache::file://{victim}", str(victim)):
        with pytest.raises(ValidationError, match="outside the project"):
            wb.score("admissions", given, "out.parquet")
        with pytest.raises(ValidationError, match="outside the project"):
            wb.score("admissions", "data/applicants.parquet", given, overwrite=True)
    with pytest.raises(ValidationError, match="it is the project root"):
        wb.score("admissions", "data/applicants.parquet", ".", overwrite=True)
    assert snapshot(outside) == before
    assert job_count(project) == 0


def test_forged_ownership_does_not_pass(project: Workspace) -> None:
    """A manifest copied beside another folder, or a file put in a previous output's place, is refused."""
    root = project.project.root
    score(project, "admissions", "data/applicants.parquet", "scores/")
    manifest = (root / MANIFEST.format("scores")).read_text()
    (root / MANIFEST.format("notebooks")).write_text(manifest.replace("part-00000.parquet", "train.ipynb"))
    before = snapshot(root)
    with pytest.raises(ValidationError, match="not a succeeded scoring job of this project that wrote this folder"):
        score(project, "admissions", "data/applicants.parquet", "notebooks", overwrite=True)
    assert snapshot(root) == before
    score(project, "admissions", "data/applicants.parquet", "out.parquet")
    pl.DataFrame({"precious": [1, 2, 3]}).write_parquet(root / "out.parquet")
    with pytest.raises(ValidationError, match="no job of this project wrote this file"):
        score(project, "admissions", "data/applicants.parquet", "out.parquet", overwrite=True)
    assert pl.read_parquet(root / "out.parquet").columns == ["precious"]


def test_a_symlink_to_a_protected_folder_is_refused(project: Workspace) -> None:
    root = project.project.root
    os.symlink(root / ".workbench", root / "scores")
    os.symlink(root, root / "here")
    before = snapshot(root / ".workbench")
    with pytest.raises(ValidationError, match="it is the project's .workbench folder"):
        score(project, "admissions", "data/applicants.parquet", "scores", overwrite=True)
    with pytest.raises(ValidationError, match="it is the project root"):
        score(project, "admissions", "data/applicants.parquet", "here", overwrite=True)
    with pytest.raises(ValidationError, match="inside the project's .workbench folder"):
        score(project, "admissions", "data/applicants.parquet", "scores/x.parquet")
    assert {k for k in snapshot(root / ".workbench") if "-wal" not in k} >= {
        k for k in before if "-wal" not in k and "-shm" not in k
    }
