"""The versions a model serves, loaded and verified: the champion, and a challenger during a rollout.

:func:`load_served` reads what the gate decided: the version on ``production`` (the
champion), the policy governing the model (its routing, and its ``rollout:`` section),
and during a canary the version on the protected ``canary`` alias; a shadow's
challenger is the section's reference and needs passed checks only. Each version is
verified as a scoring job verifies it (:func:`workbench.registry.signing.verify_version`:
signature, every artifact's bytes, the contract) before its booster is loaded into a
:class:`~workbench.scoring.batch.BatchScorer`. A version that fails verification is
never served. Each loaded version gets a ``serve`` job row, so its review items belong
to a job like a batch job's do; :func:`end_serve_jobs` ends it when the version is reloaded
or the service stops, and its process id lets :mod:`workbench.jobs.reap` notice a worker
killed outright.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from workbench.contracts import InputContract
from workbench.core.clock import utcnow
from workbench.core.errors import NotFound, PermissionDenied
from workbench.governance.adoption import governing_policy
from workbench.jobs.decision_log import logged_columns
from workbench.jobs.drift_check import reference_bytes
from workbench.processes import JOB_LIFECYCLE, this_host, transition
from workbench.project.workspace import Workspace
from workbench.registry.signing import verify_version
from workbench.registry.versions import get_version_in
from workbench.scoring.batch import BatchScorer
from workbench.scoring.routing import parse_routing
from workbench.scoring.values import ModelBundle, ScoreOptions
from workbench.serving.guards import ArmHealth
from workbench.serving.online_features import OnlineFeatures, recorded_features
from workbench.serving.rollout import RolloutSpec, rollout_state
from workbench.store.schema import aliases, jobs, online_decisions

__all__ = ["Arm", "ServedModel", "beat_serve_jobs", "end_serve_jobs", "load_served", "serving_key"]


@dataclass
class Arm:
    """One loaded version and its scorers (reasons need a second, explaining scorer)."""

    role: str  # champion, canary or shadow
    name: str
    version: int
    job_id: str
    contract: InputContract
    bundle: ModelBundle
    scorer: BatchScorer
    lock: threading.Lock = field(default_factory=threading.Lock)
    health: ArmHealth = field(default_factory=ArmHealth)  # this replica's tries, failures, recent inputs
    _explaining: BatchScorer | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    def scorer_for(self, reasons: bool) -> BatchScorer:
        if not reasons:
            return self.scorer
        if self._explaining is None:
            self._explaining = BatchScorer(
                self.bundle, _options(explain="approx"), device="cpu", total_rows=0, nthread=1
            )
        return self._explaining


@dataclass
class ServedModel:
    """What ``/v1/models/{name}/decide`` scores with, as of the state :attr:`key` describes."""

    name: str
    champion: Arm
    key: tuple[Any, ...]
    rollout: RolloutSpec | None = None
    challenger: Arm | None = None
    policy_hash: str | None = None
    wanted: list[str] = field(default_factory=list)
    features: list[OnlineFeatures] = field(default_factory=list)  # feature sets whose keys are looked up

    @property
    def arms(self) -> list[Arm]:
        return [self.champion, *([self.challenger] if self.challenger else [])]


def _options(explain: str = "none", drift_rows: int = 0) -> ScoreOptions:
    # Online rows are checked by the contract and the training-range guard; drift is judged on the
    # decision log by monitoring, not per request (a 2,000-row sample of one row means nothing).
    # A canary's drift_share guard compares its recent inputs with a drift_rows sample of its reference.
    return ScoreOptions(explain=explain, drift_rows=drift_rows, batch_drift_rows=0, device="cpu")


def serving_key(workspace: Workspace, name: str) -> tuple[Any, ...]:
    """What, when it changes, makes the service reload ``name``: its protected aliases, the governing
    policy's hash and the latest rollout event."""
    with workspace.read() as conn:
        rows = conn.execute(
            sa.select(aliases.c.alias, aliases.c.version)
            .where(aliases.c.name == name, aliases.c.alias.in_(("production", "canary")))
            .order_by(aliases.c.alias)
        ).all()
        try:
            policy_hash = governing_policy(conn, workspace.project, name).sha256
        except NotFound:
            policy_hash = None
        state = rollout_state(conn, name)
    return (tuple((r.alias, int(r.version)) for r in rows), policy_hash, state.seq)


def _serve_job(workspace: Workspace, version: Any, role: str) -> str:
    """A ``serve`` job row for this process and version: the review items of its human routes name it."""
    job_id = uuid.uuid4().hex
    with workspace.transaction() as tx:
        tx.conn.execute(
            jobs.insert().values(
                id=job_id,
                kind="serve",
                name=version.name,
                version=version.version,
                ref=version.ref,
                input="online",
                output="online",
                device="cpu",
                engine="online",
                options={"role": role, "pid": os.getpid()},
                status="running",
                rows_done=0,
                created_at=utcnow(),
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                actor=workspace.actor,
                host=this_host(),
                pid=os.getpid(),  # so a serving process killed outright is reaped like a job's (jobs.reap)
                stats={},
            )
        )
        tx.record("serve.load", f"job:{job_id}", {"model": version.name, "version": version.version, "role": role})
    return job_id


