"""``workbench models ...``: list, show, history, alias, register and promote."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="the model registry")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="registered models with their latest version and aliases")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    show = sub.add_parser("show", help="one version: metrics, checks, approvals, lineage")
    show.add_argument("ref", help="name, name:3, name:latest or name@alias")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    history = sub.add_parser("history", help="who pointed which alias where, and when")
    history.add_argument("name")
    history.add_argument("--alias")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=_history)

    alias = sub.add_parser("alias", help="point an unprotected alias at a version")
    alias.add_argument("name")
    alias.add_argument("alias")
    alias.add_argument("version", type=int)
    alias.add_argument("--reason", default="")
    alias.set_defaults(handler=_alias)

    reg = sub.add_parser("register", help="register a saved XGBoost model (for CI without a notebook)")
    reg.add_argument("path", help="model file saved by XGBoost (.ubj or .json)")
    reg.add_argument("--name", required=True)
    reg.add_argument("--train", required=True, help="training data (Parquet)")
    reg.add_argument("--valid", required=True, help="validation data (Parquet)")
    reg.add_argument("--target", required=True)
    reg.add_argument("--sensitive", nargs="*", default=[])
    reg.add_argument("--keys", nargs="*", default=[], help="row identifier columns carried to scoring output")
    reg.add_argument("--description", default="")
    reg.add_argument("--intended-use", default="")
    reg.add_argument("--contract", help="YAML contract overrides")
    reg.add_argument("--alias", help="also point this (unprotected) alias at the new version")
    reg.add_argument("--explain", choices=["exact", "approx"], default="exact")
    reg.add_argument("--no-evidently", action="store_true", help="skip Evidently's HTML report")
    reg.set_defaults(handler=_register)

    promote = sub.add_parser("promote", help="move a protected alias through the governance gate")
    promote.add_argument("ref")
    promote.add_argument("--alias", default="production")
    promote.add_argument("--reason", default="")
    promote.add_argument("--json", action="store_true")
    promote.set_defaults(handler=_promote)


def _list(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.registry.versions import list_models

    summaries = list_models(open_workspace())
    if args.json:
        print_json([s.to_dict() for s in summaries])
        return 0
    print_table(
        ["model", "latest", "versions", "aliases"],
        [
            (s.name, s.latest_version, s.versions, ", ".join(f"{a}->{v}" for a, v in sorted(s.aliases.items())))
            for s in summaries
        ],
        empty="No models registered yet. Register one with wb.register(...) or `workbench models register`.",
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.registry.versions import get_version

    version = get_version(open_workspace(), args.ref)
    if args.json:
        print_json(version.to_dict())
        return 0
    print(f"{version.ref}  ({version.task}) by {version.author} at {version.created_at:%Y-%m-%d %H:%M}")
    print(f"aliases: {', '.join(version.aliases) or 'none'}")
    if version.description:
        print(f"description: {version.description}")
    print("metrics:")
    for key, value in version.metrics.items():
        if isinstance(value, float):
            print(f"  {key:14} {value:.4f}")
    print("checks:" if version.checks else "checks: none run yet")
    for check in version.checks:
        print(f"  [{check['status']:5}] {check['message']}")
    print("decisions:" if version.decisions else "decisions: none yet")
    for decision in version.decisions:
        print(f"  {decision['decision']:8} {decision['actor']}: {decision['comment']}")
    print("top features:")
    for feature, value in version.top_features[:5]:
        print(f"  {feature:24} {value:.4f}")
    git = version.lineage.get("git", {})
    print(f"lineage: commit {git.get('commit') or 'none'}{' (dirty)' if git.get('dirty') else ''}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace
    from workbench.registry.aliases import alias_history_of

    moves = alias_history_of(open_workspace(), args.name, args.alias)
    if args.json:
        print_json([m.to_dict() for m in moves])
        return 0
    print_table(
        ["time", "alias", "from", "to", "actor", "reason"],
        [(f"{m.time:%Y-%m-%d %H:%M:%S}", m.alias, m.from_version, m.to_version, m.actor, m.reason) for m in moves],
        empty=f"No alias of {args.name} has moved yet.",
    )
    return 0


def _alias(args: argparse.Namespace) -> int:
    from workbench.governance.aliases import set_alias
    from workbench.project.workspace import open_workspace

    move = set_alias(open_workspace(), args.name, args.alias, args.version, reason=args.reason)
    print(f"{move.name}@{move.alias} -> {move.to_version} (was {move.from_version})")
    return 0


def _register(args: argparse.Namespace) -> int:
    import polars as pl

    from workbench.core.errors import ValidationError
    from workbench.core.refs import check_alias
    from workbench.governance.aliases import set_alias
    from workbench.project.workspace import open_workspace
    from workbench.registry.model_io import booster_from_bytes
    from workbench.registry.register import RegisterOptions, register

    if args.alias:
        check_alias(args.alias)  # before registering, so a bad alias name leaves no version behind
    workspace = open_workspace()
    path = workspace.project.resolve_inside(args.path, "model file")
    try:
        booster = booster_from_bytes(path.read_bytes())
    except FileNotFoundError:
        raise ValidationError(f"Model file {args.path} does not exist.") from None
    except Exception as exc:  # xgboost raises its own error type for unreadable files
        raise ValidationError(f"{args.path} is not a model saved by XGBoost ({str(exc).splitlines()[0]}).") from exc
    frames = []
    for label in ("train", "valid"):
        source = workspace.project.resolve_inside(getattr(args, label), f"{label} file")
        try:
            frames.append(pl.read_parquet(source))
        except (FileNotFoundError, pl.exceptions.ComputeError, OSError) as exc:
            raise ValidationError(f"Cannot read {label} data {source} as Parquet ({exc}).") from exc
    version = register(
        workspace,
        booster,
        name=args.name,
        train=frames[0],
        valid=frames[1],
        target=args.target,
        sensitive=args.sensitive,
        keys=args.keys,
        description=args.description,
        intended_use=args.intended_use,
        contract_file=args.contract,
        options=RegisterOptions(explain=args.explain, evidently_report=not args.no_evidently),
    )
    print(f"Registered {version.ref}")
    if args.alias:
        set_alias(workspace, version.name, args.alias, version.version, reason="set at registration")
        print(f"{version.name}@{args.alias} -> {version.version}")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from workbench.governance.gate import promote
    from workbench.project.workspace import open_workspace

    move = promote(open_workspace(), args.ref, args.alias, reason=args.reason)
    if args.json:
        print_json(move.to_dict())
    else:
        print(f"Promoted {move.name}:{move.to_version} to {move.alias} (was {move.from_version}).")
    return 0
