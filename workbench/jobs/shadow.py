"""A batch job's shadow: a challenger scores every row beside the champion and decides nothing.

``workbench score admissions@production in.parquet -o out.parquet --shadow admissions:3``:
:func:`shadow_of` checks the challenger at submission (the same model, another version,
its checks passed under the governing policy: a shadow needs passed checks, not
approvals; docs/rollout.md) and the job records it in its options. After the champion's
engine has finished, :func:`add_shadow` scores the same input with the challenger under
the job's frozen routing (the same :class:`~workbench.scoring.batch.BatchScorer`, no
review rows, no drift sample, no output) and writes its score, would-be decision, route
and rule into the staged decision log, beside the champion's, matched on the input row
(``shadow_version``, ``shadow_score``, ``shadow_decision``, ``shadow_route``,
``shadow_rule``, after ``rule``). The output, the review items and every decision are
the champion's alone; the log is then stored and recorded as any job's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import ValidationError, WorkbenchError
from workbench.jobs.decision_log import logged_columns
from workbench.jobs.values import Job
from workbench.project.workspace import Workspace
from workbench.registry.signing import verify_version
from workbench.registry.versions import get_version
from workbench.scoring.batch import BatchScorer
from workbench.scoring.sources import open_input
from workbench.scoring.values import ModelBundle, ScoreOptions

__all__ = ["SHADOW_COLUMNS", "add_shadow", "shadow_of"]

SHADOW_COLUMNS = ("shadow_version", "shadow_score", "shadow_decision", "shadow_route", "shadow_rule")


def shadow_of(workspace: Workspace, champion: Any, ref: str, policy: Any) -> dict[str, Any]:
    """The challenger ``ref`` as a job records it, after checking it may shadow ``champion``."""
    from workbench.serving.rollout import require_checks

    challenger = get_version(workspace, ref)
    if challenger.name != champion.name:
        raise ValidationError(
            f"A shadow must be another version of {champion.name}; {challenger.ref} is a version of {challenger.name}."
        )
    if challenger.version == champion.version:
        raise ValidationError(f"{challenger.ref} is the version being scored; shadow it with another version.")
    if policy is None:
        raise ValidationError(f"No policy governs {champion.name}, so no checks say {challenger.ref} may shadow it.")
    require_checks(workspace, challenger, policy)
    return {"ref": challenger.ref, "version": challenger.version}


def _scorer(workspace: Workspace, job: Job, version: Any, source: Any) -> BatchScorer:
    workspace.require_state(version.name, f"shadow with {version.ref}")
    verify_version(workspace, version)  # as the champion: signature, every artifact's bytes, the contract
    model = version.artifact("model")
    bundle = ModelBundle(
        name=version.name,
        version=version.version,
        model=workspace.artifacts.get_bytes(model.digest, name=f"{version.ref} model"),
        contract=version.contract,
        routing=job.options.get("routing") or {},  # the champion's frozen routing: the same rules judge both
        job_id=job.id,
        monitor=tuple(version.lineage.get("monitor") or ()),
        logged=logged_columns(version.lineage),
    )
    options = ScoreOptions(drift_rows=0, batch_drift_rows=0, device="cpu")
    return BatchScorer(bundle, options, device="cpu", total_rows=source.rows, schema=source.schema)


def add_shadow(workspace: Workspace, job: Job, log_path: Path) -> dict[str, Any]:
    """Score the job's input with its shadow and write the shadow's columns into the staged log.

    Returns the summary kept in the job's stats: the challenger, rows, and how often its
    would-be decision agrees with the champion's. A shadow that fails (its verification, a
    row its contract refuses) decides nothing and fails nothing: the summary names the
    error and the log keeps the champion's columns only.
    """
    try:
        return _add_shadow(workspace, job, log_path)
    except WorkbenchError as exc:
        return {**job.options["shadow"], "error": exc.message}


def _add_shadow(workspace: Workspace, job: Job, log_path: Path) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    spec = job.options["shadow"]
    version = get_version(workspace, spec["ref"])
    source = open_input(job.input)
    scorer = _scorer(workspace, job, version, source)
    columns = scorer.columns(source.column_names)
    batch_rows = int(job.options.get("batch_rows") or 100_000)
    parts: list[pa.Table] = []
    for _, first_row, batch, _ in source.batches(columns, batch_rows, scorer.read_dictionary(columns)):
        result = scorer.score(batch, first_row=first_row, context=f"the shadow {version.ref} on {source.location}")
        parts.append(
            pa.table(
                {
                    "shadow_score": result.table.column("score"),
                    "shadow_decision": result.table.column("decision").cast(pa.string()),
                    "shadow_route": result.table.column("route").cast(pa.string()),
                    "shadow_rule": result.log.column("rule").cast(pa.string()),
                }
            )
        )
    shadow = pa.concat_tables(parts) if parts else None
    log = pq.read_table(log_path)
    rows = log.column("row")  # the engines may write batches out of order: match on the input row
    taken = shadow.take(rows) if shadow is not None else None
    names, arrays = [], []
    for name in log.column_names:
        names.append(name)
        arrays.append(log.column(name))
        if name == "rule" and taken is not None:
            names += list(SHADOW_COLUMNS)
            arrays.append(pa.array(np.full(log.num_rows, version.version, dtype=np.int32)))
            arrays += [taken.column(c) for c in SHADOW_COLUMNS[1:]]
    staged = log_path.with_suffix(".shadow.parquet")
    pq.write_table(pa.Table.from_arrays(arrays, names=names), staged)
    os.replace(staged, log_path)
    agree = 0
    if taken is not None and log.num_rows:
        agree = int(pc.sum(pc.equal(log.column("decision").cast(pa.string()), taken.column("shadow_decision"))).as_py())
    return {
        "ref": version.ref,
        "version": version.version,
        "rows": log.num_rows,
        "agreement": round(agree / log.num_rows, 6) if log.num_rows else None,
    }
