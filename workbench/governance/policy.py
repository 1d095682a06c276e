"""Policy files: what a version must show, and who must approve it, before a
protected alias may point at it.

A policy is YAML (see docs/governance.md for the full schema)::

    policy: admissions
    models: [admissions]              # models it governs (default: every model)
    protects: [production]            # aliases that only the gate may move
    adoption: {required: 1}           # policy-admin signatures a new revision needs
    checks:
      metrics: ["auc >= 0.80", "brier <= 0.2"]
      fairness:
        gender: {demographic_parity_difference: 0.1, equalized_odds_difference: 0.1}
      drift: {max_share: 0.5}
      contract_required: true
    approvals:
      required: 2
      roles: [approver]
      users: []
      allow_self_approval: false
    routing: {...}                    # used by scoring, validated there
    monitoring: {drift_share_limit: 0.5, retrain_stage: train}
    review: {visible: [personal_statement_summary]}   # input columns reviewers see beside the features
    rollout: {mode: canary, share: 0.05, guards: {override_rate: 0.2}}  # docs/rollout.md

Validation errors name the file, the line and the key. The policy's identity is the
sha256 of the file's bytes: checks and approvals record it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainValidator, StrictBool, StrictFloat, StrictInt, StrictStr

from workbench.core.errors import NotFound, PolicyError
from workbench.core.hashing import sha256_bytes
from workbench.core.shapes import Names, Problem, Shape, ShapeError, check, described, invalid, one_of
from workbench.core.yaml_text import YamlSyntaxError, line_of, parse_yaml, plain
from workbench.project.config import Project

__all__ = [
    "FAIRNESS_MEASURES",
    "METRIC_NAMES",
    "RETRAIN_MODES",
    "ROLLOUT_GUARDS",
    "SLO_METRICS",
    "FairnessLimit",
    "MetricThreshold",
    "Policy",
    "find_policy",
    "load_policy",
    "parse_objectives",
    "parse_policy_text",
]

METRIC_NAMES = ("auc", "accuracy", "log_loss", "brier", "positive_rate", "rmse", "mae", "r2")
FAIRNESS_MEASURES = ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference")
_LOWER_IS_WORSE = {"demographic_parity_ratio"}
_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>>=|<=|>|<|==)\s*(?P<value>-?[0-9.eE+-]+)\s*$"
)
#: How a breach of the drift limit retrains: `workbench run STAGE` or `dvc repro STAGE`.
RETRAIN_MODES = ("run", "repro")
#: Service-level objectives (``monitoring.slos``) -> the monitoring report's figure they read
#: (a ``workbench.postmarket.report.WindowStats`` attribute; workbench.postmarket.slo evaluates them).
SLO_METRICS: dict[str, str] = {
    "realized_auc": "auc",
    "brier": "brier",
    "calibration_error": "calibration_error",
    "automated_accuracy": "automated_accuracy",
    "automation_rate": "automation_rate",
    "review_rate": "review_rate",
    "override_rate": "override_rate",
    "outcome_coverage": "outcome_coverage",
    "fairness_gap": "fairness_gap",
    "drift_share": "drift_share",
    "p50_batch_latency_ms": "p50_batch_latency_ms",
    "p95_batch_latency_ms": "p95_batch_latency_ms",
    "p99_batch_latency_ms": "p99_batch_latency_ms",
    "min_rows_per_second": "rows_per_second",
    "rows_per_second": "rows_per_second",
    "cpu_seconds_per_1k": "cpu_seconds_per_1k",
    "cost_per_1k": "cost_per_1k",
}


@dataclass(frozen=True)
class MetricThreshold:
    """``auc >= 0.80``: a check's threshold on a version's metric, or a service-level objective."""

    metric: str
    op: str
    value: float

    def holds(self, observed: float) -> bool:
        return {
            ">=": observed >= self.value,
            "<=": observed <= self.value,
            ">": observed > self.value,
            "<": observed < self.value,
            "==": observed == self.value,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class FairnessLimit:
    column: str
    measure: str
    limit: float

    @property
    def op(self) -> str:
        return ">=" if self.measure in _LOWER_IS_WORSE else "<="

    def holds(self, observed: float) -> bool:
        return observed >= self.limit if self.op == ">=" else observed <= self.limit


@dataclass(frozen=True)
class Policy:
    path: Path
    sha256: str
    name: str
    models: tuple[str, ...]
    protects: tuple[str, ...]
    metric_thresholds: tuple[MetricThreshold, ...]
    fairness_limits: tuple[FairnessLimit, ...]
    drift_max_share: float | None
    contract_required: bool
    approvals_required: int
    min_group_size: int
    approver_roles: tuple[str, ...]
    approver_users: tuple[str, ...]
    allow_self_approval: bool
    routing: dict[str, Any] = field(default_factory=dict)
    monitoring: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    adoption_required: int = 1  # policy-admin signatures a new revision of this policy needs
    reviewer_visible: tuple[str, ...] = ()  # input columns a reviewer sees beside the model's features
    rollout: dict[str, Any] = field(default_factory=dict)  # shadow or canary (docs/rollout.md); {} for none
    slos: tuple[MetricThreshold, ...] = ()  # service-level objectives (monitoring.slos, docs/monitoring.md)

    def governs(self, model: str) -> bool:
        return not self.models or model in self.models

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "name": self.name,
            "models": list(self.models),
            "protects": list(self.protects),
            "metrics": [str(t) for t in self.metric_thresholds],
            "fairness": [
                {"column": f.column, "measure": f.measure, "op": f.op, "limit": f.limit} for f in self.fairness_limits
            ],
            "drift_max_share": self.drift_max_share,
            "contract_required": self.contract_required,
            "min_group_size": self.min_group_size,
            "approvals_required": self.approvals_required,
            "approver_roles": list(self.approver_roles),
            "approver_users": list(self.approver_users),
            "allow_self_approval": self.allow_self_approval,
            "routing": self.routing,
            "monitoring": self.monitoring,
            "adoption_required": self.adoption_required,
            "reviewer_visible": list(self.reviewer_visible),
            "rollout": self.rollout,
        }


def _comparison(names: Sequence[str], what: str, example: str, *, user: bool = False) -> PlainValidator:
    """``METRIC OP NUMBER`` as a :class:`MetricThreshold` whose metric is one of ``names`` (or
    ``user.*`` when ``user``); ``what`` and ``example`` word the errors."""

    def parse(text: Any) -> MetricThreshold:
        match = _THRESHOLD.match(text) if isinstance(text, str) else None
        if not match:
            raise invalid(f"{text!r} is not {what}; write e.g. {example!r}.")
        metric = match["metric"]
        if metric not in names and not (user and metric.startswith("user.")):
            close = difflib.get_close_matches(metric, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            extra = "; prefix user-supplied metrics with 'user.'" if user else ""
            raise invalid(f"unknown metric {metric!r}.{hint} Known: {', '.join(names)}{extra}.")
        try:
            return MetricThreshold(metric, match["op"], float(match["value"]))
        except ValueError:
            raise invalid(f"{match['value']!r} is not a number.") from None

    return PlainValidator(parse)


_Limit = Annotated[StrictFloat, Field(ge=0)]
_Threshold = Annotated[MetricThreshold, _comparison(METRIC_NAMES, "a threshold", "auc >= 0.80", user=True)]
_Objective = Annotated[MetricThreshold, _comparison(tuple(SLO_METRICS), "an objective", "realized_auc >= 0.80")]


class _Measures(Shape):
    demographic_parity_difference: _Limit | None = None
    demographic_parity_ratio: _Limit | None = None
    equalized_odds_difference: _Limit | None = None


class _Drift(Shape):
    max_share: _Limit | None = None


class _Checks(Shape):
    metrics: Annotated[list[_Threshold], described("a list such as ['auc >= 0.80']")] = Field(default_factory=list)
    fairness: dict[str, _Measures] = Field(default_factory=dict)
    min_group_size: Annotated[StrictInt, Field(ge=1)] = 30
    drift: _Drift = _Drift()
    contract_required: StrictBool = True


class _Approvals(Shape):
    required: Annotated[StrictInt, Field(ge=0), described("a whole number of approvals (0 or more)")] = 2
    roles: Names = ("approver",)
    users: Names = ()
    allow_self_approval: StrictBool = False


class _Adoption(Shape):
    required: Annotated[StrictInt, Field(ge=1), described("a whole number of policy-admin signatures (1 or more)")] = 1


class _Monitoring(Shape):
    """Read by the drift check (``drift_share_limit``, ``retrain_*``), ``workbench monitor report``
    (workbench.postmarket.report) and ``workbench slo check`` (``slos``, workbench.postmarket.slo)."""

    drift_share_limit: Annotated[StrictFloat, Field(ge=0, le=1), described("a share between 0 and 1")] | None = None
    retrain_stage: Annotated[StrictStr, Field(min_length=1), described("the name of a pipeline stage")] | None = None
    retrain_mode: Annotated[StrictStr, one_of(*RETRAIN_MODES)] = "run"
    window: StrictStr | None = None
    minutes_per_manual_review: _Limit | None = None
    cost_per_cpu_hour: _Limit | None = None
    cost_per_gpu_hour: _Limit | None = None
    slos: Annotated[list[_Objective], described('a list such as ["realized_auc >= 0.8"]')] = Field(default_factory=list)


class _Review(Shape):
    visible: Names = ()


class _Guards(Shape):
    """Limits on the canary arm, checked by workbench.serving.rollout."""

    error_rate: _Limit | None = None
    override_rate: _Limit | None = None
    review_rate: _Limit | None = None
    drift_share: _Limit | None = None
    auc_drop: _Limit | None = None
    min_decisions: _Limit | None = None


class _Rollout(Shape):
    mode: Annotated[StrictStr, one_of("shadow", "canary")]
    challenger: Annotated[StrictStr, described("a model reference such as admissions:3")] | None = None
    share: _Limit = 0.05
    guards: _Guards = _Guards()
    salt: StrictStr | StrictInt = ""


class _PolicyFile(Shape):
    policy: StrictStr | None = None
    description: StrictStr = ""
    models: Names = ()
    protects: Names = ()
    adoption: _Adoption = _Adoption()
    checks: _Checks = _Checks()
    approvals: _Approvals = _Approvals()
    routing: dict[str, Any] = Field(default_factory=dict)  # validated by workbench.scoring.routing, where it is applied
    monitoring: _Monitoring = _Monitoring()
    review: _Review = _Review()
    rollout: Annotated[_Rollout | None, BeforeValidator(lambda v: v or None)] = None


#: Rollout guards: each a limit on the canary arm, checked by workbench.serving.rollout.
ROLLOUT_GUARDS = tuple(_Guards.model_fields)


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file.

    The file is read every time, so an edit takes effect at once; parsing it is cached by
    its path and exact bytes (a policy is identified by its content's sha256 anyway), since
    the YAML parse costs milliseconds and every review state and version list needs it.
    The cached :class:`Policy` is shared: treat it, ``routing`` and ``monitoring`` included,
    as read-only.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"Policy file {source} does not exist.") from None
    return _parse_policy(source, raw)


def parse_policy_text(source: Path, raw: bytes) -> Policy:
    """Validate a policy's bytes (e.g. a revision adopted into the store); ``source`` labels messages."""
    return _parse_policy(source, raw)


