"""``workbench serve`` (the online decision service), ``serve token ...`` and ``rollout ...``."""

from __future__ import annotations

import argparse
import os

from workbench.cli.output import print_json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the online decision service (the data plane)",
        description="Serve decisions over HTTP for the versions the gate placed on production (and canary during a "
        "rollout), by the batch job's own code; every acknowledged decision is logged. See docs/serving.md.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--models", nargs="+", required=False, metavar="NAME", help="models to serve")
    serve.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024)
    serve.add_argument("--max-rows", type=int, default=10_000)
    serve.set_defaults(handler=_serve)
    sub = serve.add_subparsers(dest="serve_command", metavar="{token}", required=False)
    token = sub.add_parser("token", help="bearer tokens of the service")
    tsub = token.add_subparsers(dest="token_command", metavar="{create,revoke,list}", required=True)
    create = tsub.add_parser("create", help="create a token (printed once; only its hash is stored)")
    create.add_argument("--name", required=True)
    create.add_argument("--models", nargs="+", required=True, metavar="NAME", help="models it may decide with, or *")
    create.set_defaults(handler=_token_create)
    revoke = tsub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_token_revoke)
    tsub.add_parser("list", help="list tokens (never their secrets)").set_defaults(handler=_token_list)

    rollout = subparsers.add_parser("rollout", help="end or compare a shadow or canary rollout (docs/rollout.md)")
    rsub = rollout.add_subparsers(dest="rollout_command", metavar="{promote,stop,report}", required=True)
    promote = rsub.add_parser("promote", help="promote the canary to production through the gate, ending the rollout")
    promote.add_argument("model")
    promote.set_defaults(handler=_rollout_promote)
    stop = rsub.add_parser("stop", help="stop the rollout: the champion decides every row again")
    stop.add_argument("model")
    stop.add_argument("--reason", default="")
    stop.set_defaults(handler=_rollout_stop)
    report = rsub.add_parser("report", help="compare the arms: agreement, score differences, mixes, intervals")
    report.add_argument("model")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=_rollout_report)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from workbench.core.errors import ValidationError
    from workbench.project.workspace import open_workspace

    if not args.models:
        raise ValidationError("Name the models to serve: `workbench serve --models admissions`.")
    workspace = open_workspace()  # finds the project (and migrates the store) before any worker starts
    os.environ["WORKBENCH_SERVE_PROJECT"] = str(workspace.project.root)
    os.environ["WORKBENCH_SERVE_MODELS"] = ",".join(args.models)
    os.environ["WORKBENCH_SERVE_MAX_BODY_BYTES"] = str(args.max_body_bytes)
    os.environ["WORKBENCH_SERVE_MAX_ROWS"] = str(args.max_rows)
    uvicorn.run(
        "workbench.serving.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.tokens import create_token

    token, secret = create_token(open_workspace(), args.name, list(args.models))
    print(secret)
    print(f"token {token.name} for {', '.join(token.models)}: shown once, only its hash is stored.", flush=True)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.tokens import revoke_token

    token = revoke_token(open_workspace(), args.name)
    print(f"token {token.name} revoked.")
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.tokens import list_tokens

    print_json([t.to_dict() for t in list_tokens(open_workspace())])
    return 0


def _rollout_promote(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.rollout_verbs import promote_canary

    move = promote_canary(open_workspace(), args.model)
    print(f"{args.model}@production is now version {move.to_version}; the rollout ended.")
    return 0


def _rollout_stop(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.rollout_verbs import stop_rollout

    version = stop_rollout(open_workspace(), args.model, reason=args.reason)
    print(f"{args.model}: the rollout of version {version} stopped; the champion decides every row.")
    return 0


def _rollout_report(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.serving.report import rollout_report

    report = rollout_report(open_workspace(), args.model)
    if args.json:
        print_json(report)
        return 0
    from workbench.serving.report import format_report

    print(format_report(report))
    return 0
