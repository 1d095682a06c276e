"""``workbench promote``, ``workbench run`` and ``workbench runs list|show``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    promote = subparsers.add_parser(
        "promote",
        help="make a parameterized notebook a DVC pipeline stage",
        description="Check a notebook, write its parameters to params.yaml and add a DVC stage that runs it "
        "with `workbench run`. Paths are relative to the current folder. Repeat --deps/--outs/--metrics/--plots "
        "for several paths.",
    )
    promote.add_argument("notebook", help="the .ipynb file")
    promote.add_argument("--stage", help="stage name (default: the notebook's file name)")
    promote.add_argument("--deps", action="append", default=[], metavar="P", help="an input the notebook reads")
    promote.add_argument("--outs", action="append", default=[], metavar="P", help="an output the notebook writes")
    promote.add_argument("--metrics", action="append", default=[], metavar="P", help="a metrics file it writes")
    promote.add_argument("--plots", action="append", default=[], metavar="P", help="a plots file it writes")
    promote.add_argument("--force", action="store_true", help="replace an existing stage of that name")
    promote.add_argument("--check", action="store_true", help="only run the checks and show the plan")
    promote.add_argument("--json", action="store_true")
    promote.set_defaults(handler=_promote)

    run = subparsers.add_parser(
        "run",
        help="execute a notebook or a promoted stage with papermill and record the run",
        description="Parameters come from params.yaml for the stage, overridden by -p key=value.",
    )
    run.add_argument("target", metavar="NOTEBOOK|STAGE", help="a .ipynb path or the name of a promoted stage")
    run.add_argument("--stage", help="the stage this notebook runs as (DVC passes it)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", help="override a parameter")
    run.add_argument("--timeout", type=float, metavar="S", help="stop the run after S seconds")
    run.add_argument("--kernel", help="Jupyter kernel name (default: python3, or WORKBENCH_KERNEL)")
    run.add_argument("--quiet", action="store_true", help="no per-cell progress")
    run.add_argument("--json", action="store_true", help="print the run record as JSON")
    run.add_argument("--run-id", help=argparse.SUPPRESS)
    run.add_argument("--trigger", help=argparse.SUPPRESS)
    run.set_defaults(handler=_run)

    runs = subparsers.add_parser("runs", help="the history of notebook runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="runs, newest first")
    listing.add_argument("--stage")
    listing.add_argument("--status")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_runs_list)
    show = sub.add_parser("show", help="one run: params, cells, error")
    show.add_argument("id", help="run id or a unique prefix")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_runs_show)


def _promote(args: argparse.Namespace) -> int:
    from workbench.core.errors import NotebookError
    from workbench.pipelines.promote import PromotionOptions, check_promotion, promote
    from workbench.project.workspace import open_workspace

    options: PromotionOptions = {
        "stage": args.stage,
        "deps": args.deps,
        "outs": args.outs,
        "metrics": args.metrics,
        "plots": args.plots,
        "force": args.force,
    }
    workspace = open_workspace()
    if args.check:
        plan = check_promotion(workspace.project, args.notebook, **options)
        if args.json:
            print_json(plan.to_dict())
        else:
            _print_plan(plan.to_dict())
        if not plan.ok:
            raise NotebookError(f"{plan.notebook} cannot be promoted yet.", details=list(plan.problems))
        return 0
    result = promote(workspace, args.notebook, **options)
    if args.json:
        print_json(result.to_dict())
        return 0
    plan = result.plan
    if result.changed:
        print(f"Promoted {plan.notebook} to stage '{plan.stage}'.")
        _print_plan(plan.to_dict())
        print(f"Next: `dvc repro {plan.stage}`, then commit dvc.yaml, params.yaml and dvc.lock.")
    else:
        print(f"Stage '{plan.stage}' is already up to date with {plan.notebook}; nothing changed.")
    return 0


def _print_plan(plan: dict[str, Any]) -> None:
    print(f"  stage   {plan['stage']}")
    print(f"  cmd     {plan['cmd']}")
    params = ", ".join(
        f"{spec['name']}: {spec['type']} = {plan['values'].get(spec['name'])!r}" for spec in plan["parameters"]
    )
    print(f"  params  {params or '(none)'}")
    for key in ("deps", "outs", "metrics", "plots"):
        if plan[key]:
            print(f"  {key:7} {', '.join(plan[key])}")
    for problem in plan["problems"]:
        print(f"  problem: {problem}")


def _parse_params(items: Sequence[str]) -> dict[str, str]:
    from workbench.core.errors import ParameterError

    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"-p {item!r}: write parameters as -p key=value (e.g. -p n_estimators=200).")
        values[key.strip()] = value
    return values


class _Progress:
    """Per-cell progress on stderr: a live line on a terminal, one line per cell elsewhere."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, event: Any) -> None:
        where = "parameters" if event.index is None else f"cell {event.index + 1}"
        head = f"[{event.position}/{event.total}] {where}"
        if event.kind == "start":
            if self.live:
                self.stream.write(f"\r\033[K{head}: {event.summary} ...")
                self.stream.flush()
            return
        mark = "ok" if event.ok else "FAILED"
        prefix = "\r\033[K" if self.live else ""
        self.stream.write(f"{prefix}{head} {mark} {event.duration_s:.2f}s  {event.summary}\n")
        self.stream.flush()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (dvc repro interrupted, a scheduler stopping) ends the run as cancelled, not silently."""

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    from workbench.pipelines.run import run_notebook
    from workbench.project.config import load_project

    # The project, not a workspace: the database is opened while the kernel starts.
    project = load_project()
    progress = None if args.quiet or args.json else _Progress(sys.stderr)
    with _sigterm_as_interrupt():
        record = run_notebook(
            project,
            args.target,
            stage=args.stage,
            params=_parse_params(args.param),
            timeout_s=args.timeout,
            kernel_name=args.kernel,
            trigger=args.trigger,
            run_id=args.run_id,
            on_cell=progress,
        )
    if args.json:
        print_json(record.to_dict())
    else:
        print(
            f"Run {record.id[:12]} succeeded in {record.duration_s or 0:.1f}s; executed notebook: {record.output_path}"
        )
    return 0


def _runs_list(args: argparse.Namespace) -> int:
    from workbench.pipelines.runs import list_runs
    from workbench.project.workspace import open_workspace

    records = list_runs(open_workspace(), stage=args.stage, status=args.status, limit=args.limit)
    if args.json:
        print_json([record.to_dict() for record in records])
        return 0
    print_table(
        ["id", "stage", "status", "started", "duration", "trigger", "notebook"],
        [
            (
                record.id[:12],
                record.stage or "-",
                record.status,
                record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                f"{record.duration_s:.1f}s" if record.duration_s is not None else "-",
                record.trigger or "-",
                record.notebook,
            )
            for record in records
        ],
        empty="No runs yet. Start one with `workbench run NOTEBOOK|STAGE`.",
    )
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    from workbench.pipelines.runs import get_run
    from workbench.project.workspace import open_workspace

    record = get_run(open_workspace(), args.id)
    if args.json:
        print_json(record.to_dict())
        return 0
    data = record.to_dict()
    for key in ("id", "stage", "notebook", "status", "actor", "started_at", "ended_at", "duration_s", "trigger"):
        print(f"{key:13} {data[key] if data[key] is not None else '-'}")
    print(f"{'git':13} {record.git_commit or '-'}{' (dirty)' if record.git_dirty else ''}")
    print(f"{'params':13} {data['params']}")
    print(f"{'output':13} {record.output_path or '-'}")
    print(f"{'log':13} {record.log_path or '-'}")
    if record.error_name:
        cell = f"cell {record.error_cell + 1}" if record.error_cell is not None else "no cell"
        print(f"{'error':13} {record.error_name} in {cell}: {record.error_message}")
    if record.cells:
        print()
        print_table(
            ["cell", "seconds", "status"],
            [
                ("parameters" if cell.index is None else cell.index + 1, f"{cell.duration_s:.3f}", cell.status)
                for cell in record.cells
            ],
        )
    return 0
