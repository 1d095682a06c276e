"""Routing: every route and decision, rule precedence, and the validation of a policy's routing section."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.contracts.training_range import TrainingRange
from workbench.core.errors import PolicyError, ValidationError
from workbench.scoring.routing import DEFAULT_LABELS, GUARD_RULE, LEANINGS, Routing, parse_routing

FRAME = pl.DataFrame(
    {
        "transcript_complete": [1, 1, 1, 0, 1, 1, 0],
        "first_generation": [0, 0, 0, 0, 1, 1, 1],
    }
)
SCORES = pl.Series("score", [0.9, 0.1, 0.5, 0.9, 0.4, 0.1, float("nan")], dtype=pl.Float32)
POLICY = {
    "thresholds": {"accept": 0.7, "decline": 0.3},
    "rules": [
        {"name": "missing_transcript", "when": "transcript_complete = 0"},
        {"name": "first_gen_borderline", "when": "score < 0.5 AND first_generation = 1"},
    ],
}


def route(routing: Routing, frame: pl.DataFrame, score: pl.Series, outside: np.ndarray | None = None) -> pl.DataFrame:
    """:meth:`Routing.codes` for ``frame`` scored ``score``, as the labels the codes index."""
    codes = routing.codes(score.to_numpy(), frame if routing.rules else None, outside)
    rules = [*routing.rule_names, None]
    return pl.DataFrame(
        {
            "decision": [routing.decision_labels[c] for c in codes.decision],
            "route": [routing.route_labels[c] for c in codes.route],
            "rule": [rules[c] for c in codes.rule],
            "leaning": [LEANINGS[c] for c in codes.leaning],
        },
        schema=dict.fromkeys(("decision", "route", "rule", "leaning"), pl.String),
    )


def test_every_route_and_decision() -> None:
    routed = route(parse_routing(POLICY, "policy.yaml"), FRAME, SCORES)
    assert routed.columns == ["decision", "route", "rule", "leaning"]
    assert routed["decision"].to_list() == [
        "auto_accept",  # above accept: the model decides
        "auto_decline",  # below decline: the model decides
        "review",  # between the thresholds: a human decides
        "review",  # a rule fires over a confident score
        "review",  # the second rule
        "review",  # the second rule over a confident decline
        "review",  # the first rule wins when several fire, NaN or not
    ]
    assert routed["route"].to_list() == [
        "model",
        "model",
        "human",
        "rule:missing_transcript",
        "rule:first_gen_borderline",
        "rule:first_gen_borderline",
        "rule:missing_transcript",
    ]
    assert routed["rule"].to_list() == [
        None,
        None,
        None,
        "missing_transcript",
        *["first_gen_borderline"] * 2,
        "missing_transcript",
    ]
    assert routed["leaning"].to_list() == ["accept", "decline", "accept", "accept", "decline", "decline", "none"]


def test_rules_may_decide_and_labels_may_be_renamed() -> None:
    routing = parse_routing(
        {
            "thresholds": {"accept": 0.7, "decline": 0.3, "lean": 0.6},
            "labels": {"accept": "admit", "decline": "reject", "review": "refer"},
            "rules": [{"name": "incomplete", "when": "transcript_complete = 0", "decision": "decline"}],
        }
    )
    routed = route(routing, FRAME, SCORES)
    assert routed["decision"].to_list() == ["admit", "reject", "refer", "reject", "refer", "reject", "reject"]
    assert routed["route"][3] == "rule:incomplete" and routed["route"][2] == "human"
    assert routed["leaning"][2] == "decline"  # 0.5 is below the explicit lean of 0.6


def test_one_threshold_sends_the_rest_to_review() -> None:
    only_accept = route(parse_routing({"thresholds": {"accept": 0.7}}), FRAME, SCORES)
    assert only_accept["decision"].to_list()[:3] == ["auto_accept", "review", "review"]
    only_decline = route(parse_routing({"thresholds": {"decline": 0.3}}), FRAME, SCORES)
    assert only_decline["decision"].to_list()[:3] == ["review", "auto_decline", "review"]


def test_without_a_routing_section_the_model_decides_at_one_half() -> None:
    routing = parse_routing(None)
    assert routing == Routing() and routing.labels == DEFAULT_LABELS
    routed = route(routing, FRAME, SCORES)
    assert routed["decision"].to_list()[:3] == ["auto_accept", "auto_decline", "auto_accept"]
    assert set(routed["route"].to_list()[:6]) == {"model"}
    assert routed["decision"][6] == "review"  # a NaN score is nobody's decision


def test_a_rule_that_is_null_does_not_fire() -> None:
    frame = pl.DataFrame({"transcript_complete": [None, 1]}, schema={"transcript_complete": pl.Int8})
    routed = route(
        parse_routing({"rules": [{"name": "t", "when": "transcript_complete = 0"}]}),
        frame,
        pl.Series("score", [0.9, 0.9], dtype=pl.Float32),
    )
    assert routed["route"].to_list() == ["model", "model"]


def test_round_trip_through_a_dict() -> None:
    routing = parse_routing(POLICY)
    again = parse_routing(routing.to_dict())
    assert again.to_dict() == routing.to_dict() and again.columns == ("transcript_complete", "first_generation")


@pytest.mark.parametrize(
    ("policy", "key", "text"),
    [
        ({"treshold": {}}, "routing.treshold", "Did you mean `thresholds`"),
        ({"thresholds": {"accept": "high"}}, "routing.thresholds.accept", "must be a number"),
        ({"thresholds": {"accept": 0.3, "decline": 0.7}}, "routing.thresholds.decline", "above accept"),
        ({"thresholds": {}}, "routing.thresholds", "give `accept`, `decline` or both"),
        ({"labels": {"accept": "x y"}}, "routing.labels.accept", "not a label"),
        ({"labels": {"accept": "review"}}, "routing.labels", "must differ"),
        ({"rules": {"name": "x"}}, "routing.rules", "must be a list"),
        ({"rules": [{"name": "x"}]}, "routing.rules[0].when", "SQL condition"),
        ({"rules": [{"when": "a = 1"}]}, "routing.rules[0].name", "not a rule name"),
        ({"rules": [{"name": "a", "when": "a = 1"}, {"name": "a", "when": "a = 2"}]}, "routing.rules[1].name", "twice"),
        ({"rules": [{"name": "a", "when": "a = 1", "decision": "maybe"}]}, "routing.rules[0].decision", "not one of"),
        ({"rules": [{"name": "a", "when": "a = 1", "then": "review"}]}, "routing.rules[0].then", "unknown key"),
        ({"rules": [{"name": "a", "when": "a ==== 1 ((("}]}, "routing.rules[0].when", "cannot|not a SQL"),
    ],
)
def test_bad_routing_names_the_file_and_key(policy: dict[str, object], key: str, text: str) -> None:
    with pytest.raises(PolicyError, match=text) as raised:
        parse_routing(policy, "pipelines/admissions/policy.yaml")
    assert raised.value.message.startswith(f"pipelines/admissions/policy.yaml: `{key}`")
    assert raised.value.details["key"] == key


def test_rules_are_parsed_as_sql_never_evaluated_as_python() -> None:
    with pytest.raises(PolicyError, match=r"routing.rules\[0\].when"):
        parse_routing({"rules": [{"name": "evil", "when": "__import__('os').system('touch /tmp/pwned')"}]})


def test_a_rule_reading_a_missing_column_is_refused_before_scoring() -> None:
    routing = parse_routing({"rules": [{"name": "needs_essay", "when": "essay_words < 100"}]})
    with pytest.raises(ValidationError, match=r"'needs_essay'.*\['essay_words'\]"):
        routing.check_columns(["gpa", "score"])


def test_a_rule_must_be_a_row_wise_condition() -> None:
    scores = pl.Series("score", [0.5, 0.6], dtype=pl.Float32)
    frame = pl.DataFrame({"gpa": [3.0, 2.0]})
    not_boolean = parse_routing({"rules": [{"name": "sum", "when": "gpa + 1"}]})
    with pytest.raises(ValidationError, match="not a true/false value"):
        route(not_boolean, frame, scores)
    aggregate = parse_routing({"rules": [{"name": "avg", "when": "AVG(gpa) > 1"}]})
    with pytest.raises(ValidationError, match="row-wise"):
        route(aggregate, frame, scores)


def test_a_rule_may_read_only_the_score() -> None:
    routing = parse_routing(
        {"thresholds": {"accept": 0.7, "decline": 0.3}, "rules": [{"name": "sure", "when": "score > 0.85"}]}
    )
    assert routing.columns == ()
    routed = route(routing, FRAME, SCORES)
    fired = (SCORES > 0.85).to_list()  # polars orders NaN above every number
    assert routed["rule"].to_list() == ["sure" if f else None for f in fired]
    assert [d for d, f in zip(routed["decision"].to_list(), fired, strict=True) if f] == ["review"] * sum(fired)


# --- the guard: rows outside the training range ------------------------------------------


def test_the_guard_overrides_thresholds_and_every_rule() -> None:
    routing = parse_routing(
        {
            "thresholds": {"accept": 0.7, "decline": 0.3},
            "rules": [{"name": "everyone", "when": "transcript_complete >= 0", "decision": "accept"}],
        }
    )
    outside = np.array([True, True, False, False, False, False, True])
    routed = route(routing, FRAME, SCORES, outside)
    assert routed["decision"].to_list() == ["review", "review", *["auto_accept"] * 4, "review"]
    assert routed["route"].to_list() == [
        "rule:outside_training_range",
        "rule:outside_training_range",
        *["rule:everyone"] * 4,
        "rule:outside_training_range",
    ]
    assert routed["rule"].to_list()[:2] == ["outside_training_range"] * 2
    # The model's leaning is kept for the reviewer.
    assert routed["leaning"].to_list()[:2] == ["accept", "decline"]
    assert routing.route_labels[-1] == "rule:outside_training_range" and routing.rule_names[-1] == GUARD_RULE


def test_the_guard_is_on_without_a_policy_and_its_settings_round_trip() -> None:
    assert parse_routing(None).guard == TrainingRange() == parse_routing({"thresholds": {"accept": 0.6}}).guard
    routing = parse_routing(
        {"outside_training_range": {"tolerance": 0.1, "unseen_categories": "review", "ignore": ["age", "gpa"]}}
    )
    assert routing.guard == TrainingRange(0.1, "review", ("age", "gpa"))
    assert routing.to_dict()["outside_training_range"] == {
        "tolerance": 0.1,
        "unseen_categories": "review",
        "ignore": ["age", "gpa"],
    }
    assert parse_routing(routing.to_dict()) == routing
    assert parse_routing({"outside_training_range": None}).guard == TrainingRange()


@pytest.mark.parametrize(
    ("policy", "key", "text"),
    [
        ({"outside_training_range": False}, "routing.outside_training_range", "cannot be turned off"),
        ({"outside_training_range": "off"}, "routing.outside_training_range", "must be a mapping"),
        ({"outside_training_range": {"enabled": False}}, "routing.outside_training_range.enabled", "unknown key"),
        ({"outside_training_range": {"tolerance": -1}}, "routing.outside_training_range.tolerance", "number >= 0"),
        ({"outside_training_range": {"tolerance": "5%"}}, "routing.outside_training_range.tolerance", "a number"),
        (
            {"outside_training_range": {"unseen_categories": "allow"}},
            "routing.outside_training_range.unseen_categories",
            "not one of refuse, review",
        ),
        ({"outside_training_range": {"ignore": "age"}}, "routing.outside_training_range.ignore", "list of column"),
        (
            {"rules": [{"name": "outside_training_range", "when": "a = 1"}]},
            "routing.rules[0].name",
            "built-in rule",
        ),
    ],
)
def test_bad_guard_settings_name_the_file_and_key(policy: dict[str, object], key: str, text: str) -> None:
    with pytest.raises(PolicyError, match=text) as raised:
        parse_routing(policy, "pipelines/admissions/policy.yaml")
    assert raised.value.message.startswith(f"pipelines/admissions/policy.yaml: `{key}`")