def end_serve_jobs(workspace: Workspace, job_ids: list[str], why: str) -> None:
    """The serve jobs ``job_ids`` end (``succeeded``), each with the decisions it made as ``rows_done``: the
    service stopped, or its versions were reloaded (an alias, the policy or the rollout moved) and new arms,
    with jobs of their own, decide from now on. A job already ended (reaped, or ended by another call) is
    left as it is."""
    if not job_ids:
        return
    with workspace.transaction() as tx:
        for job_id in job_ids:
            job = tx.conn.execute(
                sa.select(jobs.c.name, jobs.c.version, jobs.c.started_at, jobs.c.options).where(jobs.c.id == job_id)
            ).one_or_none()
            if job is None:
                continue
            decided = online_decisions.c
            made = tx.conn.execute(  # the model index's range, then this job's rows
                sa.select(sa.func.count()).where(
                    decided.name == job.name,
                    decided.version == job.version,
                    decided.created_at >= job.started_at,
                    decided.served_by == job_id,
                )
            ).scalar_one()
            ended = transition(
                tx.conn,
                jobs,
                job_id,
                JOB_LIFECYCLE,
                "succeeded",
                only_from=("running",),
                ended_at=utcnow(),
                rows_done=made,
                rows_total=made,
            )
            if ended:
                tx.record(
                    "serve.unload",
                    f"job:{job_id}",
                    {"model": job.name, "version": job.version, "role": job.options.get("role"), "decisions": made,
                     "why": why},
                )  # fmt: skip


def beat_serve_jobs(workspace: Workspace, job_ids: list[str]) -> None:
    """The serve jobs ``job_ids`` show a sign of life (``heartbeat_at``): a job on another host is presumed dead
    when it shows none for :data:`workbench.jobs.reap.STALE_AFTER`."""
    if job_ids:
        with workspace.transaction() as tx:
            tx.conn.execute(
                jobs.update().where(jobs.c.id.in_(job_ids), jobs.c.status == "running").values(heartbeat_at=utcnow())
            )


def _arm(workspace: Workspace, version: Any, role: str, routing: dict[str, Any]) -> Arm:
    workspace.require_state(version.name, f"serve {version.ref}")
    verify_version(workspace, version)  # signature, every artifact's bytes, the contract: fails closed
    model = version.artifact("model")
    job_id = _serve_job(workspace, version, role)
    bundle = ModelBundle(
        name=version.name,
        version=version.version,
        model=workspace.artifacts.get_bytes(model.digest, name=f"{version.ref} model"),
        contract=version.contract,
        routing=routing,
        job_id=job_id,
        monitor=tuple(version.lineage.get("monitor") or ()),
        logged=logged_columns(version.lineage),
        reference=reference_bytes(workspace, version) if role == "canary" else None,
    )
    scorer = BatchScorer(bundle, _options(drift_rows=2_000 if role == "canary" else 0), device="cpu", total_rows=0,
                         nthread=1)  # fmt: skip
    return Arm(role, version.name, version.version, job_id, scorer.contract, bundle, scorer)


def load_served(workspace: Workspace, name: str) -> ServedModel:
    """Load ``name``'s champion (and challenger) as the gate and the governing policy say now."""
    key = serving_key(workspace, name)
    with workspace.read() as conn:
        try:
            champion_version = get_version_in(conn, f"{name}@production")
        except NotFound:
            raise NotFound(
                f"{name} has no version on production, so there is nothing to serve. "
                f"Promote one through the gate (`workbench models promote {name}:N`)."
            ) from None
        try:
            policy = governing_policy(conn, workspace.project, name)
        except NotFound:
            raise PermissionDenied(
                f"No policy governs {name}: the service serves only versions a governed gate placed. "
                "Add a policy for it (docs/governance.md)."
            ) from None
        spec = RolloutSpec.from_policy(policy.rollout)
        state = rollout_state(conn, name)
        challenger_version = None
        if spec is not None and spec.mode == "canary":
            canary = conn.execute(
                sa.select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == "canary")
            ).scalar()
            if canary is not None and not state.ended(int(canary)):
                challenger_version = get_version_in(conn, f"{name}:{canary}")
        elif spec is not None and spec.challenger:
            shadow = get_version_in(conn, spec.challenger)
            if not state.ended(shadow.version):
                challenger_version = shadow
    routing = parse_routing(policy.routing, str(policy.path)).to_dict()
    champion = _arm(workspace, champion_version, "champion", routing)
    challenger = None
    try:
        if challenger_version is not None and spec is not None:
            if spec.mode == "shadow":
                from workbench.serving.rollout import require_checks

                require_checks(workspace, challenger_version, policy)
            challenger = _arm(workspace, challenger_version, spec.mode, routing)
    except BaseException:
        end_serve_jobs(workspace, [champion.job_id], "not loaded: the challenger was refused")
        raise
    served = ServedModel(name, champion, key, spec if challenger else None, challenger, policy.sha256)
    served.wanted = _wanted(served)
    recorded = [recorded_features(workspace, v) for v in (champion_version, challenger_version) if v is not None]
    served.features = list(dict.fromkeys(r for r in recorded if r is not None))
    return served


def _wanted(served: ServedModel) -> list[str]:
    """The input columns any arm reads, in a stable order."""
    names: dict[str, None] = {}
    for arm in served.arms:
        names.update(
            dict.fromkeys(arm.scorer.columns([*arm.contract.names, *arm.scorer.routing.columns, *arm.bundle.logged]))
        )
    return list(names)
