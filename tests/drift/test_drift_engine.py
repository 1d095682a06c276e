"""detect_drift: report shape, null handling, edge cases and errors."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from workbench.core.errors import ValidationError
from workbench.drift import DriftReport, detect_drift, infer_column_types


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_report_shape_and_json(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"x": rng.normal(size=2000), "g": rng.choice(["a", "b", "c"], 2000)})
    cur = pl.DataFrame({"x": rng.normal(1.0, size=2000), "g": rng.choice(["a", "b", "c"], 2000)})
    report = detect_drift(ref, cur)
    assert isinstance(report, DriftReport)
    assert (report.n_columns, report.n_drifted, report.drift_share) == (2, 1, 0.5)
    assert report.dataset_drift  # share >= 0.5
    assert report.drifted_columns == ("x",)
    assert report["x"].stattest == "wasserstein" and report["x"].threshold == 0.1
    assert report["g"].stattest == "jensenshannon" and report["g"].n_unique == 3
    assert report.column_types == {"x": "num", "g": "cat"}
    data = json.loads(json.dumps(report.to_dict()))
    assert data["columns"][0] == report["x"].to_dict()
    assert data["dataset_drift"] is True and data["skipped"] == {}


def test_share_threshold_is_configurable(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    cur = pl.DataFrame({"x": rng.normal(1.0, size=2000), "y": rng.normal(size=2000)})
    assert not detect_drift(ref, cur, share_threshold=0.6).dataset_drift
    with pytest.raises(ValidationError, match="share_threshold"):
        detect_drift(ref, cur, share_threshold=0)


def test_nulls_nan_and_infinities_are_dropped(rng: np.random.Generator) -> None:
    values = rng.normal(size=1500)
    dirty = pl.Series("x", [*values, None, float("nan"), float("inf"), float("-inf")])
    ref = pl.DataFrame({"x": values})
    report = detect_drift(ref, dirty.to_frame())
    assert report["x"].n_current == 1500
    assert report["x"].score == pytest.approx(0.0)
    assert not report["x"].drifted


def test_small_reference_uses_p_value_tests(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"x": rng.normal(size=500), "k": rng.integers(0, 4, 500), "b": rng.random(500) < 0.5})
    cur = pl.DataFrame({"x": rng.normal(size=500), "k": rng.integers(0, 4, 500), "b": rng.random(500) < 0.5})
    report = detect_drift(ref, cur)
    assert [r.stattest for r in report.columns] == ["ks", "chisquare", "z"]
    assert all(r.score_kind == "p_value" for r in report.columns)


def test_reference_size_counts_usable_values_only(rng: np.random.Generator) -> None:
    # 1200 rows but 300 nulls: 900 usable values, so the small-sample test applies.
    ref = pl.DataFrame({"x": [*rng.normal(size=900), *([None] * 300)]})
    cur = pl.DataFrame({"x": rng.normal(size=1200)})
    assert detect_drift(ref, cur)["x"].stattest == "ks"


def test_constant_columns(rng: np.random.Generator) -> None:
    same = detect_drift(pl.DataFrame({"c": [3.0] * 2000}), pl.DataFrame({"c": [3.0] * 2000}))
    assert same["c"].stattest == "jensenshannon" and same["c"].score == 0.0 and not same["c"].drifted
    small = detect_drift(pl.DataFrame({"c": ["k"] * 50}), pl.DataFrame({"c": ["k"] * 60}))
    assert small["c"].stattest == "z" and small["c"].score == 1.0
    # A constant reference against spread values: the std floor (0.001) makes it drift.
    spread = detect_drift(pl.DataFrame({"c": [3.0] * 2000}), pl.DataFrame({"c": rng.normal(3, 0.01, 2000)}))
    assert spread["c"].stattest == "wasserstein" and spread["c"].drifted


def test_new_category_in_current(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"g": rng.choice(["a", "b", "c"], 400)})
    cur = pl.DataFrame({"g": rng.choice(["a", "b", "c", "new"], 400)})
    report = detect_drift(ref, cur)
    assert report["g"].stattest == "chisquare" and report["g"].score == 0.0 and report["g"].drifted
    assert report["g"].n_unique == 4


def test_categorical_and_enum_dtypes_compare_by_value(rng: np.random.Generator) -> None:
    values = rng.choice(["lo", "mid", "hi"], 3000).tolist()
    ref = pl.DataFrame({"g": pl.Series(values, dtype=pl.Categorical)})
    cur = pl.DataFrame({"g": pl.Series(values[::-1], dtype=pl.Enum(["hi", "mid", "lo"]))})
    report = detect_drift(ref, cur)
    assert report["g"].column_type == "cat" and report["g"].score == pytest.approx(0.0)


def test_mixed_int_and_float_dtypes(rng: np.random.Generator) -> None:
    ints = rng.integers(0, 1000, 2000)
    report = detect_drift(pl.DataFrame({"n": ints}), pl.DataFrame({"n": ints.astype(float)}))
    assert report["n"].stattest == "wasserstein" and report["n"].score == 0.0


def test_integer_kind_follows_current_cardinality(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"n": rng.integers(0, 50, 2000)})
    low = pl.DataFrame({"n": rng.integers(0, 10, 2000)})
    assert detect_drift(ref, low)["n"].column_type == "cat"
    assert detect_drift(low, ref)["n"].column_type == "num"


def test_unsigned_and_nullable_integers_are_integers(rng: np.random.Generator) -> None:
    frame = pl.DataFrame(
        {
            "u": pl.Series(rng.integers(0, 5, 100), dtype=pl.UInt8),
            "n": pl.Series([*rng.integers(0, 5, 99), None], dtype=pl.Int64),
            "b": pl.Series([*(rng.random(99) < 0.5), None], dtype=pl.Boolean),
        }
    )
    assert infer_column_types(frame) == {"u": "cat", "n": "cat", "b": "cat"}


def test_column_types_override(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"n": rng.integers(0, 8, 3000)})
    cur = pl.DataFrame({"n": rng.integers(0, 8, 3000)})
    assert detect_drift(ref, cur)["n"].stattest == "jensenshannon"
    assert detect_drift(ref, cur, column_types={"n": "num"})["n"].stattest == "wasserstein"
    with pytest.raises(ValidationError, match="'num' or 'cat'"):
        detect_drift(ref, cur, column_types={"n": "text"})
    with pytest.raises(ValidationError, match="not compared"):
        detect_drift(ref, cur, column_types={"missing": "cat"})
    strings = pl.DataFrame({"n": ["a"] * 10})
    with pytest.raises(ValidationError, match="cannot take"):
        detect_drift(strings, strings, column_types={"n": "num"})


def test_text_columns_need_a_decision(rng: np.random.Generator) -> None:
    ids = pl.DataFrame({"id": [f"row-{i}" for i in range(200)], "x": rng.normal(size=200)})
    with pytest.raises(ValidationError, match=r"free text.*column_types=\{'id': 'cat'\}") as caught:
        detect_drift(ids, ids)
    assert caught.value.details == {"text_columns": ["id"]}
    assert detect_drift(ids, ids, columns=["x"]).n_columns == 1
    assert detect_drift(ids, ids, column_types={"id": "cat"})["id"].stattest == "chisquare"


def test_datetime_columns_are_skipped_like_evidently(rng: np.random.Generator) -> None:
    frame = pl.DataFrame({"when": [dt.date(2024, 1, 1)] * 50, "x": rng.normal(size=50)})
    report = detect_drift(frame, frame)
    assert report.n_columns == 1
    assert dict(report.skipped).keys() == {"when"}
    with pytest.raises(ValidationError, match="No column can be tested"):
        detect_drift(frame.select("when"), frame.select("when"))


@pytest.mark.parametrize(
    "empty",
    [
        pl.Series("x", [None] * 20, dtype=pl.Float64),
        pl.Series("x", [float("nan")] * 20),
        pl.Series("x", [None] * 20, dtype=pl.Null),
        pl.Series("x", [None] * 20, dtype=pl.String),
    ],
)
def test_all_null_columns_are_an_error(rng: np.random.Generator, empty: pl.Series) -> None:
    good = pl.DataFrame({"x": rng.normal(size=20), "y": rng.normal(size=20)})
    bad = good.with_columns(empty)
    with pytest.raises(ValidationError, match=r"no values to compare.*x \(current\)"):
        detect_drift(good, bad)
    with pytest.raises(ValidationError, match=r"x \(reference\)"):
        detect_drift(bad, good)
    assert detect_drift(good, bad, columns=["y"]).n_columns == 1


def test_mismatched_columns_are_an_error(rng: np.random.Generator) -> None:
    ref = pl.DataFrame({"a": rng.normal(size=10), "b": rng.normal(size=10)})
    cur = pl.DataFrame({"a": rng.normal(size=10), "c": rng.normal(size=10)})
    with pytest.raises(ValidationError, match=r"only in reference: \['b'\]; only in current: \['c'\]"):
        detect_drift(ref, cur)
    assert detect_drift(ref, cur, columns=["a"]).n_columns == 1
    with pytest.raises(ValidationError, match="missing"):
        detect_drift(ref, cur, columns=["a", "b"])
    with pytest.raises(ValidationError, match="more than once"):
        detect_drift(ref, cur, columns=["a", "a"])


def test_empty_frames_are_an_error() -> None:
    frame = pl.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValidationError, match="current frame is empty"):
        detect_drift(frame, frame.clear())
    with pytest.raises(ValidationError, match="reference frame has no columns"):
        detect_drift(pl.DataFrame(), frame)
    with pytest.raises(ValidationError, match="polars DataFrame"):
        detect_drift(frame.lazy(), frame)  # type: ignore[arg-type]


def test_incompatible_dtypes_are_an_error() -> None:
    with pytest.raises(ValidationError, match="incompatible dtypes"):
        detect_drift(pl.DataFrame({"a": [1.0, 2.0]}), pl.DataFrame({"a": ["1", "2"]}))


def test_scores_are_plain_floats(rng: np.random.Generator) -> None:
    report = detect_drift(pl.DataFrame({"x": rng.normal(size=50)}), pl.DataFrame({"x": rng.normal(size=50)}))
    assert type(report["x"].score) is float and math.isfinite(report["x"].score)


def test_import_is_light() -> None:
    heavy = ["evidently", "pandas", "matplotlib", "xgboost", "shap", "dask", "scipy"]
    code = f"import sys, workbench.drift; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
