"""``workbench slo check [MODEL]`` and ``workbench metrics --textfile PATH`` (docs/monitoring.md)."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    slo = subparsers.add_parser("slo", help="service levels declared in the policy (monitoring.slos)")
    sub = slo.add_subparsers(dest="slo_command", metavar="{check}", required=True)
    check = sub.add_parser(
        "check",
        help="evaluate the objectives; exit 1 on a breach, each recorded as an slo.breach audit event",
        description="Evaluate the policy's monitoring.slos per version over the policy's window (or --window). "
        "Exit 0 when every objective is met or has no data yet, 1 when one is breached; each breach is an "
        "slo.breach audit event naming the objective, the observed value, the window and the evidence.",
    )
    check.add_argument("model", nargs="?", help="model name (default: every model)")
    check.add_argument("--window", help="7d, 30d (any Nd) or job (default: the policy's monitoring.window, else 30d)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_check)
    metrics = subparsers.add_parser(
        "metrics",
        help="Prometheus metrics (jobs, rows, latency, review queue, drift, SLOs) for node_exporter",
        description="Write the metrics the server serves at /workbench/metrics to PATH for node_exporter's "
        "textfile collector (written beside PATH and renamed, so the collector never reads half a file).",
    )
    metrics.add_argument("--textfile", required=True, metavar="PATH", help="where to write, e.g. workbench.prom")
    metrics.set_defaults(handler=_metrics)


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _check(args: argparse.Namespace) -> int:
    from workbench.postmarket.slo import check_slos
    from workbench.project.workspace import open_workspace

    checks = check_slos(open_workspace(), args.model, window=args.window)
    if args.json:
        print_json([c.to_dict() for c in checks])
        return 0 if all(c.ok for c in checks) else 1
    rows = [
        [f"{s.model}:{s.version}", s.window, s.objective, _value(s.observed), s.status.upper().replace("_", " ")]
        for c in checks
        for s in c.statuses
    ]
    print_table(["VERSION", "WINDOW", "OBJECTIVE", "OBSERVED", "STATUS"], rows, empty="(no objectives to check)")
    for check in checks:
        if not check.statuses:
            print(f"{check.model}: no objectives (declare them under monitoring.slos in its policy).")
        for breach in check.breaches:
            print(f"{check.model}:{breach.version}: {breach.objective} breached ({_value(breach.observed)}).")
    breached = sum(len(c.breaches) for c in checks)
    if breached:
        print(f"{breached} breach(es) recorded in the audit log (action slo.breach).")
    return 0 if breached == 0 else 1


def _metrics(args: argparse.Namespace) -> int:
    from workbench.postmarket.prometheus import write_textfile
    from workbench.project.workspace import open_workspace

    path = write_textfile(open_workspace(), args.textfile)
    print(f"Wrote {path}.")
    return 0
