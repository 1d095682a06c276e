"""assess_fairness: values checked by hand and against fairlearn's own functions, and clear refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from workbench.core.errors import ValidationError
from workbench.core.hashing import canonical_json
from workbench.fairness import MISSING_GROUP, assess_fairness, fairness_report


def _frame() -> pl.DataFrame:
    # group A: labels 1 1 0 0, scores .9 .4 .6 .1 -> predictions at 0.5: 1 0 1 0
    # group B: labels 1 0 0 0, scores .8 .7 .6 .3 -> predictions at 0.5: 1 1 1 0
    return pl.DataFrame(
        {
            "y": [1, 1, 0, 0, 1, 0, 0, 0],
            "score": [0.9, 0.4, 0.6, 0.1, 0.8, 0.7, 0.6, 0.3],
            "sex": ["A", "A", "A", "A", "B", "B", "B", "B"],
            "first_gen": [True, False, True, False, True, False, True, False],
        }
    )


def test_values_match_a_hand_computation() -> None:
    report = assess_fairness(_frame(), target="y", scores="score", sensitive=["sex"])
    sex = report.column("sex")

    a, b = sex.groups
    # A: selected 2 of 4; TPR = 1 of 2 positives; FPR = 1 of 2 negatives.
    assert (a.group, a.count, a.positives, a.negatives) == ("A", 4, 2, 2)
    assert (a.selection_rate, a.tpr, a.fpr) == (0.5, 0.5, 0.5)
    # B: selected 3 of 4; TPR = 1 of 1; FPR = 2 of 3.
    assert (b.group, b.count, b.positives, b.negatives) == ("B", 4, 1, 3)
    assert (b.selection_rate, b.tpr) == (0.75, 1.0)
    assert b.fpr == pytest.approx(2 / 3)
    assert sex.demographic_parity_difference == pytest.approx(0.25)
    assert sex.demographic_parity_ratio == pytest.approx(0.5 / 0.75)
    # max(|TPR_A - TPR_B|, |FPR_A - FPR_B|) = max(0.5, 1/6)
    assert sex.equalized_odds_difference == pytest.approx(0.5)
    assert sex.notes == ()
    assert report.threshold == 0.5
    assert report.rows == 8


def test_the_threshold_moves_the_predictions() -> None:
    # At 0.65: A predicts 1 0 0 0, B predicts 1 1 0 0.
    sex = assess_fairness(_frame(), target="y", scores="score", sensitive=["sex"], threshold=0.65).column("sex")
    a, b = sex.groups
    assert (a.selection_rate, a.tpr, a.fpr) == (0.25, 0.5, 0.0)
    assert (b.selection_rate, b.tpr) == (0.5, 1.0)
    assert b.fpr == pytest.approx(1 / 3)
    assert sex.demographic_parity_difference == pytest.approx(0.25)
    assert sex.demographic_parity_ratio == pytest.approx(0.5)
    assert sex.equalized_odds_difference == pytest.approx(0.5)


def test_agrees_with_fairlearn_functions_on_random_data() -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    rng = np.random.default_rng(11)
    frame = pl.DataFrame(
        {
            "y": rng.integers(0, 2, 2000),
            "group": np.array(["a", "b", "c"])[rng.integers(0, 3, 2000)],
        }
    )
    scores = rng.random(2000) * 0.6 + (frame.get_column("group") == "a").to_numpy() * 0.3
    column = assess_fairness(frame, target="y", scores=scores, sensitive="group").column("group")

    y, pred, groups = (
        frame.get_column("y").to_numpy(),
        (scores >= 0.5).astype(int),
        frame.get_column("group").to_numpy(),
    )
    assert column.demographic_parity_difference == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=groups)
    )
    assert column.demographic_parity_ratio == pytest.approx(
        demographic_parity_ratio(y, pred, sensitive_features=groups)
    )
    assert column.equalized_odds_difference == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=groups)
    )
    assert sum(g.count for g in column.groups) == 2000


def test_several_columns_scores_as_array_or_series_and_boolean_labels() -> None:
    frame = _frame().with_columns(pl.col("y").cast(pl.Boolean))
    from_array = assess_fairness(frame, target="y", scores=_frame()["score"].to_numpy(), sensitive=["sex", "first_gen"])
    from_series = assess_fairness(frame, target="y", scores=_frame()["score"], sensitive=["sex", "first_gen"])
    assert from_array == from_series
    assert [c.column for c in from_array.columns] == ["sex", "first_gen"]
    assert [g.group for g in from_array.column("first_gen").groups] == ["false", "true"]
    table = from_array.to_frame()
    assert table.columns == ["column", "group", "count", "positives", "negatives", "selection_rate", "tpr", "fpr"]
    assert table.height == 4


def test_nulls_form_their_own_group_and_undefined_rates_are_noted() -> None:
    frame = _frame().with_columns(pl.Series("sex", ["A", "A", "A", "A", "B", "B", None, None]))
    sex = assess_fairness(frame, target="y", scores="score", sensitive=["sex"]).column("sex")
    missing = next(g for g in sex.groups if g.group == MISSING_GROUP)
    assert (missing.count, missing.positives) == (2, 0)
    assert sex.notes == (f"group {MISSING_GROUP!r} has no positive labels; its TPR is undefined (reported as 0)",)


def test_to_dict_is_canonical_json_even_when_nobody_is_selected() -> None:
    report = assess_fairness(_frame(), target="y", scores="score", sensitive=["sex"], threshold=0.95)
    sex = report.column("sex")
    assert sex.demographic_parity_ratio is None
    assert "no group has any positive prediction" in sex.notes[-1]
    data = json.loads(canonical_json(report.to_dict()))
    assert data["columns"][0]["groups"][0]["selection_rate"] == 0.0


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ({}, {"sensitive": ["race"]}, "sensitive column 'race' is not in the frame"),
        ({"sex": ["A"] * 8}, {}, "sensitive column 'sex' has a single group ('A')"),
        ({"sex": [None] * 8}, {}, "'sex' holds only null/NaN values"),
        ({"sex": [float("nan")] * 8}, {}, "'sex' holds only null/NaN values"),
        ({"y": [0, 1, 2, 0, 1, 0, 0, 0]}, {}, "must hold 0/1"),
        ({"y": [None, 1, 0, 0, 1, 0, 0, 0]}, {}, "has 1 null value(s)"),
        ({}, {"target": "label"}, "target column 'label' is not in the frame"),
        ({}, {"scores": "proba"}, "score column 'proba' is not in the frame"),
        ({}, {"scores": np.zeros(3)}, "Expected 8 scores"),
        ({}, {"scores": np.full(8, np.nan)}, "NaN or infinite"),
        ({}, {"threshold": float("nan")}, "threshold must be a finite number"),
        ({}, {"sensitive": []}, "at least one sensitive column"),
    ],
)
def test_bad_input_is_refused_clearly(change: dict, kwargs: dict, message: str) -> None:
    frame = _frame().with_columns(pl.Series(name, values) for name, values in change.items())
    arguments = {"target": "y", "scores": "score", "sensitive": ["sex"], **kwargs}
    with pytest.raises(ValidationError) as info:
        assess_fairness(frame, **arguments)
    assert message in info.value.message


def test_an_empty_frame_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        assess_fairness(_frame().clear(), target="y", scores="score", sensitive=["sex"])


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, workbench.fairness; "
        "print(sorted(m for m in ('xgboost', 'shap', 'fairlearn', 'pandas', 'sklearn', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fairness_report_takes_arrays_of_labels_and_decisions() -> None:
    frame = _frame()
    decisions = (frame.get_column("score") >= 0.5).cast(pl.Int8)
    from_arrays = fairness_report(frame.get_column("y").to_numpy(), decisions, frame.get_column("sex"))
    from_frame = assess_fairness(frame, target="y", scores="score", sensitive=["sex"]).column("sex")
    assert from_arrays == from_frame
    assert fairness_report([1, 0, 1], [1, 1, 0], ["a", "b", "b"], column="group").column == "group"
    with pytest.raises(ValidationError, match="different lengths"):
        fairness_report([1, 0], [1, 0, 1], ["a", "b", "b"])
    with pytest.raises(ValidationError, match="y_pred must hold 0/1"):
        fairness_report([1, 0], [0.7, 0.2], ["a", "b"])
