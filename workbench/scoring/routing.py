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

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import polars as pl
from pydantic import AfterValidator, Field, StrictFloat, StrictStr

from workbench.contracts.training_range import UNSEEN_CATEGORY_POLICIES, TrainingRange
from workbench.core.errors import PolicyError, ValidationError
from workbench.core.shapes import Shape, ShapeError, check, described, dotted, invalid, one_of
from workbench.core.yaml_text import line_of

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
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
_RULE_COLUMN = "__wb_rule_{}"
LEANINGS = ("accept", "decline", "none")


_Fail = Callable[[tuple[str | int, ...], str], PolicyError]


def _failure(source: str, document: Any) -> _Fail:
    """Errors that name ``source``, the line in ``document`` (the policy's round-trip YAML, when
    given) and the dotted key, e.g. ``policy.yaml:12: `routing.rules[0].when`: ...``."""

    def fail(path: tuple[str | int, ...], message: str) -> PolicyError:
        line = line_of(document, path) if document is not None else None
        where = f"{source}:{line}" if line else source
        key = dotted(path)
        return PolicyError(f"{where}: `{key}`: {message}", details={"file": source, "line": line, "key": key})

    return fail


def _pattern(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def _check(value: str) -> str:
        if not pattern.match(value):
            raise invalid(f"{value!r} is not {what}; use letters, digits, '_', '.', '-'.")
        return value

    return AfterValidator(_check)


def _condition(value: str) -> str:
    if not value.strip():
        raise invalid("must be a SQL condition such as `transcript_complete = 0`.")
    return value.strip()


class _Thresholds(Shape):
    accept: StrictFloat | None = None
    decline: StrictFloat | None = None
    lean: StrictFloat | None = None


_Label = Annotated[StrictStr, _pattern(_LABEL, "a label")]


class _Labels(Shape):
    accept: _Label | None = None
    decline: _Label | None = None
    review: _Label | None = None


class _Rule(Shape):
    name: Annotated[StrictStr, _pattern(_NAME, "a rule name")] = Field(default="", validate_default=True)
    when: Annotated[StrictStr, AfterValidator(_condition)] = Field(default="", validate_default=True)
    decision: Annotated[StrictStr, one_of(*OUTCOMES)] = "review"
    description: StrictStr = ""


class _Guard(Shape):
    tolerance: Annotated[
        StrictFloat,
        Field(ge=0, allow_inf_nan=False),
        described("a share of the training range: a number >= 0 (0.1: 10% of max - min beyond each end)"),
    ] = 0.0
    unseen_categories: Annotated[StrictStr, one_of(*UNSEEN_CATEGORY_POLICIES)] = "refuse"
    ignore: Annotated[
        list[Annotated[StrictStr, Field(min_length=1)]], described("a list of column names, e.g. `[age]`")
    ] = Field(default_factory=list)


class _RoutingSection(Shape):
    thresholds: _Thresholds | None = None
    labels: _Labels = _Labels()
    rules: list[_Rule] = Field(default_factory=list)
    outside_training_range: _Guard = _Guard()


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


def parse_routing(data: Mapping[str, Any] | None, source: str = "routing policy", *, document: Any = None) -> Routing:
    """Validate a policy's ``routing`` section; errors name ``source`` and the offending key, and its
    line when ``document`` is the policy's round-trip YAML (the policy loader checks it so)."""
    if not data:
        return Routing()
    fail = _failure(source, document)
    if isinstance(data, Mapping) and data.get(GUARD_RULE) is False:
        raise fail(
            ("routing", GUARD_RULE),
            "the guard cannot be turned off; list the columns whose out-of-range values the model may decide "
            "under `ignore`.",
        )
    try:
        shape = check(_RoutingSection, data, document=document, prefix=("routing",))
    except ShapeError as exc:
        raise fail(exc.problem.path, exc.problem.message) from None
    accept, decline = (0.5, 0.5) if shape.thresholds is None else (shape.thresholds.accept, shape.thresholds.decline)
    if accept is None and decline is None:
        raise fail(("routing", "thresholds"), "give `accept`, `decline` or both (scores between go to review).")
    if accept is not None and decline is not None and decline > accept:
        raise fail(
            ("routing", "thresholds", "decline"),
            f"{decline:g} is above accept ({accept:g}); scores below decline are declined, scores at or above "
            "accept are accepted, and the band between goes to review.",
        )
    present = [t for t in (accept, decline) if t is not None]
    lean = shape.thresholds.lean if shape.thresholds is not None else None
    given = shape.labels.model_dump(exclude_none=True)
    labels = {**DEFAULT_LABELS, **given}
    if len(set(labels.values())) != len(labels):
        raise fail(("routing", "labels"), f"the three labels must differ, got {labels}.")
    rules: list[RoutingRule] = []
    for index, rule in enumerate(shape.rules):
        rules.append(_compile_rule(fail, ("routing", "rules", index), rule, {r.name for r in rules}))
    guard = shape.outside_training_range
    return Routing(
        accept=accept,
        decline=decline,
        lean=sum(present) / len(present) if lean is None else lean,
        labels=labels,
        rules=tuple(rules),
        guard=TrainingRange(
            tolerance=guard.tolerance, unseen_categories=guard.unseen_categories, ignore=tuple(guard.ignore)
        ),
    )


def _compile_rule(
    fail: Callable[[tuple[str | int, ...], str], PolicyError],
    where: tuple[str | int, ...],
    rule: _Rule,
    names: set[str],
) -> RoutingRule:
    """A declared rule whose name is new and whose condition polars parses as SQL (never ``eval``)."""
    if rule.name in names:
        raise fail((*where, "name"), f"rule {rule.name!r} is defined twice; rule names must be unique.")
    if rule.name == GUARD_RULE:
        raise fail(
            (*where, "name"),
            f"{GUARD_RULE!r} is the built-in rule for rows outside the training range; name your rule differently "
            f"(its settings go under `routing.{GUARD_RULE}`).",
        )
    try:
        expr = pl.sql_expr(rule.when)
    except Exception as exc:  # polars raises several SQL error types; all mean "does not parse"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise fail((*where, "when"), f"{rule.when!r} is not a SQL condition polars can parse ({first}).") from None
    if not isinstance(expr, pl.Expr):
        raise fail((*where, "when"), "must be one condition, not a list.")
    return RoutingRule(rule.name, rule.when, rule.decision, rule.description, expr)
