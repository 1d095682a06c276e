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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import NotFound, PolicyError
from workbench.core.hashing import sha256_bytes
from workbench.project.config import Project

__all__ = [
    "FAIRNESS_MEASURES",
    "METRIC_NAMES",
    "FairnessLimit",
    "MetricThreshold",
    "Policy",
    "find_policy",
    "load_policy",
    "parse_policy_text",
]

METRIC_NAMES = ("auc", "accuracy", "log_loss", "brier", "positive_rate", "rmse", "mae", "r2")
FAIRNESS_MEASURES = ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference")
_LOWER_IS_WORSE = {"demographic_parity_ratio"}
_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>>=|<=|>|<|==)\s*(?P<value>-?[0-9.eE+-]+)\s*$"
)
_TOP_KEYS = (
    "policy", "description", "models", "protects", "adoption", "checks", "approvals", "routing", "monitoring",
    "review", "rollout",
)  # fmt: skip
_CHECK_KEYS = ("metrics", "fairness", "min_group_size", "drift", "contract_required")
_ROLLOUT_KEYS = ("mode", "challenger", "share", "guards", "salt")
#: Rollout guards: each a limit on the canary arm, checked by workbench.serving.rollout.
ROLLOUT_GUARDS = ("error_rate", "override_rate", "review_rate", "drift_share", "auc_drop", "min_decisions")
_APPROVAL_KEYS = ("required", "roles", "users", "allow_self_approval")
_MONITOR_KEYS = (
    "drift_share_limit",
    "retrain_stage",
    "retrain_mode",
    # Read by `workbench monitor report` (workbench.postmarket.report, docs/monitoring.md).
    "window",
    "minutes_per_manual_review",
    "cost_per_cpu_hour",
    "cost_per_gpu_hour",
    # Service levels, read by workbench.postmarket.slo (`workbench slo check`, docs/monitoring.md).
    "slos",
)


@dataclass(frozen=True)
class MetricThreshold:
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


