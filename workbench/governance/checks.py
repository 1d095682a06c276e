"""Evaluating a policy's checks for one exact version.

The results are stored with the version, tagged with the policy file's hash, and
the evaluation is one audit event. ``workbench check`` exits 0 only when every
required check passed, so a DVC stage running it fails ``dvc repro`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.core.clock import utcnow
from workbench.core.errors import PolicyError
from workbench.core.refs import ModelRef
from workbench.core.values import plain_fields
from workbench.governance.adoption import governing_policy
from workbench.governance.policy import Policy
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version_in
from workbench.store.schema import check_results

__all__ = ["CheckReport", "CheckResult", "evaluate", "run_checks"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: str  # pass | fail | error
    observed: Any
    limit: Any
    evidence: str | None
    required: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self)


@dataclass(frozen=True)
class CheckReport:
    ref: str
    policy_path: str
    policy_hash: str
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.status == "pass" for r in self.results if r.required)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.required and r.status != "pass"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "policy": self.policy_path,
            "policy_hash": self.policy_hash,
            "passed": self.passed,
            "results": [r.to_dict() for r in self.results],
        }


def _evidence(version: ModelVersion, artifact: str) -> str | None:
    entry = version.artifacts.get(artifact)
    return f"{artifact}@{entry['digest'][:12]}" if entry else None


def _metric_checks(version: ModelVersion, policy: Policy) -> list[CheckResult]:
    results = []
    for threshold in policy.metric_thresholds:
        key = threshold.metric.removeprefix("user.")
        observed = version.metrics.get(key)
        name = f"metric: {threshold}"
        if not isinstance(observed, (int, float)) or isinstance(observed, bool):
            results.append(
                CheckResult(name, "error", None, str(threshold), None, True, f"The version has no metric {key!r}.")
            )
            continue
        ok = threshold.holds(float(observed))
        message = f"{key} = {observed:.4f} ({'meets' if ok else 'fails'} {threshold})"
        results.append(
            CheckResult(
                name,
                "pass" if ok else "fail",
                float(observed),
                str(threshold),
                _evidence(version, "metrics"),
                True,
                message,
            )
        )
    return results


def _measures(groups: list[dict[str, Any]]) -> dict[str, float | None]:
    """Fairlearn's between-group measures, over the given groups (difference = max - min)."""
    selection = [float(g["selection_rate"]) for g in groups]
    tpr = [float(g["tpr"]) for g in groups]
    fpr = [float(g["fpr"]) for g in groups]
    top = max(selection)
    return {
        "demographic_parity_difference": top - min(selection),
        "demographic_parity_ratio": (min(selection) / top) if top > 0 else None,
        "equalized_odds_difference": max(max(tpr) - min(tpr), max(fpr) - min(fpr)),
    }


def _fairness_checks(version: ModelVersion, policy: Policy) -> list[CheckResult]:
    """Fairness limits, compared across groups of at least ``min_group_size`` rows.

    A handful of applicants cannot show a disparity, only noise: smaller groups stay in
    the report's tables but are left out of the comparison, and the message says so.
    """
    results = []
    for limit in policy.fairness_limits:
        column = version.fairness.get(limit.column)
        if column is None:
            known = ", ".join(sorted(version.fairness)) or "none"
            raise PolicyError(
                f"{policy.path}: `checks.fairness.{limit.column}`: {version.ref} has no sensitive column "
                f"{limit.column!r} (its sensitive columns: {known}). Fix the policy or register with "
                f"sensitive=[{limit.column!r}]."
            )
        name = f"fairness: {limit.column} {limit.measure} {limit.op} {limit.limit:g}"
        groups = column.get("groups") or []
        eligible = [g for g in groups if int(g.get("count", 0)) >= policy.min_group_size]
        small = [str(g["group"]) for g in groups if g not in eligible]
        note = f"; groups under {policy.min_group_size} rows not compared: {', '.join(small)}" if small else ""
        if len(eligible) < 2:
            message = f"{limit.column}: fewer than two groups have {policy.min_group_size}+ rows{note}"
            results.append(CheckResult(name, "error", None, limit.limit, _evidence(version, "fairness"), True, message))
            continue
        observed = _measures(eligible)[limit.measure] if small else column.get(limit.measure)
        if not isinstance(observed, (int, float)):
            results.append(
                CheckResult(name, "error", None, limit.limit, None, True, f"{limit.measure} was not computed.")
            )
            continue
        ok = limit.holds(float(observed))
        results.append(
            CheckResult(
                name,
                "pass" if ok else "fail",
                float(observed),
                limit.limit,
                _evidence(version, "fairness"),
                True,
                f"{limit.column}: {limit.measure} = {observed:.4f} (limit {limit.op} {limit.limit:g}){note}",
            )
        )
    return results


