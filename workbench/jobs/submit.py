"""Submitting a scoring job: every check that can fail before a row is scored, then a queued job.

:func:`submit_score_job` resolves the reference to the exact version, applies the
approval rule, validates the routing and monitoring policy, opens the input (missing,
not Parquet, columns or dtypes the contract refuses), checks the output (exists
without ``overwrite``), resolves the device, and only then records a ``queued`` job
with everything it needs frozen into its options, so the job scores with the policy
as it was when it was submitted.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from typing import Any

import polars as pl

from workbench.contracts import InputContract, enforce
from workbench.core.clock import utcnow
from workbench.core.errors import ValidationError
from workbench.jobs.approval import check_scoring_approval
from workbench.jobs.drift_check import monitoring_settings
from workbench.jobs.listing import read_job
from workbench.jobs.outputs import check_output
from workbench.jobs.request import ScoreRequest
from workbench.jobs.shadow import shadow_of
from workbench.jobs.values import Job
from workbench.project import paths
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.scoring.device import resolve_device
from workbench.scoring.routing import Routing, parse_routing
from workbench.scoring.sinks import open_output
from workbench.scoring.sources import open_input
from workbench.store.schema import jobs

__all__ = ["OUTPUT_COLUMNS", "check_keep", "resolve_location", "submit_score_job"]

#: Columns every output has besides the keys (and the reason columns with --explain).
OUTPUT_COLUMNS = ("score", "decision", "route", "model", "model_version", "job_id")
_REASON_COLUMN = re.compile(r"reason_\d+(_value)?")


def resolve_location(workspace: Workspace, location: str | os.PathLike[str], what: str) -> str:
    """A path or URL confined to the project (see :func:`workbench.project.paths.resolve_location`)."""
    return paths.resolve_location(workspace.project, location, what)


def check_keep(keep: Sequence[str], columns: Sequence[str], location: str) -> None:
    """Refuse ``--keep`` columns the input lacks or whose names the output already uses."""
    missing = [c for c in keep if c not in columns]
    if missing:
        raise ValidationError(
            f"--keep names column(s) {missing} that the input {location} does not have; "
            f"its columns are: {', '.join(columns)}. Fix the names or leave them out of --keep."
        )
    clashes = [c for c in keep if c in OUTPUT_COLUMNS or _REASON_COLUMN.fullmatch(c)]
    if clashes:
        raise ValidationError(
            f"--keep column(s) {clashes} would clash with the output's own columns ({', '.join(OUTPUT_COLUMNS)} "
            "and reason_N, reason_N_value); rename them in the input or leave them out of --keep."
        )


def _features(
    workspace: Workspace, version: Any, input_location: str, job_id: str, definition: str
) -> dict[str, Any] | None:
    """For a version registered with a feature set: its features computed with the recorded definition."""
    if "feature_set" not in version.artifacts:
        return None
    import json

    from workbench.features.recorded import featurize_input
    from workbench.jobs.values import job_dir

    artifact = version.artifact("feature_set")
    record = json.loads(workspace.artifacts.get_bytes(artifact.digest, name=f"{version.ref} feature set"))
    staged = job_dir(workspace.project, job_id) / "features.parquet"
    return featurize_input(workspace, record, input_location, staged, model=version.ref, definition=definition)


def submit_score_job(workspace: Workspace, request: ScoreRequest) -> Job:
    """Validate a scoring request and record it as a queued job (see :func:`workbench.jobs.score`)."""
    options, ref, engine, device = request.options, request.ref, request.engine, request.options.device
    version = get_version(workspace, ref)
    workspace.require_state(version.name, f"score with {version.ref}")
    if "production" in version.aliases:  # decisions about people: the operator role (rbac)
        workspace = workspace.with_identity(authorize(workspace, "score-production").identity)
    approval = check_scoring_approval(workspace, version)
    source_name = workspace.project.relative(approval.policy.path) if approval.policy else ""
    routing = parse_routing(approval.policy.routing, source_name) if approval.policy else Routing()
    monitoring = monitoring_settings(approval.policy, source_name)

    input_location = resolve_location(workspace, request.input, "input")
    output_location = resolve_location(workspace, request.output, "output")
    job_id = uuid.uuid4().hex
    features = _features(workspace, version, input_location, job_id, request.feature_definition)
    skew = features.pop("skew", None) if features else None  # the skew check's result goes to the stats
    source = open_input(features["computed"] if features else input_location)
    contract = InputContract.from_dict(version.contract)
    empty = pl.from_arrow(source.schema.empty_table())
    assert isinstance(empty, pl.DataFrame)
    enforce(empty, contract, context=f"the input {source.location}")
    routing.check_columns(source.column_names)
    clashes = sorted(set(contract.keys) & set(OUTPUT_COLUMNS))
    if clashes:
        raise ValidationError(
            f"The model's key column(s) {clashes} would clash with the output columns "
            f"{', '.join(OUTPUT_COLUMNS)}; rename them in the training data and register a new version."
        )
    check_keep(options.keep, source.column_names, source.location)
    shadow = shadow_of(workspace, version, request.shadow, approval.policy) if request.shadow else None
    if shadow is not None:  # the challenger's contract judges the input too, before anything is recorded
        shadow_contract = InputContract.from_dict(get_version(workspace, shadow["ref"]).contract)
        enforce(empty, shadow_contract, context=f"the input {source.location} (for the shadow {shadow['ref']})")
    target = open_output(output_location, folder=True if engine == "dask" else None)
    with workspace.read() as conn:
        check_output(workspace.project, conn, target, overwrite=request.overwrite, input=input_location)
    resolved = resolve_device(device) if engine == "local" else device

    warnings: list[str] = []
    if not approval.approved:
        warnings.append(
            f"scoring {version.ref}, which is not approved for scoring: {approval.reason}. "
            "Set require_approved_for_scoring = true in the project to refuse this."
        )
    now = utcnow()
    stored = {
        **options.to_dict(),
        "requested_device": device,
        "scheduler": request.scheduler,
        "workers": request.workers,
        "connect_timeout_s": request.connect_timeout_s,
        "overwrite": request.overwrite,
        "output_folder": target.folder,
        "routing": routing.to_dict(),
        "monitoring": monitoring.to_dict(),
        "policy": (
            {"path": source_name, "sha256": approval.policy.sha256, "name": approval.policy.name}
            if approval.policy
            else None
        ),
        "approved": approval.approved,
        "approval": approval.reason,
        **({"features": features} if features else {}),
        **({"shadow": shadow} if shadow else {}),
    }
    values: dict[str, Any] = {
        "id": job_id,
        "kind": "score",
        "name": version.name,
        "version": version.version,
        "ref": ref,
        # A version with a feature set scores the input with its features computed (features.computed).
        "input": features["computed"] if features else input_location,
        "output": output_location,
        "device": resolved,
        "engine": engine,
        "options": stored,
        "status": "queued",
        "rows_done": 0,
        "rows_total": source.rows,
        "created_at": now,
        "actor": workspace.actor,
        "stats": {"warnings": warnings, "approved": approval.approved, **({"feature_skew": skew} if skew else {})},
    }
    with workspace.transaction() as tx:
        tx.conn.execute(jobs.insert().values(**values))
        tx.record(
            "job.submit",
            f"job:{job_id}",
            {
                "model": version.name,
                "version": version.version,
                "ref": ref,
                "input": input_location,
                "output": output_location,
                "engine": engine,
                "device": resolved,
                "explain": options.explain,
                "keep": list(options.keep),
                "rows_total": source.rows,
                "approved": approval.approved,
                **({"features": features} if features else {}),
                **({"shadow": shadow} if shadow else {}),
            },
        )
    with workspace.read() as conn:
        return read_job(conn, job_id)