@functools.lru_cache(maxsize=64)
def _parse_policy(source: Path, raw: bytes) -> Policy:
    try:
        document = parse_yaml(raw.decode("utf-8"), keep_lines=True)
    except YamlSyntaxError as exc:
        where = f"{source}:{exc.line}" if exc.line else str(source)
        raise PolicyError(f"{where}: not valid YAML ({exc.problem}).") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{source}: not valid YAML ({exc}).") from None
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: a policy must be a YAML mapping with keys such as checks and approvals.")
    data = plain(document)

    def fail(problem: Problem) -> PolicyError:
        where = f"{source}:{problem.line}" if problem.line else str(source)
        return PolicyError(
            f"{where}: `{problem.key}`: {problem.message}",
            details={"file": str(source), "line": problem.line, "key": problem.key},
        )

    def wrong(path: tuple[str, ...], message: str) -> PolicyError:
        return fail(Problem(path, message, line_of(document, path)))

    try:
        shape = check(_PolicyFile, data, document=document)
    except ShapeError as exc:
        raise fail(exc.problem) from None
    if shape.routing:  # checked here too, so that its mistakes are found on reading and name their line
        from workbench.scoring.routing import parse_routing

        parse_routing(shape.routing, str(source), document=document)
    checks, approvals, rollout = shape.checks, shape.approvals, shape.rollout
    if rollout is not None and rollout.mode == "shadow" and not rollout.challenger:
        raise wrong(("rollout", "mode"), "shadow needs `challenger: NAME:VERSION` (the version to score beside).")
    if rollout is not None and rollout.mode == "canary" and not 0 < rollout.share < 1:
        raise wrong(("rollout", "share"), "must be a fraction between 0 and 1 (0.05 is 5% of keys).")
    # Limits keep the order they are written in.
    fairness = (data.get("checks") or {}).get("fairness") or {}
    limits = tuple(
        FairnessLimit(column, measure, float(getattr(checks.fairness[column], measure)))
        for column, measures in fairness.items()
        for measure in measures
        if measures[measure] is not None
    )
    # `production` is protected whatever a policy says; a policy may protect more aliases (a canary: `canary`).
    canary = ("canary",) if rollout is not None and rollout.mode == "canary" else ()
    return Policy(
        path=source,
        sha256=sha256_bytes(raw),
        name=shape.policy or source.stem,
        models=shape.models,
        protects=tuple(dict.fromkeys(("production", *shape.protects, *canary))),
        metric_thresholds=tuple(checks.metrics),
        fairness_limits=limits,
        drift_max_share=checks.drift.max_share,
        contract_required=checks.contract_required,
        min_group_size=checks.min_group_size,
        approvals_required=approvals.required,
        approver_roles=approvals.roles,
        approver_users=approvals.users,
        allow_self_approval=approvals.allow_self_approval,
        routing=_json_values(data.get("routing") or {}),
        monitoring=_json_values(data.get("monitoring") or {}),
        description=shape.description,
        adoption_required=shape.adoption.required,
        reviewer_visible=shape.review.visible,
        slos=tuple(shape.monitoring.slos),
        rollout=_rollout(rollout, (data.get("rollout") or {}).get("guards") or {}),
    )


