"""Adopting a policy or the roster by the sign-off of policy admins, and reading what governs.

``workbench policy adopt FILE`` and ``workbench roster adopt`` (``wb.adopt_policy``) sign the
content's hash with the caller's key. A signature counts when its signer is a ``policy-admin``
of the roster in force (for the store's first roster: of that roster itself). When as many
admins have signed as the rule requires, the content is adopted: from then on the gate reads
it from the store (:func:`governing_policy`), whatever the files in anyone's folder say.

How many signatures a change needs:

* a policy: the ``adoption.required`` of its revision in force (for its first adoption, of the
  file being adopted), default 1;
* the roster: the largest ``adoption.required`` among the adopted policies, default 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import Conflict, NotFound, PermissionDenied, PolicyError, ValidationError
from workbench.core.statements import Statement
from workbench.core.values import plain_fields
from workbench.governance.policy import Policy, find_policy, parse_policy_text
from workbench.project.adopted import (
    ADMIN_ROLE,
    ADOPT,
    SIGN,
    Adoption,
    RosterState,
    adoption_history,
    latest_adoption,
    pending_signers,
    pending_statements,
    roster_state,
    verified_admins,
)
from workbench.project.checkpoints import write_checkpoint
from workbench.project.config import Project
from workbench.project.keys import SigningKey, load_signing_key
from workbench.project.rbac import authorize
from workbench.project.roster import Roster
from workbench.project.workspace import Workspace
from workbench.store.schema import audit_events

__all__ = [
    "AdoptionResult",
    "PolicyStatus",
    "adopt_policy",
    "adopt_roster",
    "adopted_policies",
    "governing_policy",
    "policy_status",
]


@dataclass(frozen=True)
class AdoptionResult:
    kind: str
    subject: str
    sha256: str
    signers: tuple[str, ...]
    required: int
    adopted: bool

    @property
    def message(self) -> str:
        what = self.subject if self.kind == "policy" else "the roster"
        if self.adopted:
            return f"Adopted {what} ({self.sha256[:12]}), signed by {', '.join(self.signers)}."
        return (
            f"Signed {what} ({self.sha256[:12]}): {len(self.signers)} of {self.required} policy-admin signatures; "
            "it governs once the others sign the same file."
        )

    def to_dict(self) -> dict[str, Any]:
        return {**plain_fields(self), "message": self.message}


def _key(workspace: Workspace, key: SigningKey | None, may_load_key: bool) -> SigningKey:
    if key is not None:
        return key
    if not may_load_key:
        raise PermissionDenied(
            "Adopting a policy or the roster is signed with a policy admin's own key, and the server signs nothing "
            "on anyone's behalf. Run `workbench policy adopt FILE` or `workbench roster adopt` in a terminal."
        )
    return load_signing_key(workspace.project.root)


def _sign(
    workspace: Workspace,
    kind: str,
    subject: str,
    content: str,
    sha256: str,
    *,
    judge_for: Any,
    required_for: Any,
    extra: dict[str, Any],
    comment: str,
    key: SigningKey,
) -> AdoptionResult:
    with workspace.read() as conn:
        judge = judge_for(conn)
    # the judge is the roster in force (for the store's first roster: the one being adopted)
    identity = authorize(workspace, "adopt", key=key, roster=judge).identity
    acting = workspace.with_identity(identity)
    with acting.transaction() as tx:
        judge = judge_for(tx.conn)
        previous = latest_adoption(tx.conn, kind, subject)
        if previous is not None and previous[0].sha256 == sha256:
            raise Conflict(f"{subject} {sha256[:12]} is already the adopted revision (audit event {previous[0].seq}).")
        if identity.name in pending_signers(tx.conn, kind, subject, sha256, judge):
            raise Conflict(f"{identity.name} has already signed {subject} {sha256[:12]}; another admin must sign.")
        required = required_for(tx.conn)
        statement = Statement(
            kind=ADOPT[kind],
            subject=subject,
            claims={
                "sha256": sha256,
                "previous": previous[0].sha256 if previous else None,
                "roster": judge.sha256,
                "comment": comment,
            },
            signer=identity.name,
            time=isoformat(utcnow()),
        )
        signed = key.sign(statement).to_dict()
        tx.record(SIGN[kind], subject, {"sha256": sha256, "statements": [signed], "comment": comment, **extra})
        signers = pending_signers(tx.conn, kind, subject, sha256, judge)
        adopted = len(signers) >= required
        if adopted:
            after = previous[0].seq if previous else 0
            statements = [s.to_dict() for s in pending_statements(tx.conn, kind, subject, after)]
            tx.record(
                ADOPT[kind],
                subject,
                {
                    "sha256": sha256,
                    "content": content,
                    "statements": statements,
                    "required": required,
                    "previous": previous[0].sha256 if previous else None,
                    "roster": judge.sha256,
                    **extra,
                },
            )
    if adopted:  # a change of what governs is anchored like a promotion
        with workspace.read() as conn:
            write_checkpoint(workspace.project, conn, key)
    return AdoptionResult(kind, subject, sha256, signers, required, adopted)


def adopt_roster(
    workspace: Workspace, *, comment: str = "", key: SigningKey | None = None, may_load_key: bool = True
) -> AdoptionResult:
    """Sign the project's working roster for adoption; the store's first roster is signed by its own admins."""
    working = workspace.project.config.roster
    if not working.people:
        raise ValidationError(
            "The project lists no people ([tool.workbench.people]); add each person's key and roles first "
            "(`workbench keys show` prints an entry)."
        )
    if not any(ADMIN_ROLE in p.roles for p in working.people.values()):
        raise ValidationError("The roster names no policy-admin; nobody could ever change it. Give someone that role.")

    def judge_for(conn: Connection) -> Roster:
        history = adoption_history(conn)
        return history[-1][1] if history else working

    def required_for(conn: Connection) -> int:
        return max([1, *(p.adoption_required for p in adopted_policies(conn).values())])

    signing_key = _key(workspace, key, may_load_key)
    return _sign(
        workspace,
        "roster",
        "roster",
        working.content(),
        working.sha256,
        judge_for=judge_for,
        required_for=required_for,
        extra={},
        comment=comment,
        key=signing_key,
    )


def adopt_policy(
    workspace: Workspace,
    file: str | Path,
    *,
    comment: str = "",
    key: SigningKey | None = None,
    may_load_key: bool = True,
) -> AdoptionResult:
    """Sign the policy ``file`` for adoption (after validating it); adopted when enough admins signed."""
    project = workspace.project
    path = project.resolve_inside(file, "policy file")
    policy = find_policy(project, "", path)
    content = path.read_bytes().decode("utf-8")
    subject = f"policy:{policy.name}"
    relative = path.relative_to(project.root.resolve()).as_posix()

    def judge_for(conn: Connection) -> Roster:
        governing = roster_state(conn, project).require_governing()
        if governing is None:
            raise PermissionDenied(
                "Policies are adopted by signatures of policy admins, and this project has no roster. List the "
                "people and their keys under [tool.workbench.people] and run `workbench roster adopt` first."
            )
        return governing

    def required_for(conn: Connection) -> int:
        current = adopted_policies(conn).get(policy.name)
        return (current or policy).adoption_required

    signing_key = _key(workspace, key, may_load_key)
    return _sign(
        workspace,
        "policy",
        subject,
        content,
        policy.sha256,
        judge_for=judge_for,
        required_for=required_for,
        extra={"file": relative},
        comment=comment,
        key=signing_key,
    )


def _roster_at(history: list[tuple[Adoption, Roster]], seq: int) -> Roster | None:
    found = None
    for adoption, roster in history:
        if adoption.seq > seq:
            break
        found = roster
    return found


def adopted_policies(conn: Connection) -> dict[str, Policy]:
    """The adopted revision of every policy, by name, each verified against the roster in force when adopted."""
    history = adoption_history(conn)
    subjects = [
        row.subject
        for row in conn.execute(
            sa.select(audit_events.c.subject).where(audit_events.c.action == ADOPT["policy"]).distinct()
        )
    ]
    found: dict[str, Policy] = {}
    for subject in sorted(subjects):
        latest = latest_adoption(conn, "policy", subject)
        if latest is None:
            continue
        adoption, statements = latest
        judge = _roster_at(history, adoption.seq)
        signers = verified_admins(statements, judge, "policy", subject, adoption.sha256) if judge else ()
        if len(signers) < adoption.required:
            raise PermissionDenied(
                f"The adoption of {subject} (audit event {adoption.seq}) has {len(signers)} valid policy-admin "
                f"signature(s) of the {adoption.required} it needs; the store cannot be trusted until it is restored "
                "from a backup matching the last checkpoint."
            )
        # labelled with the project-relative file it was adopted from
        source = Path(adoption.file or f"{subject.removeprefix('policy:')}.yaml")
        policy = parse_policy_text(source, adoption.content.encode("utf-8"))
        found[policy.name] = policy
    return found


def _choose(policies: list[Policy], model: str) -> Policy:
    matches = [p for p in policies if p.governs(model)]
    named = [p for p in matches if p.models]
    chosen = named or matches
    if not chosen:
        raise NotFound(
            f"No adopted policy governs model {model!r}. A policy admin adopts one: "
            "`workbench policy adopt pipelines/<name>/policy.yaml` (docs/governance.md)."
        )
    if len(chosen) > 1:
        raise PolicyError(
            f"Several adopted policies govern model {model!r}: {', '.join(p.name for p in chosen)}. "
            "Adopt a revision of one that no longer lists it."
        )
    return chosen[0]


def governing_policy(
    conn: Connection, project: Project, model: str, path: str | Path | None = None, state: RosterState | None = None
) -> Policy:
    """The policy the gate applies to ``model``: the store's adopted revision in a keyed project
    (``path``, if given, must be that revision's content), the file in an open one."""
    state = state or roster_state(conn, project)
    if state.mode == "open":
        return find_policy(project, model, path)
    state.require_governing()
    policy = _choose(list(adopted_policies(conn).values()), model)
    if path is not None:
        given = find_policy(project, model, path)
        if given.sha256 != policy.sha256:
            raise PolicyError(
                f"{path} is not the adopted revision of policy {policy.name!r} ({policy.sha256[:12]}); the gate "
                f"applies the adopted one. Adopt the file first: `workbench policy adopt {path}`."
            )
    return policy


@dataclass(frozen=True)
class PolicyStatus:
    """How the working policy file for a model compares with the store's adopted revision."""

    mode: str
    adopted: str | None
    file: str | None
    file_sha256: str | None
    differs: bool

    @property
    def message(self) -> str:
        if self.mode == "open":
            return "open project: the policy file governs and approvals are by declared names (no roster)"
        if self.adopted is None:
            return "no adopted policy governs this model; the gate refuses until a policy admin adopts one"
        if self.differs:
            return (
                f"{self.file} differs from the adopted revision {self.adopted[:12]}; the gate applies the adopted "
                f"one until `workbench policy adopt {self.file}` is signed"
            )
        return f"the policy file is the adopted revision {self.adopted[:12]}"

    def to_dict(self) -> dict[str, Any]:
        return {**plain_fields(self), "message": self.message}


def policy_status(conn: Connection, project: Project, model: str) -> PolicyStatus:
    state = roster_state(conn, project)
    try:
        file_policy: Policy | None = find_policy(project, model)
    except (NotFound, PolicyError):
        file_policy = None
    label = str(file_policy.path.relative_to(project.root)) if file_policy else None
    file_sha = file_policy.sha256 if file_policy else None
    if state.mode != "keyed":
        return PolicyStatus(state.mode, None, label, file_sha, False)
    try:
        adopted = _choose(list(adopted_policies(conn).values()), model)
    except (NotFound, PolicyError):
        return PolicyStatus("keyed", None, label, file_sha, file_policy is not None)
    return PolicyStatus("keyed", adopted.sha256, label, file_sha, file_sha is not None and file_sha != adopted.sha256)
