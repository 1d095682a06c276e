"""``workbench outcomes add`` and ``monitor report`` (the latter hangs under ``monitor``)."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json, print_table

__all__ = ["register", "register_report"]


def register(subparsers: argparse._SubParsersAction) -> None:
    outcomes = subparsers.add_parser("outcomes", help="ground truth for a model's decisions")
    osub = outcomes.add_subparsers(dest="outcomes_command", metavar="{add}", required=True)
    add = osub.add_parser(
        "add",
        help="record outcomes from a Parquet or CSV file",
        description="Match each row of FILE to MODEL's logged decisions by its keys and record its label. The "
        "same key and label again is a no-op; a changed label is a new, audited revision; keys matching no "
        "decision are reported. Bad input is refused whole, naming rows and columns; nothing is written then.",
    )
    add.add_argument("model", help="model name")
    add.add_argument("file", help="Parquet or CSV file of outcomes")
    add.add_argument("--key", action="append", required=True, metavar="COL", help="key column (repeat for several)")
    add.add_argument("--label", required=True, metavar="COL", help="the outcome column: 0/1 or true/false")
    add.add_argument("--observed-at", metavar="COL", help="when each outcome was observed (ISO date or time)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=_add)


def register_report(monitor: argparse.ArgumentParser) -> None:
    """Add ``monitor report MODEL`` below the ``monitor`` command (which keeps working without it)."""
    sub = monitor.add_subparsers(dest="monitor_command", metavar="{report}", required=False)
    report = sub.add_parser(
        "report",
        help="realized performance, fairness, rates, drift, latency and cost per version and window",
    )
    report.add_argument("model", help="model name")
    report.add_argument("--window", default="30d", help="7d, 30d (trailing days, any Nd) or job (default 30d)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=_report)


def _add(args: argparse.Namespace) -> int:
    from workbench.postmarket.outcomes import add_outcomes
    from workbench.project.workspace import open_workspace

    result = add_outcomes(
        open_workspace(), args.model, args.file, keys=args.key, label=args.label, observed_at=args.observed_at
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    where = f"batch {result.batch} ({(result.digest or '')[:12]})" if result.batch else "nothing changed"
    print(
        f"{result.model}: {result.rows:,} outcome(s): {result.added:,} added, {result.revised:,} revised, "
        f"{result.unchanged:,} unchanged; {where}."
    )
    if result.unmatched:
        print(
            f"{result.unmatched:,} key(s) match no logged decision (kept; a later job may decide them): "
            f"{', '.join(result.unmatched_keys)}{' ...' if result.unmatched > len(result.unmatched_keys) else ''}"
        )
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _report(args: argparse.Namespace) -> int:
    from workbench.postmarket.report import monitoring_report
    from workbench.project.workspace import open_workspace

    report = monitoring_report(open_workspace(), args.model, window=args.window)
    if args.json:
        print_json(report.to_dict())
        return 0
    rows = [
        [
            str(w.version),
            w.window,
            f"{w.rows:,}",
            _pct(w.automation_rate),
            _pct(w.review_rate),
            _pct(w.override_rate),
            _pct(w.outcome_coverage),
            _num(w.auc),
            _num(w.brier),
            _num(w.calibration_error),
            _pct(w.automated_accuracy),
            _num(w.fairness_gap),
            _num(w.drift_share, 2),
            _num(w.p99_batch_latency_ms, 1),
            _num(w.cpu_seconds_per_1k, 3),
            _num(w.staff_hours_saved, 1),
        ]
        for w in report.windows
    ]
    headers = ["VER", "WINDOW", "ROWS", "AUTO", "REVIEW", "OVERRIDE", "OUTCOMES", "AUC", "BRIER", "ECE"]
    headers += ["AUTO ACC", "FAIR GAP", "DRIFT", "P99 MS", "CPU-S/1K", "HOURS SAVED"]
    print_table(headers, rows, empty=f"(no logged decisions of {args.model} in this window)")
    for w in report.windows:
        if w.drifted_columns:
            print(f"{args.model}:{w.version} {w.window}: drifted columns {', '.join(w.drifted_columns)}")
    return 0
