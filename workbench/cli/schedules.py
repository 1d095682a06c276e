"""``workbench schedule add|list|pause|resume|rm`` and ``workbench scheduler``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    schedule = subparsers.add_parser("schedule", help="cron schedules for pipeline stages")
    sub = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="run a stage on a cron schedule")
    add.add_argument("stage")
    add.add_argument("--cron", required=True, help='five cron fields, e.g. "0 6 * * *"')
    add.add_argument("--tz", default="UTC", help="IANA time zone the cron is read in (default: UTC)")
    add.add_argument(
        "--mode", choices=("run", "repro"), default="run", help="`workbench run STAGE` (default) or `dvc repro STAGE`"
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=_add)

    listing = sub.add_parser("list", help="all schedules with their next slot")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    for action, text in (("pause", "stop starting runs"), ("resume", "start runs again"), ("rm", "delete")):
        parser = sub.add_parser(action, help=f"{text} (by schedule id)")
        parser.add_argument("id", type=int)
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=_change, action=action)

    scheduler = subparsers.add_parser(
        "scheduler",
        help="start due scheduled runs (each slot exactly once, even with several schedulers)",
    )
    scheduler.add_argument("--once", action="store_true", help="check once, run what is due, and exit")
    scheduler.add_argument("--interval", type=float, default=None, metavar="S", help="seconds between checks")
    scheduler.add_argument(
        "--grace", type=float, default=None, metavar="S", help="how late a slot may still start (default 900)"
    )
    scheduler.add_argument("--now", help=argparse.SUPPRESS)
    scheduler.add_argument("--json", action="store_true")
    scheduler.set_defaults(handler=_scheduler)


def _rows(items: list[Any]) -> list[tuple[Any, ...]]:
    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"

    return [
        (
            item.id,
            item.stage,
            item.cron,
            item.tz,
            item.mode,
            "paused" if item.paused else "active",
            when(item.next_slot),
        )
        for item in items
    ]


_HEADERS = ["id", "stage", "cron", "tz", "mode", "state", "next"]


def _add(args: argparse.Namespace) -> int:
    from workbench.pipelines.schedules import add_schedule
    from workbench.project.workspace import open_workspace

    item = add_schedule(open_workspace(), args.stage, args.cron, tz=args.tz, mode=args.mode)
    if args.json:
        print_json(item.to_dict())
    else:
        print(f"Schedule {item.id} added: stage '{item.stage}' at '{item.cron}' ({item.tz}).")
        print("Runs start while `workbench scheduler` (or the Jupyter server's scheduler) is running.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from workbench.pipelines.schedules import list_schedules
    from workbench.project.workspace import open_workspace

    items = list_schedules(open_workspace())
    if args.json:
        print_json([item.to_dict() for item in items])
    else:
        print_table(
            _HEADERS, _rows(items), empty='No schedules. Add one with `workbench schedule add STAGE --cron "..."`.'
        )
    return 0


def _change(args: argparse.Namespace) -> int:
    from workbench.pipelines.schedules import pause_schedule, remove_schedule, resume_schedule
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    if args.action == "rm":
        remove_schedule(workspace, args.id)
        if args.json:
            print_json({"id": args.id, "removed": True})
        else:
            print(f"Schedule {args.id} removed.")
        return 0
    change = pause_schedule if args.action == "pause" else resume_schedule
    item = change(workspace, args.id)
    if args.json:
        print_json(item.to_dict())
    else:
        print(f"Schedule {item.id} {'paused' if item.paused else 'resumed'}.")
    return 0


def _scheduler(args: argparse.Namespace) -> int:
    import asyncio

    from workbench.core.errors import NotebookError, ValidationError
    from workbench.pipelines.scheduler import DEFAULT_GRACE_S, run_due, scheduler_loop
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    grace = args.grace if args.grace is not None else DEFAULT_GRACE_S
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(f"--now {args.now!r} is not an ISO-8601 time.") from exc
    if args.once:
        outcomes = run_due(workspace, now=now, grace_s=grace)
        if args.json:
            print_json([item.to_dict() for item in outcomes])
        else:
            for item in outcomes:
                _say(item)
            if not outcomes:
                print("Nothing due.")
        failed = [item for item in outcomes if item.status == "failed"]
        if failed:
            raise NotebookError(f"{len(failed)} scheduled run(s) failed; see `workbench runs list --status failed`.")
        return 0
    interval = args.interval if args.interval is not None else workspace.project.config.scheduler_interval_s
    print(f"Scheduler checking every {interval:g}s; Ctrl-C to stop.", flush=True)
    asyncio.run(scheduler_loop(workspace, interval_s=interval, grace_s=grace, on_outcome=_say))
    return 0


def _say(item: Any) -> None:
    slot = item.slot.strftime("%Y-%m-%d %H:%M UTC")
    run = f" run {item.run_id[:12]}" if item.run_id else ""
    extra = f" ({item.message})" if item.message else ""
    print(f"schedule {item.schedule_id} '{item.stage}' slot {slot}: {item.status}{run}{extra}", flush=True)
