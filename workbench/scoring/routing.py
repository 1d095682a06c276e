"""Routing: each scored row's decision and route (model, business rule, or human review).

The ``routing`` section of a version's policy, validated here (the policy loader
leaves it as plain data)::

    routing:
      thresholds: {accept: 0.75, decline: 0.25}   # score >= accept, score < decline
      labels: {accept: auto_accept, decline: auto_decline, review: review}
      rules:                                       # first rule that fires wins
        - name: missing_transcript
          when: "transcript_complete = 0"
        - name: first_generation_borderline
          when: "score < 0.5 AND first_generation = 1"
          decision: review                         # review (default), accept or decline
      outside_training_range: {tolerance: 0.0, unseen_categories: refuse, ignore: [age]}

A row the thresholds decide is routed ``model``; a row between them goes to review
with route ``human``; a row where a rule fires takes the rule's decision with route
``rule:<name>``, whatever its score. Rules are SQL expressions parsed by
:func:`polars.sql_expr` (never ``eval``): they read the input's columns and ``score``.
A rule that evaluates to null does not fire. ``lean`` (default: midway between the
thresholds) is the model's leaning, against which reviewer overrides are judged.
Without a ``routing`` section every row is decided by the model at 0.5.

Above all of these, a row outside the training range (:mod:`workbench.contracts.training_range`)
goes to review with route ``rule:outside_training_range``, whatever thresholds and rules say. A
policy may exempt columns (``ignore``; never from ``inf``) but cannot turn the guard off.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts.training_range import UNSEEN_CATEGORY_POLICIES, TrainingRange
from workbench.core.errors import PolicyError, ValidationError

__all__ = [
    "DEFAULT_LABELS",
    "GUARD_RULE",
    "LEANINGS",
    "OUTCOMES",
    "RoutedCodes",
    "Routing",
    "RoutingRule",
    "parse_routing",
]

OUTCOMES = ("accept", "decline", "review")
DEFAULT_LABELS = {"accept": "auto_accept", "decline": "auto_decline", "review": "review"}
#: The built-in rule that sends rows outside the training range to review (route ``rule:<it>``).
GUARD_RULE = "outside_training_range"
_KEYS = ("thresholds", "labels", "rules", GUARD_RULE)
_GUARD_KEYS = ("tolerance", "unseen_categories", "ignore")
_THRESHOLD_KEYS = ("accept", "decline", "lean")
_RULE_KEYS = ("name", "when", "decision", "description")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
_RULE_COLUMN = "__wb_rule_{}"
LEANINGS = ("accept", "decline", "none")


def _fail(source: str, key: str, message: str) -> PolicyError:
    return PolicyError(f"{source}: `{key}`: {message}", details={"file": source, "key": key})


def _unknown(source: str, node: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else f" Allowed: {', '.join(allowed)}."
            raise _fail(source, f"{where}.{key}", f"unknown key.{hint}")


def _mapping(source: str, value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(source, key, f"must be a mapping, got {type(value).__name__}.")
    return dict(value)


def _number(source: str, value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, key, f"must be a number, got {value!r}.")
    return float(value)


@dataclass(frozen=True)
class RoutingRule:
    """A named business rule: when ``when`` holds for a row, the row gets ``decision``."""

    name: str
    when: str
    decision: str = "review"
    description: str = ""
    expr: pl.Expr | None = field(default=None, compare=False, repr=False)

    @property
    def route(self) -> str:
        return f"rule:{self.name}"

    @property
    def columns(self) -> tuple[str, ...]:
        """Input columns the rule reads (``score`` excluded)."""
        assert self.expr is not None
        return tuple(c for c in self.expr.meta.root_names() if c != "score")

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "when": self.when, "decision": self.decision}
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class RoutedCodes:
    """Routing outcomes as codes, one per row (see :meth:`Routing.codes`)."""

    decision: np.ndarray
    route: np.ndarray
    rule: np.ndarray
    leaning: np.ndarray


@dataclass(frozen=True)
class Routing:
    """Validated routing: thresholds, decision labels and rules, applied with polars."""

    accept: float | None = 0.5
    decline: float | None = 0.5
    lean: float = 0.5
    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    rules: tuple[RoutingRule, ...] = ()
    guard: TrainingRange = field(default_factory=TrainingRange)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every input column some rule reads, in rule order, without repeats."""
        return tuple(dict.fromkeys(c for rule in self.rules for c in rule.columns))

    def label(self, outcome: str) -> str:
        return self.labels[outcome]

    def to_dict(self) -> dict[str, Any]:
        thresholds: dict[str, float] = {"lean": self.lean}
        if self.accept is not None:
            thresholds["accept"] = self.accept
        if self.decline is not None:
            thresholds["decline"] = self.decline
        return {
            "thresholds": thresholds,
            "labels": dict(self.labels),
            "rules": [r.to_dict() for r in self.rules],
            GUARD_RULE: self.guard.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str = "routing policy") -> Routing:
        return parse_routing(data, source)

    def check_columns(self, available: Sequence[str]) -> None:
        """Refuse rules that read columns the input does not have, naming rule and column."""
        have = set(available)
        for rule in self.rules:
            missing = [c for c in rule.columns if c not in have]
            if missing:
                raise ValidationError(
                    f"Routing rule {rule.name!r} ({rule.when}) reads column(s) {missing} that the input lacks. "
                    "Add them to the input, or change the rule in the policy's `routing.rules`.",
                    details={"rule": rule.name, "missing": missing},
                )

    @property
    def decision_labels(self) -> tuple[str, str, str]:
        """Labels of the decision codes 0, 1, 2: accept, decline, review."""
        return (self.labels["accept"], self.labels["decline"], self.labels["review"])

    @property
    def route_labels(self) -> tuple[str, ...]:
        """Labels of the route codes: ``model``, ``human``, ``rule:<name>`` per rule, then the guard's."""
        return ("model", "human", *(rule.route for rule in self.rules), f"rule:{GUARD_RULE}")

    @property
    def rule_names(self) -> tuple[str, ...]:
        """Names of the rule codes: the policy's rules, then :data:`GUARD_RULE`."""
        return (*(rule.name for rule in self.rules), GUARD_RULE)

    def codes(
        self, score: np.ndarray, data: pl.DataFrame | None = None, outside: np.ndarray | None = None
    ) -> RoutedCodes:
        """Every row's decision, route, rule and leaning as small integer codes (numpy, no strings).

        ``score`` is the model's output per row; ``data`` holds at least :attr:`columns`
        when there are rules; ``outside`` marks the rows outside the training range, which
        go to review whatever the thresholds and rules say. Codes index
        :attr:`decision_labels`, :attr:`route_labels`, :attr:`rule_names` (-1: no rule
        fired) and :data:`LEANINGS`.
        """
        score = np.asarray(score)
        n = score.shape[0]
        decision = np.full(n, 2, dtype=np.int8)
        by_model = np.zeros(n, dtype=bool)
        # Comparisons with a NaN score are false: a NaN is nobody's decision, it goes to review.
        if self.decline is not None:
            declined = score < self.decline
            decision[declined] = 1
            by_model |= declined
        if self.accept is not None:
            accepted = score >= self.accept
            decision[accepted] = 0
            by_model |= accepted
        route = np.where(by_model, 0, 1).astype(np.int16)
        rule = np.full(n, -1, dtype=np.int16)
        if self.rules:
            if data is None:
                raise ValidationError("Routing rules need the input columns they read; pass `data`.")
            scored = pl.Series("score", score)
            # A rule may read only the score: a frame of no columns has no rows to add it to.
            frame = data.select(self.columns).with_columns(scored) if self.columns else scored.to_frame()
            masks = self._rule_masks(frame)
            codes = {"accept": 0, "decline": 1, "review": 2}
            for index in reversed(range(len(self.rules))):  # the first rule that fires wins
                fired = masks.get_column(_RULE_COLUMN.format(index)).to_numpy()
                decision[fired] = codes[self.rules[index].decision]
                route[fired] = 2 + index
                rule[fired] = index
        if outside is not None:  # last, so it overrides: the guard takes precedence over everything
            decision[outside] = 2
            route[outside] = 2 + len(self.rules)
            rule[outside] = len(self.rules)
        nan = np.isnan(score) if score.dtype.kind == "f" else np.zeros(n, dtype=bool)
        leaning = np.where(nan, 2, np.where(score >= self.lean, 0, 1)).astype(np.int8)
        return RoutedCodes(decision, route, rule, leaning)

    def _rule_masks(self, data: pl.DataFrame) -> pl.DataFrame:
        exprs = [rule.expr for rule in self.rules]
        assert all(expr is not None for expr in exprs)
        try:
            masks = data.select(
                [expr.alias(_RULE_COLUMN.format(i)) for i, expr in enumerate(exprs) if expr is not None]
            )
        except pl.exceptions.PolarsError as exc:
            raise ValidationError(
                f"A routing rule could not be evaluated on the input ({str(exc).splitlines()[0]}). "
                "Check the rules' column types against the input."
            ) from exc
        for index, rule in enumerate(self.rules):
            series = masks.get_column(_RULE_COLUMN.format(index))
            if series.dtype != pl.Boolean:
                raise ValidationError(
                    f"Routing rule {rule.name!r} ({rule.when}) gives {series.dtype}, not a true/false value per row. "
                    "Write a condition, e.g. `transcript_complete = 0`."
                )
        if masks.height != data.height:
            raise ValidationError(
                "A routing rule aggregates over rows instead of testing each row; rules must be row-wise "
                f"conditions ({', '.join(r.name for r in self.rules)})."
            )
        return masks.select(pl.all().fill_null(False))


