"""``promote``: a parameterized notebook becomes a DVC stage.

:func:`check_promotion` computes the whole plan (stage name, parameters and their
values, deps, outs, the DVC command) and every problem that stops it, without
writing anything. :func:`promote` refuses a plan with problems, listing them all;
otherwise it merges the defaults into ``params.yaml``, adds the stage with
``dvc stage add`` and records an audit event. Any failure on the way restores the
files it touched. Promoting the same notebook with the same options again changes
no file (and is still an audit event).

Every refusal is a :class:`NotebookError` (exit code 11): a problem in the plan, a
``params.yaml`` or ``dvc.yaml`` that cannot be read, a project that is not a DVC
repository, DVC refusing the stage, or a file that cannot be written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from workbench.core.errors import ConfigError, NotebookError, NotFound, ValidationError
from workbench.core.hashing import sha256_bytes
from workbench.notebooks.checks import check_notebook
from workbench.pipelines._files import FileSnapshot, atomic_write_text
from workbench.pipelines.dvc import check_stage_name, read_stages, run_dvc, stage_command
from workbench.pipelines.param_paths import ParameterPaths, parameter_paths
from workbench.pipelines.params_file import PARAMS_FILE, ParamsMerge, merge_stage_params
from workbench.pipelines.stages import stage_paths
from workbench.pipelines.values import PromotionPlan, PromotionResult
from workbench.project.config import Project

if TYPE_CHECKING:
    from workbench.project.workspace import Workspace

__all__ = ["RUNS_DIR", "PromotionOptions", "check_promotion", "executed_notebook_path", "promote"]

RUNS_DIR = "runs"
_RESERVED = (".git", ".dvc", ".workbench")
_T = TypeVar("_T")


class PromotionOptions(TypedDict, total=False):
    """The stage options :func:`check_promotion` and :func:`promote` take by name, as a face collects them."""

    stage: str | None
    deps: Sequence[str]
    outs: Sequence[str]
    metrics: Sequence[str]
    plots: Sequence[str]
    force: bool


def executed_notebook_path(stage: str) -> str:
    """Where a stage's executed notebook goes (project-relative): ``runs/NAME/NAME.ipynb``."""
    return f"{RUNS_DIR}/{stage}/{stage}.ipynb"


class _Planner:
    """Accumulates problems while resolving the user's paths against the project."""

    def __init__(self, project: Project, base_dir: Path) -> None:
        self.project = project
        self.base_dir = base_dir
        self.problems: list[str] = []

    def relative(self, path: str | os.PathLike[str], what: str) -> str | None:
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.base_dir / candidate
        try:
            relative = self.project.relative(candidate)
        except ValidationError:
            self.problems.append(
                f"the {what} {os.fspath(path)!r} is outside the project {self.project.root}; "
                "move it into the project (DVC tracks files inside the repository only)"
            )
            return None
        if relative.split("/")[0] in _RESERVED or relative == ".":
            self.problems.append(f"the {what} {os.fspath(path)!r} is inside {relative.split('/')[0]}/; choose another")
            return None
        return relative


