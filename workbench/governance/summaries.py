"""The version list: each version's status chips, one page at a time.

The Models panel shows, per version, its aliases, the checks of its newest evaluation,
the approvals the gate counts, whether anyone rejected it and whether it may be promoted
to an alias. :func:`~workbench.governance.review.review_state` answers that for one
version with several queries; calling it for every version made the list cost seconds
for a few hundred versions. Here a page costs a fixed handful of queries whatever its
length: the page's rows (only the columns the chips need), then the aliases, decisions
and check results of exactly those versions. The gate's own rule
(:func:`~workbench.governance.gate.gate_verdict`) judges each version, so a chip says
what the gate would.

Pages are keyset-paginated, newest first: ``before`` is the last version number of the
previous page, so a version registered while someone pages is neither repeated nor
skipped (it appears on the first page).

Pages are cached by everything they are computed from: the database, the model, the
alias, the page bounds, the policy (path and content hash), the project's roles and the
head of the audit chain (seq and hash). Every change to versions, checks, decisions and
aliases appends an audit event in the same transaction, so the head moves with it; the
head is read in the same read transaction as the page, so a cached page is never older
than its key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workbench.core.errors import NotFound, PermissionDenied, ValidationError
from workbench.core.refs import ModelRef
from workbench.governance.adoption import governing_policy
from workbench.governance.approvals import policy_has_checks
from workbench.governance.gate import artifact_digests, failed_checks, gate_verdict
from workbench.governance.policy import Policy
from workbench.project.adopted import RosterState, roster_state
from workbench.project.config import Project
from workbench.project.workspace import Workspace
from workbench.registry.versions import resolve_in
from workbench.store.schema import aliases, audit_head, check_results, decisions, model_versions

__all__ = ["VersionChips", "VersionPage", "version_page"]

_CACHED_PAGES = 256


@dataclass(frozen=True)
class VersionChips:
    """One row of the version list (the API's ``VersionSummary``)."""

    name: str
    version: int
    ref: str
    author: str
    created_at: str
    aliases: tuple[str, ...]
    checks_total: int
    checks_failed: int
    approvals: int
    approvals_required: int | None
    rejected: bool
    promotable: bool

    def to_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies, which cost more than the page's queries.
        data = {item.name: getattr(self, item.name) for item in fields(self)}
        data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class VersionPage:
    """Versions newest first; ``next_before`` continues after the last one (None: no more)."""

    versions: tuple[VersionChips, ...]
    next_before: int | None


class _PageCache:
    """A small thread-safe LRU of computed pages."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[Any, ...], VersionPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> VersionPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: VersionPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


_cache = _PageCache(_CACHED_PAGES)


def version_page(
    workspace: Workspace, name: str, alias: str = "production", *, limit: int = 50, before: int | None = None
) -> VersionPage:
    """Up to ``limit`` versions of ``name`` below version ``before`` (all when None), newest first,
    with their chips towards ``alias``. Raises NotFound for an unknown model."""
    if limit < 1:
        raise ValidationError("The page size must be at least 1.")
    project = workspace.project
    with workspace.store.read() as conn:
        state = roster_state(conn, project)
        try:
            policy: Policy | None = governing_policy(conn, project, name, state=state)
        except (NotFound, PermissionDenied):
            policy = None
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
        key = (
            project.db_url,
            name,
            alias,
            limit,
            before,
            (str(policy.path), policy.sha256) if policy else None,
            _roles_key(project),
            state.roster.sha256 if state.keyed else state.mode,
            tuple(head) if head else None,
        )
        cached = _cache.get(key)
        if cached is not None:
            return cached
        resolve_in(conn, ModelRef(name))
        page = _read_page(conn, project, name, alias, policy, limit, before, state)
    _cache.put(key, page)
    return page


def _roles_key(project: Project) -> tuple[Any, ...]:
    # The gate counts approvals by the roles the project gives *now*.
    return tuple(sorted((role, tuple(sorted(users))) for role, users in project.config.roles.items()))


def _read_page(
    conn: Connection,
    project: Project,
    name: str,
    alias: str,
    policy: Policy | None,
    limit: int,
    before: int | None,
    state: RosterState,
) -> VersionPage:
    cols = model_versions.c
    query = sa.select(cols.version, cols.author, cols.created_at, cols.artifacts).where(cols.name == name)
    if before is not None:
        query = query.where(cols.version < before)
    rows = conn.execute(query.order_by(cols.version.desc()).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    numbers = [row.version for row in rows]
    if not numbers:
        return VersionPage((), None)

    alias_names: dict[int, list[str]] = defaultdict(list)
    for alias_row in conn.execute(
        sa.select(aliases.c.version, aliases.c.alias).where(aliases.c.name == name, aliases.c.version.in_(numbers))
    ):
        alias_names[alias_row.version].append(alias_row.alias)
    decided: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for decision_row in conn.execute(
        sa.select(
            decisions.c.version,
            decisions.c.actor,
            decisions.c.decision,
            decisions.c.comment,
            decisions.c.digests,
            decisions.c.statement,
        )
        .where(decisions.c.name == name, decisions.c.version.in_(numbers))
        .order_by(decisions.c.id)
    ):
        decided[decision_row.version].append(
            {
                "actor": decision_row.actor,
                "decision": decision_row.decision,
                "comment": decision_row.comment,
                "digests": decision_row.digests or {},
                "statement": decision_row.statement,
            }
        )
    checks: dict[int, list[Any]] = defaultdict(list)
    for check_row in conn.execute(
        sa.select(
            check_results.c.id,
            check_results.c.version,
            check_results.c.policy_hash,
            check_results.c.check,
            check_results.c.status,
            check_results.c.required,
            check_results.c.message,
            check_results.c.evaluated_at,
        )
        .where(check_results.c.name == name, check_results.c.version.in_(numbers))
        .order_by(check_results.c.id.desc())
    ):
        checks[check_row.version].append(check_row)

    gated = policy is not None and alias in policy.protects
    chips = []
    for row in rows:
        ref = f"{name}:{row.version}"
        newest_first = checks[row.version]
        latest = _latest_evaluation(newest_first)
        required = [check for check in latest if check.required]
        version_decisions = decided[row.version]
        approvals, approvals_required, promotable = 0, None, False
        if gated:
            assert policy is not None
            under_policy = [check for check in newest_first if check.policy_hash == policy.sha256]
            current = not policy_has_checks(policy) or bool(under_policy)
            approvals, unmet = gate_verdict(
                ref,
                row.author,
                version_decisions,
                policy,
                project,
                roster=state.roster if state.keyed else None,
                checks_current=current,
                check_failures=failed_checks(under_policy) if current else [],
                digests=artifact_digests(row.artifacts),
            )
            approvals_required, promotable = policy.approvals_required, not unmet
        chips.append(
            VersionChips(
                name=name,
                version=row.version,
                ref=ref,
                author=row.author,
                created_at=row.created_at.isoformat(),
                aliases=tuple(sorted(alias_names[row.version])),
                checks_total=len(required),
                checks_failed=sum(1 for check in required if check.status != "pass"),
                approvals=approvals,
                approvals_required=approvals_required,
                rejected=any(d["decision"] == "reject" for d in version_decisions),
                promotable=promotable,
            )
        )
    return VersionPage(tuple(chips), numbers[-1] if more else None)


def _latest_evaluation(newest_first: list[Any]) -> list[Any]:
    """The check results of the version's most recent evaluation, whatever its policy, in stored order
    (as :attr:`ModelVersion.checks <workbench.registry.model_version.ModelVersion.checks>` holds them)."""
    if not newest_first:
        return []
    newest = newest_first[0].evaluated_at
    return [check for check in reversed(newest_first) if check.evaluated_at == newest]
