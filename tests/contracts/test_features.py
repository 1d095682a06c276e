"""feature_matrix: the contract's encoding, and that a model trained on it predicts the same on scoring data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.contracts import derive_contract, feature_matrix
from workbench.core.errors import ValidationError


def test_numeric_features_become_a_c_contiguous_float32_matrix_in_contract_order() -> None:
    frame = pl.DataFrame({"a": [1, None, 3], "b": [0.5, float("nan"), 2.5], "c": [True, False, None], "y": [0, 1, 0]})
    contract = derive_contract(frame, target="y", features=["b", "a", "c"])

    matrix = feature_matrix(frame, contract)

    assert matrix.dtype == np.float32
    assert matrix.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(matrix, np.array([[0.5, 1, 1], [np.nan, np.nan, 0], [2.5, 3, np.nan]], np.float32))


def test_categories_encode_as_their_index_in_the_contract_whatever_the_input_dtype() -> None:
    train = pl.DataFrame(
        {
            "program": pl.Series(["med", "law", "eng"], dtype=pl.Categorical),
            "track": pl.Series(["b", "a", "b"], dtype=pl.Enum(["b", "a"])),
        }
    )
    contract = derive_contract(train)
    assert contract.column("program").categories == ("eng", "law", "med")

    as_strings = pl.DataFrame({"program": ["law", "eng", None, "art"], "track": ["a", "b", "b", None]})
    as_enums = as_strings.with_columns(
        pl.col("program").cast(pl.Enum(["med", "law", "eng", "art"])),  # a different Enum: mapped by value
        pl.col("track").cast(pl.Enum(["b", "a"])),  # the training Enum: physical codes used directly
    )
    expected = np.array([[1, 1], [0, 0], [np.nan, 0], [np.nan, np.nan]], np.float32)
    np.testing.assert_array_equal(feature_matrix(as_strings, contract), expected)
    np.testing.assert_array_equal(feature_matrix(as_enums, contract), expected)


def test_an_empty_frame_gives_an_empty_float32_matrix() -> None:
    contract = derive_contract(pl.DataFrame({"a": [1.0], "b": ["x"]}))
    matrix = feature_matrix(pl.DataFrame({"a": [], "b": []}, schema={"a": pl.Float64, "b": pl.String}), contract)
    assert matrix.shape == (0, 2)
    assert matrix.dtype == np.float32


def test_a_missing_feature_is_refused() -> None:
    contract = derive_contract(pl.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(ValidationError, match=r"lacks feature column\(s\) \['b'\]"):
        feature_matrix(pl.DataFrame({"a": [1.0]}), contract)


def test_a_model_trained_on_the_matrix_scores_string_input_with_inplace_predict() -> None:
    import xgboost

    rng = np.random.default_rng(7)
    programs = np.array(["eng", "law", "med", "art"])
    train = pl.DataFrame(
        {
            "x": rng.normal(size=400),
            "program": pl.Series(programs[rng.integers(0, 4, 400)]).cast(pl.Categorical),
        }
    ).with_columns(y=((pl.col("x") > 0) ^ (pl.col("program") == "law")).cast(pl.Int8))
    contract = derive_contract(train, target="y")
    dtrain = xgboost.DMatrix(
        feature_matrix(train, contract),
        label=train.get_column("y").to_numpy(),
        feature_names=list(contract.features),
        feature_types=contract.feature_types(),
        enable_categorical=True,
    )
    booster = xgboost.train({"max_depth": 3, "objective": "binary:logistic"}, dtrain, num_boost_round=10)

    scoring = train.head(50).with_columns(pl.col("program").cast(pl.String))  # as read back from Parquet
    fast = booster.inplace_predict(feature_matrix(scoring, contract))
    reference = booster.predict(dtrain)[:50]

    np.testing.assert_allclose(fast, reference, rtol=1e-6)
    assert ((fast > 0.5) == train.head(50).get_column("y").to_numpy().astype(bool)).mean() > 0.95
