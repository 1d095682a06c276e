"""Drift per job: the scored input's sample against the version's training reference.

The engines keep a uniform sample of the input's features (``drift_rows``, 20,000 by
default); :func:`job_drift` runs the fast drift engine on it against the version's
``reference`` artifact (a seeded sample of it of the same size at most) and judges the
result against the policy's monitoring limit. Above 1,000 rows the engine's tests are
distances (Wasserstein, Jensen-Shannon), which a sample of this size estimates well,
and the check costs a fixed fraction of a second however large the job.
:func:`monitoring_settings` reads the policy's ``monitoring`` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.core.errors import WorkbenchError
from workbench.core.values import plain_fields
from workbench.governance.policy import Policy
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion

__all__ = ["MonitoringSettings", "job_drift", "monitoring_settings", "reference_bytes"]


@dataclass(frozen=True)
class MonitoringSettings:
    """``drift_share_limit``: flag the version when a job's share of drifted columns exceeds it.
    ``retrain_stage``/``retrain_mode``: what ``workbench monitor --act`` runs then."""

    drift_share_limit: float | None = None
    retrain_stage: str | None = None
    retrain_mode: str = "run"

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MonitoringSettings:
        data = data or {}
        return cls(data.get("drift_share_limit"), data.get("retrain_stage"), data.get("retrain_mode") or "run")


def monitoring_settings(policy: Policy | None, source: str = "") -> MonitoringSettings:
    """The policy's ``monitoring`` section (its shape is checked when the policy is read); without
    a ``drift_share_limit``, the drift check's ``max_share``. ``source`` is kept for callers' messages."""
    if policy is None:
        return MonitoringSettings()
    node = policy.monitoring or {}
    limit = node.get("drift_share_limit", policy.drift_max_share)
    return MonitoringSettings(
        None if limit is None else float(limit), node.get("retrain_stage"), node.get("retrain_mode", "run")
    )


def job_drift(
    workspace: Workspace,
    version: ModelVersion,
    sample: pl.DataFrame | None,
    settings: MonitoringSettings,
    *,
    reference_rows: int = 20_000,
    baseline: Any = None,
    reference: bytes | None = None,
) -> dict[str, Any]:
    """The drift record stored with a job: the verdict, summary, per-column results and limit
    (:func:`~workbench.drift.job_drift_record`, the one rule every face reads back).

    The sample is compared with the same seeded sample of the version's reference (at
    most ``reference_rows`` rows) that every batch was checked against. A drift check
    that cannot run (no reference, a column without usable values) is recorded with its
    reason; it never fails the job that scored the data. ``baseline`` is that reference
    already prepared (:meth:`~workbench.drift.DriftBaseline.from_reference`), when the engine has it;
    ``reference`` its artifact's bytes, already read and verified.
    """
    from workbench.contracts import InputContract
    from workbench.drift import DriftBaseline, job_drift_record

    record: dict[str, Any] = {"limit": settings.drift_share_limit, "exceeded": False}
    if sample is None or sample.height == 0:
        return {**record, "error": "no rows were sampled for the drift check"}
    try:
        data = None if baseline is not None else reference or reference_bytes(workspace, version)
    except WorkbenchError as exc:  # a missing or damaged artifact: recorded, never the job's failure
        return {**record, "error": exc.message, "sample_rows": sample.height}
    if baseline is None and data is None:
        return {**record, "error": f"{version.ref} has no training reference artifact"}
    try:
        if baseline is None:
            assert data is not None
            keys = InputContract.from_dict(version.contract).keys
            baseline = DriftBaseline.from_reference(data, rows=reference_rows, exclude=keys)
        columns = [c for c in baseline.columns if c in sample.columns]
        report = baseline.compare(sample, columns=columns)
    except WorkbenchError as exc:
        return {**record, "error": exc.message, "sample_rows": sample.height}
    return job_drift_record(
        report, settings.drift_share_limit, sample_rows=sample.height, reference_rows=baseline.reference.height
    )


def reference_bytes(workspace: Workspace, version: ModelVersion) -> bytes | None:
    """The version's training reference artifact (Parquet), verified; None when it has none."""
    if "reference" not in version.artifacts:
        return None
    digest = version.artifact("reference").digest
    return workspace.artifacts.get_bytes(digest, name=f"{version.ref} reference")
