"""``workbench audit log`` and ``workbench audit verify``."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="read and verify the hash-chained audit log")
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    log = sub.add_parser("log", help="list audit events, oldest first")
    log.add_argument("--json", action="store_true")
    log.add_argument("--subject", help="only events whose subject starts with this")
    log.add_argument("--action", help="only events whose action starts with this")
    log.add_argument("--actor", help="only events by this user")
    log.add_argument("--limit", type=int, help="at most this many (newest)")
    log.set_defaults(handler=_log)

    verify = sub.add_parser(
        "verify", help="recompute the hash chain and check the governed rows against it; exit 0 only if both hold"
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_verify)

    checkpoint = sub.add_parser(
        "checkpoint", help="sign the chain's head with your key into audit/checkpoints.jsonl (commit that file)"
    )
    checkpoint.set_defaults(handler=_checkpoint)


def _log(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.store.audit import list_events

    workspace = open_workspace()
    with workspace.read() as conn:
        events = list_events(
            conn,
            subject_prefix=args.subject,
            action=args.action,
            actor=args.actor,
            limit=args.limit,
            newest_first=args.limit is not None,
        )
    if args.limit is not None:
        events.reverse()
    if args.json:
        print_json(
            [
                {
                    "seq": e.seq,
                    "time": e.time,
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "payload": e.payload,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in events
            ]
        )
    else:
        print_table(
            ["seq", "time", "actor", "action", "subject", "hash"],
            [(e.seq, e.time.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.subject, e.hash[:12]) for e in events],
            empty="No audit events yet.",
        )
    return 0


def _verify(args: argparse.Namespace) -> int:
    from workbench.core.errors import AuditChainBroken
    from workbench.project.checkpoints import verify_checkpoints
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    report = workspace.verify_audit()
    state = workspace.verify_state()
    with workspace.read() as conn:
        anchors = verify_checkpoints(workspace.project, conn)
    if args.json:
        print_json({**report.to_dict(), "state": state.to_dict(), "checkpoints": anchors.to_dict()})
    else:
        print(report.message)
        for warning in report.warnings:
            print(f"warning: {warning}")
        print(state.message if state.ok else f"state: {len(state.problems)} row(s) differ from the audit chain:")
        for problem in state.problems:
            print(f"  - {problem}")
        print(anchors.message if anchors.ok else "checkpoints: the database does not match the signed checkpoints:")
        for anchor_problem in anchors.problems:
            print(f"  - {anchor_problem}")
    return 0 if report.ok and state.ok and anchors.ok else AuditChainBroken.exit_code


def _checkpoint(args: argparse.Namespace) -> int:
    from workbench.project.checkpoints import CHECKPOINTS_FILE, write_checkpoint
    from workbench.project.keys import load_signing_key
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    key = load_signing_key(workspace.project.root)
    report = workspace.verify_audit()
    if not report.ok:
        from workbench.core.errors import AuditChainBroken

        raise AuditChainBroken(f"Refusing to sign a checkpoint over a broken chain: {report.message}")
    with workspace.read() as conn:
        signed = write_checkpoint(workspace.project, conn, key)
    claims = signed.statement.claims
    print(f"signed checkpoint of seq {claims['seq']} ({str(claims['hash'])[:12]}) as {signed.statement.signer}")
    print(f"commit {CHECKPOINTS_FILE} to anchor it in the repository's history")
    return 0