def _drift_check(version: ModelVersion, policy: Policy) -> list[CheckResult]:
    if policy.drift_max_share is None:
        return []
    summary = version.drift.get("summary") or {}
    share = summary.get("drift_share")
    name = f"drift: share of drifted columns <= {policy.drift_max_share:g}"
    if not isinstance(share, (int, float)):
        return [CheckResult(name, "error", None, policy.drift_max_share, None, True, "No drift summary was recorded.")]
    ok = share <= policy.drift_max_share
    message = f"{summary.get('n_drifted')}/{summary.get('n_columns')} columns drifted between train and valid"
    return [
        CheckResult(
            name,
            "pass" if ok else "fail",
            float(share),
            policy.drift_max_share,
            _evidence(version, "drift_report"),
            True,
            message,
        )
    ]


def _contract_check(version: ModelVersion, policy: Policy) -> list[CheckResult]:
    if not policy.contract_required:
        return []
    columns = version.contract.get("columns") or []
    ok = bool(columns)
    message = f"input contract with {len(columns)} columns" if ok else "no input contract recorded"
    return [
        CheckResult(
            "contract: input contract recorded",
            "pass" if ok else "fail",
            len(columns),
            ">= 1 column",
            _evidence(version, "contract"),
            True,
            message,
        )
    ]


def evaluate(version: ModelVersion, policy: Policy) -> CheckReport:
    """Evaluate (without storing) every check of ``policy`` for ``version``."""
    results = [
        *_metric_checks(version, policy),
        *_fairness_checks(version, policy),
        *_drift_check(version, policy),
        *_contract_check(version, policy),
    ]
    return CheckReport(version.ref, str(policy.path), policy.sha256, tuple(results))


def run_checks(workspace: Workspace, ref: str | ModelRef, *, policy_path: str | Path | None = None) -> CheckReport:
    """Evaluate and store the checks; one audit event records the outcome."""
    now = utcnow()
    with workspace.transaction() as tx:
        version = get_version_in(tx.conn, ref)
        policy = governing_policy(tx.conn, workspace.project, version.name, policy_path)
        policy_rel = workspace.project.relative(policy.path)
        report = replace(evaluate(version, policy), policy_path=policy_rel)
        if report.results:
            tx.conn.execute(
                check_results.insert(),
                [
                    {
                        "name": version.name,
                        "version": version.version,
                        "policy_hash": policy.sha256,
                        "policy_path": policy_rel,
                        "check": r.check,
                        "status": r.status,
                        "observed": r.observed,
                        "limit": r.limit,
                        "evidence": r.evidence,
                        "required": r.required,
                        "message": r.message,
                        "evaluated_at": now,
                        "evaluated_by": tx.actor,
                    }
                    for r in report.results
                ],
            )
        tx.record(
            "model.check",
            f"model:{version.ref}",
            {
                "policy": policy_rel,
                "policy_hash": policy.sha256,
                "passed": report.passed,
                "failed": [r.check for r in report.failures],
                "count": len(report.results),
            },
        )
    return report
