"""The fast engine agrees with Evidently 0.7.23's DataDriftPreset, column by column.

Each data set is seeded and small enough for Evidently to run in about a second. The
verdicts must be equal, and so must the test, the threshold and the score (to rounding):
equal scores show that the same statistic was computed, not just that it landed on the
same side of the threshold.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.drift import detect_drift, infer_column_types
from workbench.drift.evidently_report import evidently_results

N_LARGE = 3000  # above Evidently's 1000-row bound: distance tests
N_SMALL = 400  # at most 1000 rows: p-value tests


def _assert_parity(
    reference: pl.DataFrame, current: pl.DataFrame, *, pinned: bool = False, expect_drift: bool | None = None
) -> None:
    fast = detect_drift(reference, current)
    theirs = evidently_results(reference, current, column_types=fast.column_types if pinned else None)
    assert set(theirs) == {r.column for r in fast.columns}
    for ours in fast.columns:
        other = theirs[ours.column]
        assert (ours.column, ours.stattest_display, ours.threshold) == (ours.column, other.method, other.threshold)
        assert ours.score == pytest.approx(other.score, rel=1e-9, abs=1e-12), ours.column
        assert ours.drifted == other.drifted, ours.column
    if expect_drift is not None:
        assert fast.n_drifted > 0 if expect_drift else fast.n_drifted == 0


def test_parity_categorical_columns() -> None:
    rng = np.random.default_rng(101)
    n = N_LARGE

    def frame(p: list[float], new: bool, flag_rate: float, level_shift: int) -> pl.DataFrame:
        cities = ["lyon", "oslo", "lima", "pune"] + (["new"] if new else [])
        weights = np.array(p + ([0.1] if new else []))
        return pl.DataFrame(
            {
                "city": rng.choice(cities, n, p=weights / weights.sum()),
                "plan": rng.choice(["free", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
                "level": rng.integers(0, 6 + level_shift, n),
                "flag": rng.random(n) < flag_rate,
                "tier": pl.Series(rng.choice(["a", "b", "c", "d"], n), dtype=pl.Categorical),
            }
        )

    reference = frame([0.4, 0.3, 0.2, 0.1], new=False, flag_rate=0.3, level_shift=0)
    current = frame([0.1, 0.2, 0.3, 0.4], new=True, flag_rate=0.5, level_shift=4)
    assert set(infer_column_types(current).values()) == {"cat"}
    _assert_parity(reference, current, expect_drift=True)


def test_parity_shifted_numeric_columns() -> None:
    rng = np.random.default_rng(202)
    n = N_LARGE

    def frame(shift: float) -> pl.DataFrame:
        noisy = rng.normal(shift, 1, n)
        noisy[rng.random(n) < 0.03] = np.nan
        noisy[:3] = [np.inf, -np.inf, np.inf]
        return pl.DataFrame(
            {
                "income": rng.lognormal(10 + shift, 0.5, n),
                "age": rng.integers(18, 90 + int(20 * shift), n),
                "score": rng.normal(0, 1 + shift, n),
                "noisy": noisy,
                "steady": rng.uniform(0, 1, n),
                "few": rng.choice([0.0, 0.5, 1.0, 1.5], n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else None),
                "spiky": np.where(rng.random(n) < 0.5, 0.0, rng.exponential(1 + shift, n)),
            }
        ).with_columns(pl.when(pl.int_range(n) % 37 == 0).then(None).otherwise(pl.col("score")).alias("score"))

    reference, current = frame(0.0), frame(0.5)
    assert set(infer_column_types(current).values()) == {"num"}
    _assert_parity(reference, current, expect_drift=True)


def test_parity_small_reference_uses_p_values() -> None:
    rng = np.random.default_rng(303)
    reference = pl.DataFrame(
        {
            "x": rng.normal(0, 1, N_SMALL),
            "y": rng.normal(0, 1, N_SMALL),
            "count": rng.integers(0, 50, N_SMALL),
            "few": rng.choice([1.0, 2.0, 3.0], N_SMALL),
            "binary": rng.choice([0.0, 1.0], N_SMALL),
            "colour": rng.choice(["red", "green", "blue"], N_SMALL),
            "yes": rng.random(N_SMALL) < 0.4,
        }
    )
    m = 600
    current = pl.DataFrame(
        {
            "x": rng.normal(0.4, 1, m),
            "y": rng.normal(0, 1, m),
            "count": rng.integers(5, 60, m),
            "few": rng.choice([1.0, 2.0, 3.0], m, p=[0.5, 0.3, 0.2]),
            "binary": rng.choice([0.0, 1.0], m),
            "colour": rng.choice(["red", "green", "blue", "black"], m),
            "yes": rng.random(m) < 0.6,
        }
    )
    fast = detect_drift(reference, current)
    assert {r.stattest for r in fast.columns} == {"ks", "chisquare", "z"}
    _assert_parity(reference, current, expect_drift=True)


@pytest.mark.parametrize("n", [N_SMALL, N_LARGE])
def test_parity_no_drift(n: int) -> None:
    def frame(seed: int) -> pl.DataFrame:
        rng = np.random.default_rng(seed)
        return pl.DataFrame(
            {
                "x": rng.normal(5, 2, n),
                "count": rng.integers(0, 200, n),
                "level": rng.integers(0, 4, n),
                "colour": rng.choice(["red", "green", "blue"], n),
                "yes": rng.random(n) < 0.4,
                "constant": np.full(n, 7.0),
            }
        )

    _assert_parity(frame(3), frame(4), expect_drift=False)


def test_parity_with_pinned_kinds_for_dtypes_pandas_would_change() -> None:
    # Int with nulls becomes float64 in pandas and UInt becomes uint64, which Evidently's own
    # inference does not test; with the kinds pinned both engines test the same columns alike.
    rng = np.random.default_rng(404)
    n = N_LARGE

    def frame(p: list[float]) -> pl.DataFrame:
        level = pl.Series(rng.choice(4, n, p=p), dtype=pl.Int64)
        return pl.DataFrame(
            {
                "level": level.scatter(rng.choice(n, 30, replace=False), None),
                "small": pl.Series(rng.integers(0, 5000, n), dtype=pl.UInt32),
            }
        )

    _assert_parity(frame([0.25] * 4), frame([0.1, 0.2, 0.3, 0.4]), pinned=True, expect_drift=True)


def test_kind_inference_matches_evidentlys_on_plain_dtypes() -> None:
    from evidently.core.datasets import infer_column_type

    rng = np.random.default_rng(505)
    n = 200
    frame = pl.DataFrame(
        {
            "float": rng.normal(size=n),
            "float32": pl.Series(rng.normal(size=n), dtype=pl.Float32),
            "int_low": rng.integers(0, 10, n),
            "int_high": rng.integers(0, 11, n) + np.arange(n) % 2 * 100,
            "int8": pl.Series(rng.integers(0, 3, n), dtype=pl.Int8),
            "string_cat": rng.choice(["a", "b", "c"], n),
            "string_text": [f"note {i}" for i in range(n)],
            "string_nulls": pl.Series([None if i % 2 else f"v{i % 7}" for i in range(n)]),
            "bool": rng.random(n) < 0.5,
            "categorical": pl.Series(rng.choice(["x", "y"], n), dtype=pl.Categorical),
            "date": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, 1) + pl.duration(days=n - 1), eager=True),
        }
    )
    pandas_frame = frame.to_pandas()
    # Evidently's ColumnType values are the same words: "num", "cat", "text", "datetime".
    assert infer_column_types(frame) == {c: infer_column_type(pandas_frame[c]).value for c in frame.columns}
