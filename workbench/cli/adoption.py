"""``workbench policy adopt|status`` and ``workbench roster adopt|show``: what governs, adopted by sign-off."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from workbench.cli.output import print_json

if TYPE_CHECKING:
    from workbench.governance.adoption import AdoptionResult

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    policy = subparsers.add_parser("policy", help="adopt a policy file by policy-admin signatures, or show status")
    sub = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    adopt = sub.add_parser(
        "adopt",
        help="sign FILE for adoption with your key; it governs once enough policy admins signed",
        description="Validates FILE and signs its sha256 with your key. When as many policy admins as the policy "
        "in force requires (adoption.required, default 1) have signed the same content, the store adopts it: "
        "from then on the gate applies it, whatever any folder's file says.",
    )
    adopt.add_argument("file")
    adopt.add_argument("--comment", "-m", default="", help="why the policy changes")
    adopt.add_argument("--json", action="store_true")
    adopt.set_defaults(handler=_adopt_policy)
    status = sub.add_parser("status", help="the adopted policy of MODEL and whether the working file differs")
    status.add_argument("model")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_policy_status)

    roster = subparsers.add_parser("roster", help="adopt the project's roster (people, keys, roles), or show it")
    rsub = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    radopt = rsub.add_parser(
        "adopt",
        help="sign the working roster ([tool.workbench.people]) for adoption with your policy-admin key",
        description="The store's first roster is signed by a policy admin it lists; each later revision by the "
        "policy admins of the roster in force. Once a store has a roster, only signatures by its keys count.",
    )
    radopt.add_argument("--comment", "-m", default="", help="why the roster changes")
    radopt.add_argument("--json", action="store_true")
    radopt.set_defaults(handler=_adopt_roster)
    show = rsub.add_parser("show", help="the identity mode, the adopted roster and whether the working one differs")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show_roster)


def _print_result(result: AdoptionResult, as_json: bool) -> int:
    if as_json:
        print_json(result.to_dict())
    else:
        print(result.message)
    return 0


def _adopt_policy(args: argparse.Namespace) -> int:
    from workbench.governance.adoption import adopt_policy
    from workbench.project.workspace import open_workspace

    return _print_result(adopt_policy(open_workspace(), args.file, comment=args.comment), args.json)


def _adopt_roster(args: argparse.Namespace) -> int:
    from workbench.governance.adoption import adopt_roster
    from workbench.project.workspace import open_workspace

    return _print_result(adopt_roster(open_workspace(), comment=args.comment), args.json)


def _policy_status(args: argparse.Namespace) -> int:
    from workbench.governance.adoption import policy_status
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    with workspace.read() as conn:
        status = policy_status(conn, workspace.project, args.model)
    if args.json:
        print_json(status.to_dict())
    else:
        print(f"{args.model}: {status.message}")
    return 0


def _show_roster(args: argparse.Namespace) -> int:
    from workbench.project.adopted import roster_state
    from workbench.project.workspace import open_workspace

    workspace = open_workspace()
    with workspace.read() as conn:
        state = roster_state(conn, workspace.project)
    if args.json:
        print_json(state.to_dict())
        return 0
    print(f"identity mode: {state.mode}")
    if state.mode == "open":
        print("  no roster: names are declared (WORKBENCH_USER, git, the OS login) and prove nothing.")
    elif state.mode == "unadopted":
        print("  the project lists people, but the store has adopted no roster: a policy admin runs")
        print("  `workbench roster adopt`; until then nothing signed counts.")
    else:
        adopted = state.adopted
        assert adopted is not None
        print(f"  adopted roster {adopted.sha256[:12]} (audit event {adopted.seq}, signed by "
              f"{', '.join(adopted.signers)})")  # fmt: skip
        if state.working_differs:
            print("  the working roster differs from it: `workbench roster adopt` proposes the change")
    for person in sorted(state.roster.people.values(), key=lambda p: p.name):
        demo = " (demo key)" if person.demo else ""
        print(f"  {person.name:<20} {', '.join(person.roles) or '-':<32} {person.fingerprint}{demo}")
    return 0