def _parse_rule(source: str, index: int, node: Any, names: set[str]) -> RoutingRule:
    where = f"routing.rules[{index}]"
    if not isinstance(node, Mapping):
        raise _fail(source, where, "each rule must be a mapping with `name` and `when`.")
    _unknown(source, node, _RULE_KEYS, where)
    name = node.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(source, f"{where}.name", f"{name!r} is not a rule name; use letters, digits, '_', '.', '-'.")
    if name in names:
        raise _fail(source, f"{where}.name", f"rule {name!r} is defined twice; rule names must be unique.")
    if name == GUARD_RULE:
        raise _fail(
            source,
            f"{where}.name",
            f"{GUARD_RULE!r} is the built-in rule for rows outside the training range; name your rule differently "
            f"(its settings go under `routing.{GUARD_RULE}`).",
        )
    when = node.get("when")
    if not isinstance(when, str) or not when.strip():
        raise _fail(source, f"{where}.when", "must be a SQL condition such as `transcript_complete = 0`.")
    decision = node.get("decision", "review")
    if decision not in OUTCOMES:
        raise _fail(source, f"{where}.decision", f"{decision!r} is not one of {', '.join(OUTCOMES)}.")
    try:
        expr = pl.sql_expr(when)
    except Exception as exc:  # polars raises several SQL error types; all mean "does not parse"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(source, f"{where}.when", f"{when!r} is not a SQL condition polars can parse ({first}).") from None
    if not isinstance(expr, pl.Expr):
        raise _fail(source, f"{where}.when", "must be one condition, not a list.")
    description = node.get("description", "")
    return RoutingRule(str(name), when.strip(), str(decision), str(description or ""), expr)


