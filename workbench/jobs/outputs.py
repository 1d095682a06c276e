"""What a scoring job may write to, and what ``--overwrite`` may replace.

A scoring output never goes into, or onto, the places a project cannot lose: the
project root itself, ``.git``, ``.dvc``, ``.workbench`` (the database), the artifact
store, or a folder that holds any of them. :func:`check_output` refuses those always.

An existing output is replaced (with ``overwrite``) only when it is something this
project's scoring wrote before:

* a Parquet file whose footer names a succeeded scoring job of this project that wrote
  exactly this path;
* a folder whose manifest (``.<folder>.workbench-output.json`` beside it) names a
  succeeded scoring job of this project that wrote exactly this folder, holding nothing
  but the parts it lists;

and never a path that DVC tracks as anything other than an out of the stage being run
(``DVC_STAGE``, which ``dvc repro`` sets, or ``WORKBENCH_STAGE`` from ``workbench run``).
Each refusal names the path and the reason.
Submission checks; the job checks again just before it moves its output into place,
so nothing that appeared meanwhile is replaced either.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import Conflict, ValidationError
from workbench.pipelines.dvc import read_stages
from workbench.pipelines.stages import stage_paths
from workbench.project.config import STATE_DIR, Project
from workbench.project.paths import is_url
from workbench.scoring.sinks import MANIFEST, OutputTarget
from workbench.store.schema import jobs

__all__ = ["PROTECTED_FOLDERS", "check_output", "protected_paths"]

#: Folders of the project root that no output may touch.
PROTECTED_FOLDERS = (".git", ".dvc", STATE_DIR)
_PARQUET_MAGIC = b"PAR1"


def protected_paths(project: Project) -> list[tuple[Path, str]]:
    """Local places no scoring output may be in or replace, with what each one is."""
    root = project.root.resolve()
    places = [(root, "the project root")]
    places += [(root / name, f"the project's {name} folder") for name in PROTECTED_FOLDERS]
    artifacts = project.artifacts_url
    if not is_url(artifacts):
        places.append((Path(artifacts).resolve(), "the artifact store"))
    return places


def _refuse(target: OutputTarget, why: str, fix: str = "Choose another output path.") -> ValidationError:
    return ValidationError(
        f"Refusing to write the output {target.location}: {why}. {fix}",
        details={"output": target.location, "reason": why},
    )


def _check_place(project: Project, target: OutputTarget) -> None:
    if not target.local:
        artifacts = project.artifacts_url
        if is_url(artifacts) and _under(target.location.rstrip("/"), artifacts.rstrip("/")):
            raise _refuse(target, "it is inside the artifact store")
        return
    path = Path(target.path).resolve()
    for place, what in protected_paths(project):
        if path == place:
            raise _refuse(target, f"it is {what}")
        if place in path.parents and place != project.root.resolve():
            raise _refuse(target, f"it is inside {what}")
        if path in place.parents:
            raise _refuse(target, f"it holds {what}")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _stage_of_run() -> str | None:
    """The stage being run: ``DVC_STAGE`` (``name`` or ``dvc.yaml:name``, set by ``dvc repro``) or
    ``WORKBENCH_STAGE`` (set by ``workbench run --stage`` for the notebook's kernel), if any."""
    stage = os.environ.get("DVC_STAGE") or os.environ.get("WORKBENCH_STAGE")
    return stage.rsplit(":", 1)[-1] if stage else None


def _dvc_tracked(project: Project, path: Path) -> list[str]:
    """How DVC tracks ``path`` other than as an out of the running stage, e.g. ``dep of stage 'train'``."""
    root = project.root.resolve()
    try:
        relative = PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        return []
    running = _stage_of_run()
    found: list[str] = []
    for name, stage in read_stages(project.root).items():
        for kind in ("outs", "deps", "metrics", "plots"):
            for entry in stage_paths(stage.get(kind)):
                tracked = PurePosixPath(entry)
                if not (tracked == relative or tracked in relative.parents or relative in tracked.parents):
                    continue
                if kind == "outs" and name == running and tracked == relative:
                    continue
                found.append(f"{kind[:-1] if kind != 'metrics' else 'metric'} {entry} of stage {name!r}")
    if (path.parent / f"{path.name}.dvc").is_file():
        found.append(f"tracked by {path.name}.dvc (dvc add)")
    return found


def _job_wrote(conn: Connection, job_id: str | None, target: OutputTarget) -> bool:
    """Whether ``job_id`` is a succeeded scoring job of this project that wrote exactly this output.

    The id comes from the output itself (its footer or its manifest), so a file put in a
    previous output's place, or a manifest copied beside another folder, does not pass.
    """
    if not job_id or len(job_id) > 64:
        return False
    row = conn.execute(
        sa.select(jobs.c.output).where(jobs.c.id == job_id, jobs.c.kind == "score", jobs.c.status == "succeeded")
    ).first()
    if row is None or not row.output:
        return False
    return str(row.output).rstrip("/") in {target.location.rstrip("/"), target.path.rstrip("/")}


def _is_parquet(target: OutputTarget) -> bool:
    opener = open if target.fs is None else target.fs.open
    try:
        with opener(target.path, "rb") as handle:
            head = handle.read(4)
            handle.seek(-4, os.SEEK_END)
            tail = handle.read(4)
    except OSError:
        return False
    return head == _PARQUET_MAGIC and tail == _PARQUET_MAGIC


def _check_replaceable(project: Project, conn: Connection, target: OutputTarget) -> None:
    is_dir = target.isdir(target.path)
    if target.local and os.path.islink(target.path.rstrip("/")):
        raise _refuse(target, "it is a symbolic link", "Point the output at the real path, or remove the link.")
    if is_dir != target.folder:
        have, want = ("a folder", "a file") if is_dir else ("a file", "a folder")
        raise ValidationError(
            f"The output {target.location} is {have}, and this job writes {want}; remove it or choose another path."
        )
    if target.local:
        tracked = _dvc_tracked(project, Path(target.path).resolve())
        if tracked:
            raise _refuse(
                target,
                f"DVC tracks it as {'; '.join(tracked)}",
                "DVC owns it: let the stage that outputs it write it (`dvc repro STAGE`), or write the scores to a "
                "path of their own.",
            )
    keep = "Delete it yourself if it should go, or choose another output path."
    if not target.folder:
        if not _is_parquet(target):
            raise _refuse(
                target, "--overwrite replaces only a previous scoring output, and it is not a Parquet file", keep
            )
        if not _job_wrote(conn, target.file_job_id(), target):
            raise _refuse(
                target,
                "--overwrite replaces only a previous scoring output of this project, and no job of this "
                "project wrote this file (its Parquet footer names none that wrote this path)",
                keep,
            )
        return
    manifest = target.manifest()
    if manifest is None:
        raise _refuse(
            target,
            "--overwrite replaces only a folder a scoring job wrote, and this folder has no manifest "
            f"({MANIFEST.format(Path(target.path).name)} beside it)",
            keep,
        )
    if not _job_wrote(conn, manifest["job_id"], target):
        raise _refuse(
            target,
            f"its manifest names job {manifest['job_id']!r}, which is not a succeeded scoring job of this project "
            "that wrote this folder",
            keep,
        )
    expected = set(manifest["parts"])
    others = [name for name in target.contents() if name not in expected]
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise _refuse(target, f"the folder holds files the scoring job did not write ({shown})", keep)


def check_output(
    project: Project, conn: Connection, target: OutputTarget, *, overwrite: bool, input: Any = None
) -> None:
    """Refuse an output path that scoring must not write, or an existing output it must not replace.

    ``input`` is the job's input location: the output may be neither the input nor hold it.
    """
    _check_place(project, target)
    if input is not None:
        source = os.fspath(input).rstrip("/")
        out = target.path.rstrip("/")
        if os.path.normpath(out) == os.path.normpath(source):
            raise ValidationError("The output path is the input path; write the scores somewhere else.")
        if target.local and not is_url(source) and Path(out).resolve() in Path(source).resolve().parents:
            raise _refuse(target, f"it holds the input {input}")
    if not target.exists():
        return
    if not overwrite:
        raise Conflict(
            f"The output {target.location} exists already. Pass --overwrite (overwrite=True) to replace it "
            "when the job succeeds, or choose another path."
        )
    _check_replaceable(project, conn, target)