def check_promotion(
    project: Project,
    notebook: str | os.PathLike[str],
    *,
    stage: str | None = None,
    deps: Sequence[str] = (),
    outs: Sequence[str] = (),
    metrics: Sequence[str] = (),
    plots: Sequence[str] = (),
    force: bool = False,
    base_dir: Path | None = None,
    values: Mapping[str, Any] | None = None,
) -> PromotionPlan:
    """Plan the promotion of ``notebook``; relative paths are taken from ``base_dir`` (default: cwd).

    ``values`` sets parameter values in params.yaml (typed, checked against the notebook's
    defaults); without it existing values are kept and new parameters get their defaults.
    """
    planner = _Planner(project, (base_dir or Path.cwd()).resolve())
    problems = planner.problems
    notebook_rel = planner.relative(notebook, "notebook")
    name = stage if stage is not None else Path(notebook).stem
    try:
        check_stage_name(name)
    except ValidationError as exc:
        hint = "" if stage is not None else " (taken from the notebook's file name)"
        problems.append(exc.message.replace("Invalid stage name", "invalid stage name", 1).rstrip(".") + hint)
    report = None
    if notebook_rel is not None:
        try:
            report = check_notebook(project.root / notebook_rel, notebook_rel)
        except (NotebookError, NotFound) as exc:
            problems.append(exc.message)
    if report is not None:
        problems.extend(report.problems)
    specs = list(report.parameters) if report is not None else []

    if not (project.root / ".dvc").is_dir():
        problems.append(
            f"the project {project.root} is not a DVC repository; run `dvc init` (or `workbench init`) there first"
        )
    for name_of_file in ("dvc.yaml", PARAMS_FILE):
        if (project.root / name_of_file).exists() and not (project.root / name_of_file).is_file():
            problems.append(f"{name_of_file} is a folder; promotion writes it as a file, so move the folder away")
    stages = _project_file(problems, "dvc.yaml", lambda: read_stages(project.root)) or {}
    merge = None
    if report is not None and report.ok and not problems:
        merge = _project_file(problems, PARAMS_FILE, lambda: _merge(project, name, specs, values))
    if merge is not None:
        problems.extend(merge.problems)
    chosen = merge.values if merge is not None else {spec.name: spec.default for spec in specs}

    own_outs = [rel for rel in (planner.relative(p, "out") for p in outs) if rel]
    own_metrics = [rel for rel in (planner.relative(p, "metrics file") for p in metrics) if rel]
    own_plots = [rel for rel in (planner.relative(p, "plots file") for p in plots) if rel]
    executed = executed_notebook_path(name)
    produced_here = {*own_outs, executed, *own_metrics, *own_plots}
    produced_elsewhere = {
        path
        for other, spec in stages.items()
        if other != name
        for key in ("outs", "metrics", "plots")
        for path in stage_paths(spec.get(key))
    }
    found = ParameterPaths()
    if notebook_rel is not None:
        found = parameter_paths(
            project,
            notebook_rel,
            chosen,
            produced_here=produced_here,
            produced_elsewhere=produced_elsewhere,
            previous_outs=set(stage_paths((stages.get(name) or {}).get("outs"))),
        )
        problems.extend(found.problems)
    all_outs = [*dict.fromkeys([*own_outs, *found.outs, executed])]
    produced_here |= set(all_outs)
    dep_list: list[str] = [notebook_rel] if notebook_rel else []
    for dep in deps:
        rel = planner.relative(dep, "dep")
        if rel is None:
            continue
        if not (project.root / rel).exists() and rel not in produced_elsewhere:
            problems.append(
                f"the dep {dep!r} does not exist and no stage produces it; create it, or promote the "
                "stage that writes it first"
            )
        dep_list.append(rel)
    dep_list.extend(found.deps)
    dep_list = [*dict.fromkeys(dep_list)]
    for path in sorted(produced_here):
        blocker = _file_in_the_way(project.root, path)
        if blocker is not None:
            problems.append(
                f"{path} cannot be written: {blocker} is a file, not a folder; choose another path or move the file"
            )
    for path in sorted(set(dep_list) & produced_here):
        problems.append(f"{path} is both a dep and an out of this stage; a stage cannot read what it writes")
    for path in sorted(produced_here & produced_elsewhere):
        problems.append(f"{path} is already an out of another stage; each file has one producer")

    cmd = stage_command(notebook_rel or os.fspath(notebook), name)
    existing = stages.get(name)
    expected = _stage_spec(cmd, dep_list, name, all_outs, own_metrics, own_plots)
    stage_changed = _normalised(existing) != _normalised(expected)
    unchanged = not stage_changed and (merge is None or not merge.changed)
    if existing is not None and stage_changed and not force:
        problems.append(
            f"stage {name!r} already exists in dvc.yaml (cmd: {existing.get('cmd')}); pass --force to replace it, "
            "or choose another name with --stage"
        )
    return PromotionPlan(
        notebook=notebook_rel or os.fspath(notebook),
        stage=name,
        parameters=tuple(specs),
        values=chosen,
        cmd=cmd,
        deps=tuple(dep_list),
        outs=tuple(all_outs),
        metrics=tuple(own_metrics),
        plots=tuple(own_plots),
        problems=tuple(problems),
        exists=existing is not None,
        unchanged=unchanged,
        stage_changed=stage_changed,
    )


def _project_file(problems: list[str], name: str, read: Callable[[], _T]) -> _T | None:
    """``read()``, or None with the reason in ``problems`` when the project file cannot be used."""
    try:
        return read()
    except ConfigError as exc:
        problems.append(exc.message)
    except UnicodeDecodeError as exc:
        problems.append(f"{name} is not UTF-8 text ({exc.reason}); fix it or restore it from git")
    except OSError as exc:
        problems.append(f"{name} cannot be read ({exc.strerror or exc}); fix it or restore it from git")
    return None


def _file_in_the_way(root: Path, relative: str) -> str | None:
    """The first folder of ``relative`` that exists as a file (nothing can be written below it)."""
    parts = Path(relative).parts[:-1]
    for depth in range(1, len(parts) + 1):
        candidate = root.joinpath(*parts[:depth])
        if candidate.exists() and not candidate.is_dir():
            return "/".join(parts[:depth])
    return None


