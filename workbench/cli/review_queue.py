"""``workbench queue list|show|decide``: the rows scoring jobs sent to human review.

Thin, like :mod:`workbench.cli.scoring` (which registers these commands): each handler
calls one function of :mod:`workbench.jobs` and prints the result (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.output import print_json, print_table

__all__ = ["register_queue"]


def register_queue(subparsers: argparse._SubParsersAction) -> None:
    """Add ``queue list|show|decide`` to the ``workbench`` parser."""
    queue = subparsers.add_parser("queue", help="the human review queue")
    qsub = queue.add_subparsers(dest="queue_command", metavar="{list,show,decide}", required=True)
    qlist = qsub.add_parser("list", help="review items, oldest first")
    qlist.add_argument("--job", help="only this job's items (id or prefix)")
    qlist.add_argument("--status", default="open", choices=("open", "decided", "superseded", "all"))
    qlist.add_argument("--model", help="only this model's items")
    qlist.add_argument("--version", type=int, help="only items scored by this model version (with --model)")
    qlist.add_argument("--limit", type=int, default=100, help="items to show (default 100); the total is counted")
    qlist.add_argument("--json", action="store_true")
    qlist.set_defaults(handler=_queue_list)
    qshow = qsub.add_parser("show", help="one review item: its scores, reasons and why it is in the queue")
    qshow.add_argument("item", type=int, help="review item id")
    qshow.add_argument("--json", action="store_true")
    qshow.set_defaults(handler=_queue_show)
    decide = qsub.add_parser("decide", help="accept or decline one review item")
    decide.add_argument("item", type=int, help="review item id")
    decide.add_argument("--decision", required=True, choices=("accept", "decline"))
    decide.add_argument("--comment", "-m", default="", help="why (required when overriding the model)")
    decide.add_argument("--json", action="store_true")
    decide.set_defaults(handler=_queue_decide)


def _queue_list(args: argparse.Namespace) -> int:
    from workbench.jobs.review_queue import ReviewFilters, count_review_items, list_review_items
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    status = None if args.status == "all" else args.status
    filters: ReviewFilters = {"job": args.job, "status": status, "model": args.model, "version": args.version}
    items = list_review_items(workspace, **filters, limit=args.limit)
    if args.json:
        print_json([item.to_dict() for item in items])
        return 0
    rows = [
        [
            item.id,
            item.job_id[:12],
            item.row_key,
            f"{item.score:.3f}",
            item.leaning,
            item.rule or "-",
            ", ".join(r["feature"] for r in item.reasons),
            _outside(item) or "-",
            item.status if item.decision is None else f"{item.decision}{' (override)' if item.override else ''}",
        ]
        for item in items
    ]
    print_table(
        ["ITEM", "JOB", "KEY", "SCORE", "LEANING", "RULE", "REASONS", "OUTSIDE TRAINING RANGE", "STATUS"],
        rows,
        empty="(queue empty)",
    )
    total = count_review_items(workspace, **filters)
    what = f"{status} items" if status else "items"
    if total > len(items):
        print(f"Showing {len(items):,} of {total:,} {what}; raise --limit or narrow with --job/--model/--version.")
    elif items:
        print(f"{total:,} {what}.")
    return 0


def _outside(item: Any) -> str:
    """``gpa=100.0 (above 0.96-4.0), region='Territories' (unseen)``: what put a row outside the training range."""
    parts = []
    for entry in item.outside_training_range:
        value = entry.get("value")
        shown = repr(value) if entry.get("why") == "unseen_category" else str(value)
        why = entry.get("why", "")
        if why in ("above", "below"):
            why = f"{why} {entry.get('min')}-{entry.get('max')}"
        elif why == "unseen_category":
            why = "unseen category"
        elif why == "non_finite":
            why = "not finite"
        parts.append(f"{entry.get('column')}={shown} ({why})")
    return ", ".join(parts)


def _queue_show(args: argparse.Namespace) -> int:
    from workbench.jobs.review_queue import get_review_item
    from workbench.project.workspace import open_workspace

    item = get_review_item(open_workspace(), args.item)
    if args.json:
        print_json(item.to_dict())
        return 0
    print(f"Item {item.id}: {item.row_key} (job {item.job_id[:12]}, {item.model}:{item.version}, row {item.row_index})")
    print(f"  score: {item.score:.4f}, the model leans {item.leaning}")
    print(f"  rule: {item.rule or '- (score between the thresholds)'}")
    if item.outside_training_range:
        print(f"  outside the training range: {_outside(item)}")
    if item.reasons:
        reasons = ", ".join(f"{r['feature']} {r['contribution']:+.3f}" for r in item.reasons)
        print(f"  reasons: {reasons}")
    if item.decision is None:
        print(f"  status: {item.status} (`workbench queue decide {item.id} --decision accept|decline`)")
    else:
        override = " (overrides the model)" if item.override else ""
        print(f"  decided: {item.decision} by {item.decided_by}{override}: {item.comment or ''}")
    return 0


def _queue_decide(args: argparse.Namespace) -> int:
    from workbench.jobs.decide import decide_review_item
    from workbench.project.workspace import open_workspace

    item = decide_review_item(open_workspace(), args.item, args.decision, args.comment)
    if args.json:
        print_json(item.to_dict())
    else:
        marker = " (overrides the model)" if item.override else ""
        print(f"Item {item.id} ({item.row_key}): {item.decision} by {item.decided_by}{marker}.")
    return 0