class _Reader:
    """Turns ruamel's line info into messages that name file, line and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Any, key: str, message: str) -> PolicyError:
        line = None
        try:
            line = node.lc.key(key)[0] + 1 if hasattr(node, "lc") and key in node else node.lc.line + 1
        except (AttributeError, KeyError, TypeError):
            line = None
        where = f"{self.path}:{line}" if line else str(self.path)
        return PolicyError(f"{where}: `{key}`: {message}", details={"file": str(self.path), "line": line, "key": key})

    def mapping(self, node: Any, key: str, parent: Any) -> dict[str, Any]:
        if node is None:
            return {}
        if not isinstance(node, dict):
            raise self.fail(parent, key, "must be a mapping of keys to values.")
        return node

    def unknown(self, node: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" Did you mean `{close[0]}`?" if close else f" Allowed: {', '.join(allowed)}."
                raise self.fail(node, str(key), f"unknown key in {where}.{hint}")

    def names(self, node: Any, key: str, parent: Any) -> tuple[str, ...]:
        if node is None:
            return ()
        if isinstance(node, str):
            return (node,)
        if not isinstance(node, list) or not all(isinstance(v, str) for v in node):
            raise self.fail(parent, key, "must be a list of names.")
        return tuple(node)

    def flag(self, parent: dict[str, Any], key: str, default: bool) -> bool:
        """A YAML boolean: ``true`` or ``false`` unquoted. A quoted ``"false"`` is refused rather than
        read as Python reads a non-empty string (true)."""
        node = parent.get(key, default)
        if not isinstance(node, bool):
            raise self.fail(parent, key, f"must be true or false (unquoted), got {node!r}.")
        return node

    def number(self, node: Any, key: str, parent: Any, *, minimum: float | None = None) -> float:
        if isinstance(node, bool) or not isinstance(node, (int, float)):
            raise self.fail(parent, key, f"must be a number, got {node!r}.")
        if minimum is not None and node < minimum:
            raise self.fail(parent, key, f"must be at least {minimum:g}.")
        return float(node)


def _parse_threshold(reader: _Reader, text: Any, parent: Any) -> MetricThreshold:
    match = _THRESHOLD.match(str(text)) if isinstance(text, str) else None
    if not match:
        raise reader.fail(parent, "metrics", f"{text!r} is not a threshold; write e.g. 'auc >= 0.80'.")
    metric = match["metric"]
    if metric not in METRIC_NAMES and not metric.startswith("user."):
        close = difflib.get_close_matches(metric, METRIC_NAMES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise reader.fail(
            parent,
            "metrics",
            f"unknown metric {metric!r}.{hint} Known: {', '.join(METRIC_NAMES)}; "
            "prefix user-supplied metrics with 'user.'.",
        )
    try:
        value = float(match["value"])
    except ValueError:
        raise reader.fail(parent, "metrics", f"{match['value']!r} is not a number.") from None
    return MetricThreshold(metric, match["op"], value)


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
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    reader = _Reader(source)
    try:
        data = YAML(typ="rt").load(raw.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else str(source)
        raise PolicyError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a YAML mapping with keys such as checks and approvals.")
    reader.unknown(data, _TOP_KEYS, "the policy")
    checks = reader.mapping(data.get("checks"), "checks", data)
    reader.unknown(checks, _CHECK_KEYS, "checks")
    metric_list = checks.get("metrics") or []
    if not isinstance(metric_list, list):
        raise reader.fail(checks, "metrics", "must be a list such as ['auc >= 0.80'].")
    thresholds = tuple(_parse_threshold(reader, item, checks) for item in metric_list)
    fairness_node = reader.mapping(checks.get("fairness"), "fairness", checks)
    limits: list[FairnessLimit] = []
    for column, node in fairness_node.items():
        measures = reader.mapping(node, str(column), fairness_node)
        reader.unknown(measures, FAIRNESS_MEASURES, f"checks.fairness.{column}")
        for measure, limit in measures.items():
            limits.append(
                FairnessLimit(str(column), str(measure), reader.number(limit, str(measure), measures, minimum=0))
            )
    drift_node = reader.mapping(checks.get("drift"), "drift", checks)
    reader.unknown(drift_node, ("max_share",), "checks.drift")
    drift_max = (
        reader.number(drift_node["max_share"], "max_share", drift_node, minimum=0)
        if "max_share" in drift_node
        else None
    )
    approvals = reader.mapping(data.get("approvals"), "approvals", data)
    reader.unknown(approvals, _APPROVAL_KEYS, "approvals")
    required = approvals.get("required", 2)
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        raise reader.fail(approvals, "required", "must be a whole number of approvals (0 or more).")
    monitoring = reader.mapping(data.get("monitoring"), "monitoring", data)
    reader.unknown(monitoring, _MONITOR_KEYS, "monitoring")
    routing = reader.mapping(data.get("routing"), "routing", data)
    review = reader.mapping(data.get("review"), "review", data)
    reader.unknown(review, ("visible",), "review")
    adoption = reader.mapping(data.get("adoption"), "adoption", data)
    reader.unknown(adoption, ("required",), "adoption")
    adoption_required = adoption.get("required", 1)
    if isinstance(adoption_required, bool) or not isinstance(adoption_required, int) or adoption_required < 1:
        raise reader.fail(adoption, "required", "must be a whole number of policy-admin signatures (1 or more).")
    rollout = _parse_rollout(reader, reader.mapping(data.get("rollout"), "rollout", data))
    # `production` is protected whatever a policy says; a policy may protect more aliases (a canary: `canary`).
    protected = ("production", *reader.names(data.get("protects"), "protects", data))
    protects = tuple(dict.fromkeys((*protected, *(("canary",) if rollout.get("mode") == "canary" else ()))))
    return Policy(
        path=source,
        sha256=sha256_bytes(raw),
        name=str(data.get("policy") or source.stem),
        models=reader.names(data.get("models"), "models", data),
        protects=protects,
        metric_thresholds=thresholds,
        fairness_limits=tuple(limits),
        drift_max_share=drift_max,
        contract_required=reader.flag(checks, "contract_required", True),
        min_group_size=int(reader.number(checks.get("min_group_size", 30), "min_group_size", checks, minimum=1)),
        approvals_required=required,
        approver_roles=reader.names(approvals.get("roles", ["approver"]), "roles", approvals),
        approver_users=reader.names(approvals.get("users"), "users", approvals),
        allow_self_approval=reader.flag(approvals, "allow_self_approval", False),
        routing=_plain(routing),
        monitoring=_plain(monitoring),
        description=str(data.get("description") or ""),
        adoption_required=adoption_required,
        reviewer_visible=reader.names(review.get("visible"), "visible", review),
        rollout=rollout,
    )


def _parse_rollout(reader: _Reader, node: dict[str, Any]) -> dict[str, Any]:
    """The ``rollout:`` section: shadow (a challenger reference, scored beside every decision) or canary
    (the version on the protected ``canary`` alias decides a ``share`` of keys), with guards."""
    if not node:
        return {}
    reader.unknown(node, _ROLLOUT_KEYS, "rollout")
    mode = node.get("mode")
    if mode not in ("shadow", "canary"):
        raise reader.fail(node, "mode", "must be shadow or canary.")
    challenger = node.get("challenger")
    if mode == "shadow" and (not isinstance(challenger, str) or not challenger):
        raise reader.fail(node, "mode", "shadow needs `challenger: NAME:VERSION` (the version to score beside).")
    if challenger is not None and not isinstance(challenger, str):
        raise reader.fail(node, "challenger", "must be a model reference such as admissions:3.")
    share = reader.number(node.get("share", 0.05), "share", node, minimum=0)
    if mode == "canary" and not 0 < share < 1:
        raise reader.fail(node, "share", "must be a fraction between 0 and 1 (0.05 is 5% of keys).")
    guards = reader.mapping(node.get("guards"), "guards", node)
    reader.unknown(guards, ROLLOUT_GUARDS, "rollout.guards")
    limits = {str(k): reader.number(v, str(k), guards, minimum=0) for k, v in guards.items()}
    return {
        "mode": mode,
        "challenger": challenger,
        "share": share,
        "guards": limits,
        "salt": str(node.get("salt") or ""),
    }


def _plain(value: Any) -> Any:
    """ruamel's commented containers to plain JSON-able values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)


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