def _merge(project: Project, stage: str, specs: list[Any], values: Mapping[str, Any] | None = None) -> ParamsMerge:
    return merge_stage_params(project.root / PARAMS_FILE, stage, specs, values)


def _stage_spec(
    cmd: str, deps: list[str], stage: str, outs: list[str], metrics: list[str], plots: list[str]
) -> dict[str, Any]:
    """The stage as DVC writes it into dvc.yaml, to tell a repeated promotion from a changed one."""
    spec: dict[str, Any] = {"cmd": cmd, "deps": deps, "params": [stage], "outs": outs}
    if metrics:
        spec["metrics"] = [{path: {"cache": False}} for path in metrics]
    if plots:
        spec["plots"] = [{path: {"cache": False}} for path in plots]
    return spec


def _normalised(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """DVC sorts some path lists when it writes dvc.yaml; compare stages as sets of paths."""
    if spec is None:
        return None
    return {
        key: sorted(value, key=repr)
        if key in ("deps", "outs", "metrics", "plots") and isinstance(value, list)
        else value
        for key, value in spec.items()
    }


def _stage_add_args(plan: PromotionPlan, force: bool) -> list[str]:
    args = ["stage", "add", "--name", plan.stage]
    if force:
        args.append("--force")
    for dep in plan.deps:
        args += ["--deps", dep]
    args += ["--params", plan.stage]
    for out in plan.outs:
        args += ["--outs", out]
    for metric in plan.metrics:
        args += ["--metrics-no-cache", metric]
    for plot in plan.plots:
        args += ["--plots-no-cache", plot]
    return [*args, plan.cmd]


def promote(
    workspace: Workspace,
    notebook: str | os.PathLike[str],
    *,
    base_dir: Path | None = None,
    values: Mapping[str, Any] | None = None,
    **options: Unpack[PromotionOptions],
) -> PromotionResult:
    """Promote ``notebook`` to a DVC stage planned by :func:`check_promotion` (which takes the same
    options); raises :class:`NotebookError` listing every problem."""
    project = workspace.project
    plan = check_promotion(project, notebook, base_dir=base_dir, values=values, **options)
    if not plan.ok:
        count = len(plan.problems)
        raise NotebookError(
            f"Cannot promote {plan.notebook}: {count} problem{'s' if count > 1 else ''} to fix first "
            "(nothing was changed).",
            details=list(plan.problems),
        )
    root = project.root
    payload: dict[str, Any] = {
        **{key: value for key, value in plan.to_dict().items() if key not in ("ok", "problems", "parameters")},
        "notebook_sha256": sha256_bytes((root / plan.notebook).read_bytes()),
    }
    if plan.unchanged:
        workspace.record("pipeline.promote", f"stage:{plan.stage}", {**payload, "changed": False})
        return PromotionResult(plan, changed=False)

    merge = _merge(project, plan.stage, list(plan.parameters), values)
    out_folders = {(root / out).parent for out in plan.outs}
    ignore_files = {folder / ".gitignore" for folder in out_folders} | {root / ".gitignore"}
    folders = {folder for out in out_folders for folder in (out, *out.parents) if root in folder.parents}
    snapshot = FileSnapshot([root / PARAMS_FILE, root / "dvc.yaml", *sorted(ignore_files)], sorted(folders))
    try:
        if merge.changed:
            atomic_write_text(root / PARAMS_FILE, merge.text)
        for folder in sorted(out_folders):
            # DVC writes a .gitignore next to each out, which needs the folder.
            folder.mkdir(parents=True, exist_ok=True)
        if plan.stage_changed:  # a new or redefined stage; a parameters-only change leaves dvc.yaml alone
            run_dvc(root, _stage_add_args(plan, force=plan.exists), what=f"add the stage {plan.stage!r}")
        workspace.record(
            "pipeline.promote",
            f"stage:{plan.stage}",
            {
                **payload,
                "changed": True,
                "added_params": list(merge.added),
                "removed_params": list(merge.removed),
                "updated_params": list(merge.updated),
            },
        )
    except OSError as exc:
        snapshot.restore()
        failed = exc.filename2 or exc.filename  # os.replace(temporary, target) names the target second
        where = f" ({failed})" if failed else ""
        raise NotebookError(
            f"Cannot promote {plan.notebook}: a file could not be written{where}: {exc.strerror or exc}. "
            "Nothing was changed; fix the file or folder and promote again."
        ) from exc
    except BaseException:
        snapshot.restore()
        raise
    return PromotionResult(plan, changed=True, added_params=merge.added, removed_params=merge.removed)
