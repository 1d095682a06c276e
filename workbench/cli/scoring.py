"""``workbench score``, ``jobs list|show|cancel`` and ``monitor`` (``queue`` is in :mod:`.review_queue`).

Thin: each handler parses its arguments, calls one service function of
:mod:`workbench.jobs` and prints the result (``--json`` for scripts). Local paths
given on the command line are relative to the current folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from workbench.cli.outcomes import register_report
from workbench.cli.output import print_json, print_table
from workbench.cli.review_queue import register_queue

__all__ = ["register"]

#: The `score` arguments that are ScoreRequest fields of the same name.
_SCORE_OPTIONS = (
    "device",
    "engine",
    "scheduler",
    "workers",
    "explain",
    "top_k",
    "review_reasons",
    "batch_rows",
    "batch_drift_rows",
    "overwrite",
    "keep",
    "shadow",
    "feature_definition",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser(
        "score",
        help="score a Parquet input with a model version as a tracked job",
        description="Stream INPUT (a Parquet file or folder, local or an fsspec URL) through the version REF "
        "names, route every row (model, rule or human review) and write OUTPUT atomically.",
    )
    score.add_argument("ref", help="model reference: name@alias, name:3 or name")
    score.add_argument("input", help="Parquet file or folder to score")
    score.add_argument("-o", "--output", required=True, help="Parquet file (.parquet) or folder to write")
    # Options left out take ScoreRequest's defaults (workbench.jobs.request), named in the help.
    score.add_argument("--device", help="auto (GPU when usable; the default), cpu, or cuda")
    score.add_argument("--engine", choices=("local", "dask"), help="local (the default) or dask")
    score.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)")
    score.add_argument("--workers", type=int, help="workers of the LocalCluster the dask engine starts")
    score.add_argument("--explain", choices=("none", "approx", "exact"), help="reason codes per row (default none)")
    score.add_argument("--top-k", type=int, help="reasons per row (default 3)")
    score.add_argument(
        "--review-reasons", action="store_true", help="with --explain none: approximate reasons for review rows only"
    )
    score.add_argument("--batch-rows", type=int, metavar="N", help="rows per batch (default 100000)")
    score.add_argument(
        "--batch-drift-rows",
        type=int,
        metavar="N",
        help="rows of each batch checked for drift against the training reference (default 2000; 0: off)",
    )
    score.add_argument(
        "--keep",
        nargs="+",
        action="extend",
        default=[],
        metavar="COL",
        help="input columns to carry through to the output beside the keys (e.g. --keep applicant_id region)",
    )
    score.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    score.add_argument(
        "--feature-definition",
        choices=("current", "recorded"),
        help="for a version with a feature set: compute its features with the project's current definition "
        "(the default; refused if it changed since registration) or the one the version recorded",
    )
    score.add_argument(
        "--shadow",
        metavar="REF",
        help="a challenger version that scores every row beside REF and decides nothing; its scores and would-be "
        "decisions go into the decision log (needs its checks passed; docs/rollout.md)",
    )
    score.add_argument("--detach", action="store_true", help="run in the background; follow with `workbench jobs`")
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.add_argument("--json", action="store_true", help="print the job as JSON")
    score.set_defaults(handler=_score)

    jobs = subparsers.add_parser("jobs", help="scoring jobs: list, show, cancel")
    sub = jobs.add_subparsers(dest="jobs_command", metavar="{list,show,cancel}", required=True)
    listing = sub.add_parser("list", help="jobs, newest first")
    listing.add_argument("--status", choices=("queued", "running", "succeeded", "failed", "cancelled"))
    listing.add_argument("--model")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_jobs_list)
    show = sub.add_parser("show", help="one job: options, progress, stats, drift, error")
    show.add_argument("id", help="job id or a unique prefix")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_jobs_show)
    cancel = sub.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("id", help="job id or a unique prefix")
    cancel.add_argument("--wait", type=float, default=0.0, metavar="S", help="wait up to S seconds for it to stop")
    cancel.add_argument("--json", action="store_true")
    cancel.set_defaults(handler=_jobs_cancel)
    run = sub.add_parser("run")  # used by `score --detach`; not for people
    run.add_argument("id")
    run.set_defaults(handler=_jobs_run)

    register_queue(subparsers)

    monitor = subparsers.add_parser(
        "monitor", help="drift per scoring job and retrain flags; --act runs the policy's retrain stage"
    )
    monitor.add_argument("--model")
    monitor.add_argument(
        "--act",
        action="store_true",
        help="run the retrain stage for versions flagged by drift or an accuracy/fairness SLO breach",
    )
    monitor.add_argument("--limit", type=int, default=20)
    monitor.add_argument("--json", action="store_true")
    monitor.set_defaults(handler=_monitor)
    register_report(monitor)


def _path(value: str) -> str:
    if "://" in value and not value.startswith("file://"):
        return value
    absolute = os.path.abspath(value.removeprefix("file://"))
    return absolute + "/" if value.endswith("/") else absolute


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("scoring", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _summary(job: Any) -> None:
    stats = job.stats
    seconds = stats.get("seconds") or 0
    print(
        f"Job {job.short_id} {job.status}: {job.rows_done:,} rows in {seconds:.2f} s "
        f"({stats.get('rows_per_s', 0):,.0f} rows/s) on {job.device}, engine {job.engine} -> {job.output}"
    )
    decisions = ", ".join(f"{name} {count:,}" for name, count in stats.get("decisions", {}).items())
    print(f"  decisions: {decisions or 'none'}")
    if stats.get("review_items"):
        print(f"  review items: {stats['review_items']:,} (`workbench queue list --job {job.short_id}`)")
    outside = stats.get("outside_training_range") or {}
    if outside:
        rows = stats.get("routes", {}).get("rule:outside_training_range", 0)
        ranked = sorted(outside.items(), key=lambda item: (-item[1], item[0]))
        columns = ", ".join(f"{column} {count:,}" for column, count in ranked[:5])
        more = f" and {len(ranked) - 5} more" if len(ranked) > 5 else ""
        print(f"  outside the training range: {rows:,} rows sent to review; by column: {columns}{more}")
    latency = stats.get("batch_latency_ms", {})
    if latency.get("p50") is not None:
        print(f"  batch latency ms: p50 {latency['p50']:.1f}, p95 {latency['p95']:.1f}, p99 {latency['p99']:.1f}")
    _drift_line(job.drift)
    _batch_drift_line(stats.get("batch_drift"))


def _batch_drift_line(checks: dict[str, Any] | None) -> None:
    if not checks or not (checks.get("checked") or checks.get("failed")):
        return
    noun = "batch" if checks["checked"] == 1 else "batches"
    line = f"  batch drift: {checks['checked']} {noun} checked, largest share {checks.get('max_share') or 0:.2f}"
    if checks.get("over_limit"):
        line += (
            f"; {checks['over_limit']} over the limit {checks['limit']}, the first from input row "
            f"{checks['first_over_limit_row'] + 1:,}"
        )
    if checks.get("failed"):
        line += f"; {checks['failed']} could not be checked"
    print(line)


def _drift_line(drift: dict[str, Any]) -> None:
    from workbench.drift.verdict import recorded_verdict

    verdict = recorded_verdict(drift)
    if verdict is not None:
        print(f"  drift: {verdict.describe()}")
    elif drift.get("error"):
        print(f"  drift: not checked ({drift['error']})")


def _score(args: argparse.Namespace) -> int:
    from workbench.jobs.execute import run_job
    from workbench.jobs.request import ScoreRequest
    from workbench.jobs.score import detach_job
    from workbench.jobs.submit import submit_score_job
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    given = {name: getattr(args, name) for name in _SCORE_OPTIONS}
    request = ScoreRequest.build(
        args.ref, _path(args.input), _path(args.output), **{k: v for k, v in given.items() if v is not None}
    )
    job = submit_score_job(workspace, request)
    for warning in job.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.detach:
        job = detach_job(workspace, job)
        if args.json:
            print_json(job.to_dict())
        else:
            print(f"Job {job.id} started in the background (pid {job.pid}); log: {job.log_path}")
            short = job.short_id
            print(f"Follow it with `workbench jobs show {short}`; stop it with `workbench jobs cancel {short}`.")
        return 0
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated job records itself cancelled, as Ctrl-C does
    with _progress(not args.quiet and not args.json and sys.stderr.isatty()) as progress:
        job = run_job(workspace, job.id, progress=progress)
    if args.json:
        print_json(job.to_dict())
    else:
        _summary(job)
    return 0


def _jobs_list(args: argparse.Namespace) -> int:
    from workbench.jobs.listing import list_jobs
    from workbench.project.workspace import open_workspace

    found = list_jobs(open_workspace(), status=args.status, model=args.model, limit=args.limit)
    if args.json:
        print_json([job.to_dict() for job in found])
        return 0
    rows = [
        [
            job.short_id,
            job.status,
            job.model_ref,
            f"{job.rows_done:,}/{job.rows_total:,}" if job.rows_total is not None else f"{job.rows_done:,}",
            job.device,
            job.engine,
            job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            job.actor,
        ]
        for job in found
    ]
    print_table(["ID", "STATUS", "MODEL", "ROWS", "DEVICE", "ENGINE", "CREATED", "BY"], rows, empty="(no jobs)")
    return 0


def _jobs_show(args: argparse.Namespace) -> int:
    from workbench.jobs.listing import get_job
    from workbench.project.workspace import open_workspace

    job = get_job(open_workspace(), args.id)
    if args.json:
        print_json(job.to_dict())
        return 0
    total = f" of {job.rows_total:,}" if job.rows_total is not None else ""
    print(f"Job {job.id} ({job.kind}) {job.status}")
    print(f"  model: {job.model_ref} (asked for {job.ref})")
    print(f"  input: {job.input}\n  output: {job.output}")
    print(f"  device: {job.device}, engine: {job.engine}, explain: {job.options.get('explain')}")
    print(f"  rows: {job.rows_done:,}{total}")
    print(f"  by {job.actor}, created {job.created_at:%Y-%m-%d %H:%M:%S}, pid {job.pid} on {job.host}")
    for warning in job.warnings:
        print(f"  warning: {warning}")
    if job.status == "succeeded":
        _summary(job)
    if job.error:
        print(f"  error ({job.error_type}): {job.error}")
    if job.log_path:
        print(f"  log: {job.log_path}")
    return 0


def _jobs_cancel(args: argparse.Namespace) -> int:
    from workbench.jobs.cancel import cancel_job
    from workbench.project.workspace import open_workspace

    job = cancel_job(open_workspace(), args.id, wait_s=args.wait)
    if args.json:
        print_json(job.to_dict())
    elif job.status == "running":
        print(f"Asked job {job.short_id} to stop; it stops after its current batch.")
    else:
        print(f"Job {job.short_id} is {job.status}.")
    return 0


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _jobs_run(args: argparse.Namespace) -> int:
    from workbench.jobs.execute import run_job
    from workbench.project.workspace import open_workspace

    signal.signal(signal.SIGTERM, _interrupt)
    job = run_job(open_workspace(), args.id)
    _summary(job)
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from workbench.postmarket.act import monitor_and_act
    from workbench.project.workspace import open_workspace

    report = monitor_and_act(open_workspace(), model=args.model, act=args.act, limit=args.limit)
    if args.json:
        print_json(report.to_dict())
        return 0 if report.ok else 1
    rows = [
        [
            e.job_id[:12],
            f"{e.model}:{e.version}",
            f"{e.rows:,}",
            "-" if e.drift_share is None else f"{e.n_drifted}/{e.n_columns} ({e.drift_share:.2f})",
            "-" if e.limit is None else e.limit,
            "yes" if e.exceeded else "no",
            "yes" if e.retrain_recommended else "no",
            (e.action or {}).get("status", "-"),
        ]
        for e in report.entries
    ]
    print_table(["JOB", "MODEL", "ROWS", "DRIFTED", "LIMIT", "OVER", "RETRAIN", "ACTION"], rows, empty="(no jobs)")
    for action in report.actions:
        if action.skipped:
            print(f"{action.model}:{action.version}: no retrain run ({action.skipped}).")
        else:
            verdict = "succeeded" if action.exit_code == 0 else f"failed (exit {action.exit_code})"
            print(f"{action.model}:{action.version}: ran `{' '.join(action.command)}`: {verdict}.")
    if args.act and not report.actions:
        print("Nothing to retrain.")
    return 0 if report.ok else 1
