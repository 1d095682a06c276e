"""``workbench keys init`` and ``workbench keys show``: your signing key and whether the roster knows it."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.output import print_json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="create or show your signing key (approvals are signed with it)")
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    init = sub.add_parser("init", help="create a P-256 signing key in your own config folder (never in the project)")
    init.add_argument(
        "--type",
        choices=["p256", "ed25519"],
        default="p256",
        help="p256 (default) signs statements and model artifacts; ed25519 signs statements only",
    )
    init.add_argument("--dir", type=Path, help="the folder for the key (default: $WORKBENCH_KEY_DIR or ~/.config)")
    init.add_argument("--name", default="", help="a comment on the public key, e.g. your e-mail")
    init.add_argument("--force", action="store_true", help="replace an existing key")
    init.set_defaults(handler=_init)

    show = sub.add_parser("show", help="the key you sign with, and who the roster says it is")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)


def _roster_snippet(name: str, line: str) -> str:
    return f'[tool.workbench.people.{name or "YOUR-NAME"}]\nkey = "{line}"\nroles = ["approver"]'


def _init(args: argparse.Namespace) -> int:
    from workbench.project.config import find_project
    from workbench.project.keys import init_key

    project = find_project()
    key = init_key(
        args.dir,
        comment=args.name,
        force=args.force,
        project_root=project.root if project else None,
        key_type=args.type,
    )
    print(f"created {key.path} ({key.fingerprint})")
    print(f"public key: {key.public_line}")
    print("Ask a policy admin to add it to the roster in workbench.toml:")
    print(_roster_snippet(args.name, key.public_line))
    return 0


def _show(args: argparse.Namespace) -> int:
    from workbench.project.config import find_project
    from workbench.project.keys import load_signing_key

    project = find_project()
    key = load_signing_key(project.root if project else None)
    person = project.config.roster.by_fingerprint(key.fingerprint) if project else None
    data = {
        "path": str(key.path),
        "public_key": key.public_line,
        "fingerprint": key.fingerprint,
        "roster_name": person.name if person else None,
        "roles": list(person.roles) if person else [],
        "demo": bool(person and person.demo),
    }
    if args.json:
        print_json(data)
        return 0
    print(f"key:         {key.path}")
    print(f"fingerprint: {key.fingerprint}")
    print(f"public key:  {key.public_line}")
    if person:
        demo = " (a demo key)" if person.demo else ""
        print(f"roster:      {person.name}, roles {', '.join(person.roles) or 'none'}{demo}")
    else:
        print("roster:      not listed; statements you sign count for nothing until a policy admin adds:")
        print(_roster_snippet("", key.public_line))
    return 0
