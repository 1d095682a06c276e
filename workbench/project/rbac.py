"""Who may do what: the one function every face (CLI, kernel API, REST) asks before a governed verb.

Roles come from the store's adopted roster (:mod:`workbench.project.adopted`):

========================  ==============  ==========================================
verb                      role            where
========================  ==============  ==========================================
``register``              author          ``wb.register``, ``workbench``-run notebooks
``approve``               (the policy's)  approvals: the policy names the roles
``adopt``                 policy-admin    ``workbench policy adopt``, ``roster adopt``
``review``                reviewer        review-queue decisions
``score-production``      operator        scoring with ``MODEL@production``
``record-outcomes``       operator        ``workbench outcomes add``, ``wb.outcomes.add``
========================  ==============  ==========================================

In a keyed project the actor is the roster person who owns the signing key
(``WORKBENCH_USER`` changes nothing). A request the Jupyter server authenticated acts as
its login's roster person for verbs that sign nothing (scoring); verbs that sign
(``review``, ``register``, ``approve``, ``adopt``) need the person's own key, which the
server never holds. In an open project (no roster anywhere) names are declared and the
project's ``[tool.workbench.roles]`` apply where they list anyone, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import PermissionDenied
from workbench.core.values import Identity
from workbench.project.adopted import roster_state
from workbench.project.keys import SigningKey, load_signing_key
from workbench.project.roster import Roster
from workbench.project.workspace import Workspace

__all__ = ["VERB_ROLES", "Authorized", "authorize", "establish"]

VERB_ROLES = {
    "register": "author",
    "approve": "",  # the governing policy names the approver roles
    "adopt": "policy-admin",
    "review": "reviewer",
    "score-production": "operator",
    "record-outcomes": "operator",
}
_SIGNED = {"register", "approve", "adopt", "review"}
_WHAT = {
    "register": "register a model version",
    "approve": "decide on a version",
    "adopt": "adopt a policy or the roster",
    "review": "decide review items",
    "score-production": "score with production",
    "record-outcomes": "record outcomes (ground truth)",
}


@dataclass(frozen=True)
class Authorized:
    """The established actor, the key that signs for them (None: nothing to sign) and the mode."""

    identity: Identity
    key: SigningKey | None
    mode: str  # "open" | "keyed"


def establish(
    workspace: Workspace,
    verb: str,
    *,
    key: SigningKey | None = None,
    may_load_key: bool = True,
    roster: Roster | None = None,
) -> Authorized:
    """Who is acting, established as the mode allows (no role check): the owner of the key in a keyed
    project, the declared name in an open one. ``roster`` overrides the store's (a first roster)."""
    if roster is None:
        with workspace.read() as conn:
            roster = roster_state(conn, workspace.project).require_governing()
    if roster is None:
        return Authorized(workspace.identity, None, "open")
    if key is None and verb not in _SIGNED and workspace.identity.source == "server":
        person = roster.people.get(workspace.identity.name)
        if person is None:
            raise PermissionDenied(
                f"{workspace.identity.name} is not in the store's adopted roster, so they may not {_WHAT[verb]}."
            )
        return Authorized(Identity(person.name, "server", person.roles), None, "keyed")
    if key is None:
        if not may_load_key:
            raise PermissionDenied(
                f"In this project each person signs with their own key to {_WHAT[verb]}, and the server signs "
                "nothing on anyone's behalf. Act from your kernel (the `wb` API or its widgets, or the panels, "
                "which ask a kernel) or a terminal (`workbench ...`), where your key is.",
                details={"signing": "kernel"},
            )
        key = load_signing_key(workspace.project.root)
    person = roster.by_fingerprint(key.fingerprint)
    if person is None:
        raise PermissionDenied(
            f"Your key {key.fingerprint} ({key.path}) is not in the store's adopted roster, so it cannot "
            f"{_WHAT[verb]}. Ask a policy admin to add it under [tool.workbench.people] (`workbench keys show` "
            "prints the entry) and adopt the roster (`workbench roster adopt`)."
        )
    return Authorized(Identity(person.name, "key", person.roles), key, "keyed")


def authorize(
    workspace: Workspace,
    verb: str,
    *,
    key: SigningKey | None = None,
    may_load_key: bool = True,
    roster: Roster | None = None,
) -> Authorized:
    """:func:`establish` the actor, then require the verb's role (see the table above)."""
    if verb not in VERB_ROLES:
        raise ValueError(f"unknown verb {verb!r}")
    acting = establish(workspace, verb, key=key, may_load_key=may_load_key, roster=roster)
    role = VERB_ROLES[verb]
    if not role:
        return acting
    if acting.mode == "open":
        listed = workspace.project.config.roles.get(role, ())
        if listed and acting.identity.name not in listed:
            raise PermissionDenied(
                f"{acting.identity.name} may not {_WHAT[verb]}: this project gives the `{role}` role to "
                f"{', '.join(listed)} ([tool.workbench.roles])."
            )
        return acting
    if role not in acting.identity.roles:
        raise PermissionDenied(
            f"{acting.identity.name} may not {_WHAT[verb]}: that needs the `{role}` role in the adopted roster, "
            f"and they have {', '.join(acting.identity.roles) or 'none'}. A policy admin grants it by adopting a "
            "revised roster."
        )
    return acting
