"""``workbench check``, ``approve``, ``reject`` and ``report``."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json
from workbench.core.errors import PromotionBlocked

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser("check", help="evaluate a version against its policy; exit 0 only if all pass")
    check.add_argument("ref")
    check.add_argument("--policy", help="policy file (default: the one that governs the model)")
    check.add_argument("--json", action="store_true")
    check.add_argument("--output", "-o", help="also write the JSON result to this file (e.g. a DVC metrics file)")
    check.set_defaults(handler=_check)

    for verb, helptext in (
        ("approve", "approve a version (four-eyes)"),
        ("reject", "reject a version (needs --comment)"),
    ):
        parser = subparsers.add_parser(verb, help=helptext)
        parser.add_argument("ref")
        parser.add_argument("--comment", "-m", default="", help="why (required for a rejection)")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=_decide, decision=verb)

    gate = subparsers.add_parser(
        "gate",
        help="show what stands between a version and a protected alias; exit 0 only if promotion is allowed",
        description="Prints the review state. Exits 0 when the promotion would pass the gate and "
        f"{PromotionBlocked.exit_code} (the exit code of a blocked promotion) when a condition is unmet, so scripts "
        "and DVC stages can stop on it.",
    )
    gate.add_argument("ref")
    gate.add_argument("--alias", default="production")
    gate.add_argument("--json", action="store_true")
    gate.set_defaults(handler=_gate)

    report = subparsers.add_parser("report", help="write the self-contained HTML audit report of a version")
    report.add_argument("ref")
    report.add_argument("-o", "--output", required=True, help="HTML file to write")
    report.set_defaults(handler=_report)


def _check(args: argparse.Namespace) -> int:
    from workbench.governance.adoption import policy_status
    from workbench.governance.checks import run_checks
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    report = run_checks(workspace, args.ref, policy_path=args.policy)
    if args.output:
        from workbench.cli.output import write_json_atomic

        write_json_atomic(workspace.project.resolve_inside(args.output, "output file"), report.to_dict())
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"{report.ref} against {report.policy_path} ({report.policy_hash[:12]}):")
        for result in report.results:
            print(f"  [{result.status.upper():5}] {result.check}: {result.message}")
        with workspace.read() as conn:
            note = policy_status(conn, workspace.project, report.ref.partition(":")[0])
        if note.mode != "keyed" or note.differs:
            print(f"  note: {note.message}")
        print(
            "All required checks passed."
            if report.passed
            else f"{len(report.failures)} required check(s) did not pass."
        )
    return 0 if report.passed else PromotionBlocked.exit_code


def _decide(args: argparse.Namespace) -> int:
    from workbench.governance.approvals import decide
    from workbench.project.workspace import open_workspace

    decision = decide(open_workspace(), args.ref, args.decision, args.comment)
    if args.json:
        print_json(decision.to_dict())
    else:
        print(f"{decision.actor} {decision.decision}d {decision.ref}.")
    return 0


def _gate(args: argparse.Namespace) -> int:
    from workbench.governance.gate import gate_status
    from workbench.project.workspace import open_workspace

    status = gate_status(open_workspace(), args.ref, args.alias)
    if args.json:
        print_json(status.to_dict())
    else:
        print(f"{status.ref} -> {status.alias}: approvals {status.approvals}/{status.approvals_required}")
        for item in status.unmet:
            print(f"  - {item}")
        for note in status.notes:
            print(f"  note: {note}")
        print("Promotion allowed." if status.allowed else "Promotion blocked.")
    # The state is printed either way; the exit code is what a script or a DVC stage acts on.
    return 0 if status.allowed else PromotionBlocked.exit_code


def _report(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.reports.audit_report import write_report

    workspace = open_workspace()
    path = write_report(workspace, args.ref, workspace.project.resolve_inside(args.output, "report path"))
    print(f"Wrote {path}")
    return 0
