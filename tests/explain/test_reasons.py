"""top_k_reasons: the right features in the right order, nulls for no reason, both code paths."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.core.errors import ValidationError
from workbench.explain import reason_columns, top_k_reasons

NAMES = ["age", "gpa", "essay", "income"]


def test_a_hand_made_example() -> None:
    contribs = np.array(
        [
            [0.1, -2.0, 0.5, 0.0],
            [0.0, 0.0, 0.0, 0.3],
        ],
        dtype=np.float32,
    )
    frame = top_k_reasons(contribs, NAMES, 3)

    assert frame.columns == reason_columns(3)
    assert frame.schema["reason_1"] == pl.String
    assert frame.schema["reason_1_value"] == pl.Float32
    assert frame.row(0) == ("gpa", -2.0, "essay", 0.5, "age", pytest.approx(0.1))
    # A zero contribution is no reason.
    assert frame.row(1) == ("income", pytest.approx(0.3), None, None, None, None)


def test_directions() -> None:
    contribs = np.array([[0.1, -2.0, 0.5, -0.2]], dtype=np.float32)
    positive = top_k_reasons(contribs, NAMES, 2, by="positive")
    negative = top_k_reasons(contribs, NAMES, 2, by="negative")
    assert positive.row(0) == ("essay", 0.5, "age", pytest.approx(0.1))
    assert negative.row(0) == ("gpa", -2.0, "income", pytest.approx(-0.2))
    only_down = top_k_reasons(np.array([[-1.0, 0.0, 0.0, 0.0]], np.float32), NAMES, 2, by="positive")
    assert only_down.row(0) == (None, None, None, None)


@pytest.mark.parametrize("k", [1, 3, 4, 6, 12, 20])
def test_matches_a_full_sort_on_random_contributions(k: int) -> None:
    # k up to 4 takes the argmax path; larger k the argpartition path; 20 > 12 features pads with nulls.
    rng = np.random.default_rng(k)
    names = [f"f{i}" for i in range(12)]
    contribs = rng.normal(size=(2000, 12)).astype(np.float32)
    frame = top_k_reasons(contribs, names, k)

    used = min(k, 12)
    order = np.argsort(-np.abs(contribs), axis=1, kind="stable")[:, :used]
    expected_values = np.take_along_axis(contribs, order, axis=1)
    for j in range(used):
        np.testing.assert_array_equal(frame.get_column(f"reason_{j + 1}_value").to_numpy(), expected_values[:, j])
        got_names = frame.get_column(f"reason_{j + 1}").to_list()
        assert got_names == [names[i] for i in order[:, j]]
    for j in range(used, k):
        assert frame.get_column(f"reason_{j + 1}").null_count() == 2000
        assert frame.get_column(f"reason_{j + 1}_value").null_count() == 2000


def test_ties_and_nan_do_not_break_it() -> None:
    contribs = np.array([[1.0, 1.0, np.nan, 0.5]], dtype=np.float32)
    frame = top_k_reasons(contribs, NAMES, 3)
    assert sorted(frame.row(0)[0:3:2]) == ["age", "gpa"]
    assert frame.row(0)[4] == "income"


def test_no_rows_give_an_empty_frame_with_the_columns() -> None:
    frame = top_k_reasons(np.empty((0, 4), np.float32), NAMES, 2)
    assert frame.shape == (0, 4)
    assert frame.columns == reason_columns(2)


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="k must be at least 1"):
        top_k_reasons(np.zeros((1, 4)), NAMES, 0)
    with pytest.raises(ValidationError, match="Unknown reason direction 'up'"):
        top_k_reasons(np.zeros((1, 4)), NAMES, 1, by="up")
    with pytest.raises(ValidationError, match="do not match 3 feature names"):
        top_k_reasons(np.zeros((1, 4)), NAMES[:3], 1)