def parse_objectives(entries: Any, source: str = "policy") -> tuple[MetricThreshold, ...]:
    """A ``monitoring.slos`` list as objectives; a PolicyError names ``source`` and the entry."""
    try:
        return tuple(check(_Monitoring, {"slos": entries}, prefix=("monitoring",)).slos)
    except ShapeError as exc:
        raise PolicyError(f"{source}: `{exc.problem.dotted}`: {exc.problem.message}") from None


def _json_values(section: dict[str, Any]) -> dict[str, Any]:
    """A free-form section as JSON values (a YAML date becomes its text), as the API serves it."""
    return dict(json.loads(json.dumps(section, default=str)))


def _rollout(shape: _Rollout | None, guards: dict[str, Any]) -> dict[str, Any]:
    """The ``rollout:`` section as plain data: shadow (a challenger reference, scored beside every
    decision) or canary (the version on the protected ``canary`` alias decides a ``share`` of keys)."""
    if shape is None:
        return {}
    return {
        "mode": shape.mode,
        "challenger": shape.challenger,
        "share": float(shape.share),
        "guards": {str(k): float(v) for k, v in guards.items() if v is not None},
        "salt": str(shape.salt or ""),
    }


def _candidates(project: Project) -> list[Path]:
    found: list[Path] = []
    for pattern in ("policies/*.yaml", "policies/*.yml", "pipelines/*/policy.yaml", "pipelines/*/policy.yml"):
        found.extend(sorted(project.root.glob(pattern)))
    return found


def find_policy(project: Project, model: str, path: str | Path | None = None) -> Policy:
    """The policy governing ``model``: ``path`` if given, else the one policy file that names it."""
    if path is not None:
        policy = load_policy(project.resolve_inside(path, "policy file"))
        return policy
    matches = [policy for policy in (load_policy(p) for p in _candidates(project)) if policy.governs(model)]
    named = [p for p in matches if p.models]
    chosen = named or matches
    if not chosen:
        raise NotFound(
            f"No policy governs model {model!r}. Add one under policies/ or pipelines/<name>/policy.yaml "
            "(see docs/governance.md), or pass --policy FILE."
        )
    if len(chosen) > 1:
        raise PolicyError(
            f"Several policies govern model {model!r}: {', '.join(str(p.path) for p in chosen)}. "
            "List the model under `models:` in exactly one, or pass --policy FILE."
        )
    return chosen[0]