def parse_routing(data: Mapping[str, Any] | None, source: str = "routing policy") -> Routing:
    """Validate a policy's ``routing`` section; errors name ``source`` and the offending key."""
    node = _mapping(source, data, "routing")
    if not node:
        return Routing()
    _unknown(source, node, _KEYS, "routing")
    thresholds = _mapping(source, node.get("thresholds"), "routing.thresholds")
    _unknown(source, thresholds, _THRESHOLD_KEYS, "routing.thresholds")
    if "thresholds" not in node:
        accept: float | None = 0.5
        decline: float | None = 0.5
    else:
        accept = _number(source, thresholds["accept"], "routing.thresholds.accept") if "accept" in thresholds else None
        decline = (
            _number(source, thresholds["decline"], "routing.thresholds.decline") if "decline" in thresholds else None
        )
        if accept is None and decline is None:
            raise _fail(source, "routing.thresholds", "give `accept`, `decline` or both (scores between go to review).")
    if accept is not None and decline is not None and decline > accept:
        raise _fail(
            source,
            "routing.thresholds.decline",
            f"{decline:g} is above accept ({accept:g}); scores below decline are declined, scores at or above "
            "accept are accepted, and the band between goes to review.",
        )
    present = [t for t in (accept, decline) if t is not None]
    default_lean = sum(present) / len(present)
    lean = _number(source, thresholds["lean"], "routing.thresholds.lean") if "lean" in thresholds else default_lean
    labels_node = _mapping(source, node.get("labels"), "routing.labels")
    _unknown(source, labels_node, OUTCOMES, "routing.labels")
    labels = dict(DEFAULT_LABELS)
    for outcome, label in labels_node.items():
        if not isinstance(label, str) or not _LABEL.match(label):
            raise _fail(source, f"routing.labels.{outcome}", f"{label!r} is not a label; use letters, digits, '_'.")
        labels[outcome] = label
    if len(set(labels.values())) != len(labels):
        raise _fail(source, "routing.labels", f"the three labels must differ, got {labels}.")
    rules_node = node.get("rules") or []
    if not isinstance(rules_node, list):
        raise _fail(source, "routing.rules", "must be a list of rules, each with `name` and `when`.")
    rules: list[RoutingRule] = []
    for index, item in enumerate(rules_node):
        rule = _parse_rule(source, index, item, {r.name for r in rules})
        rules.append(rule)
    guard = _parse_guard(source, node.get(GUARD_RULE))
    return Routing(accept=accept, decline=decline, lean=lean, labels=labels, rules=tuple(rules), guard=guard)


def _parse_guard(source: str, value: Any) -> TrainingRange:
    """``routing.outside_training_range``: tolerance, unseen categories, exempt columns."""
    where = f"routing.{GUARD_RULE}"
    if value is False:
        raise _fail(
            source,
            where,
            "the guard cannot be turned off; list the columns whose out-of-range values the model may decide "
            "under `ignore`.",
        )
    node = _mapping(source, value, where)
    _unknown(source, node, _GUARD_KEYS, where)
    tolerance = _number(source, node["tolerance"], f"{where}.tolerance") if "tolerance" in node else 0.0
    if not np.isfinite(tolerance) or tolerance < 0:
        raise _fail(
            source,
            f"{where}.tolerance",
            f"{tolerance!r} is not a share of the training range; use a number >= 0 (0.1: 10% of max - min "
            "beyond each end).",
        )
    unseen = node.get("unseen_categories", "refuse")
    if unseen not in UNSEEN_CATEGORY_POLICIES:
        raise _fail(
            source, f"{where}.unseen_categories", f"{unseen!r} is not one of {', '.join(UNSEEN_CATEGORY_POLICIES)}."
        )
    ignore = node.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(c, str) and c for c in ignore):
        raise _fail(source, f"{where}.ignore", "must be a list of column names, e.g. `[age]`.")
    return TrainingRange(tolerance=tolerance, unseen_categories=str(unseen), ignore=tuple(ignore))
