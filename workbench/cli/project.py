"""``workbench init``, ``workbench whoami`` and ``workbench info``."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser("init", help="make a folder a workbench project")
    init.add_argument("path", nargs="?", default=None, help="project folder (default: current folder)")
    init.add_argument("--no-git", action="store_true", help="do not run `git init`")
    init.add_argument("--no-dvc", action="store_true", help="do not run `dvc init`")
    init.add_argument(
        "--new-store",
        action="store_true",
        help="start a new, empty database on purpose where the checkpoints record an older one (signed)",
    )
    init.set_defaults(handler=_init)

    whoami = subparsers.add_parser("whoami", help="show the acting identity and its roles")
    whoami.add_argument("--json", action="store_true")
    whoami.set_defaults(handler=_whoami)

    info = subparsers.add_parser("info", help="show the project, database and artifact store in use")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=_info)


def _init(args: argparse.Namespace) -> int:
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace

    result = init_project(args.path, git=not args.no_git, dvc=not args.no_dvc)
    if args.new_store:
        from workbench.project.checkpoints import NEW_STORE, write_checkpoint
        from workbench.project.keys import load_signing_key

        key = load_signing_key(result.project.root)
        write_checkpoint(result.project, None, key, kind=NEW_STORE, note="workbench init --new-store")
        print("  signed the start of a new store into audit/checkpoints.jsonl")
    workspace = open_workspace(result.project.root)
    if result.created:
        workspace.record("project.init", f"project:{result.project.root.name}", {"created": result.created})
    print(f"Initialised workbench project in {result.project.root}")
    for item in result.created:
        print(f"  created {item}")
    print(f"  database: {workspace.store.display_url}")
    return 0


def _whoami(args: argparse.Namespace) -> int:
    from workbench.project.config import find_project
    from workbench.project.identity import current_identity

    identity = current_identity(find_project())
    if args.json:
        print_json({"name": identity.name, "source": identity.source, "roles": list(identity.roles)})
    else:
        roles = ", ".join(identity.roles) or "no roles"
        print(f"{identity.name} (from {identity.source}; {roles})")
    return 0


def _info(args: argparse.Namespace) -> int:
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    data = {
        "root": str(workspace.project.root),
        "config": str(workspace.project.config_file) if workspace.project.config_file else None,
        "database": workspace.store.display_url,
        "backend": workspace.store.backend,
        "artifacts": workspace.project.artifacts_url,
        "user": workspace.actor,
    }
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key:10} {value}")
    return 0
