"""DriftBaseline: a reference prepared once gives detect_drift's report for every current frame."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.core.errors import ValidationError
from workbench.drift import DriftBaseline, detect_drift


def _frame(n: int, seed: int, *, shift: float = 0.0, new_level: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    levels = ["a", "b", "c", "z"] if new_level else ["a", "b", "c"]
    return pl.DataFrame(
        {
            "x": rng.normal(shift, 1.0, n),
            "y": rng.exponential(2.0, n) + shift,
            "count": rng.integers(0, 4, n),  # few distinct values: counted, not sorted
            "flag": rng.random(n) < 0.3 + shift / 10,
            "level": rng.choice(levels, n),
            "score": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(0, 1, n) + shift / 4),
        }
    )


@pytest.mark.parametrize("reference_rows", [400, 5_000])  # p-value tests, then distances
def test_every_comparison_equals_detect_drift(reference_rows: int) -> None:
    reference = _frame(reference_rows, seed=0)
    baseline = DriftBaseline(reference)
    currents = [
        _frame(2_000, seed=1),
        _frame(2_000, seed=2, shift=0.8),
        _frame(300, seed=3, shift=0.3, new_level=True),
        _frame(2_000, seed=4),  # back to normal: the cached reference is unchanged
    ]
    for current in currents:
        assert baseline.compare(current).to_dict() == detect_drift(reference, current).to_dict()
    assert baseline.compare(currents[1]).drift_share >= 0.5
    assert baseline.compare(currents[0]).drift_share == 0.0


def test_columns_narrow_the_comparison() -> None:
    reference = _frame(3_000, seed=0)
    current = _frame(1_000, seed=1, shift=1.0).drop("level")
    report = DriftBaseline(reference).compare(current, columns=["x", "y", "count"])
    assert [c.column for c in report.columns] == ["x", "y", "count"]
    assert report.to_dict() == detect_drift(reference, current, columns=["x", "y", "count"]).to_dict()


def test_bad_frames_are_refused_like_detect_drift() -> None:
    baseline = DriftBaseline(_frame(500, seed=0))
    with pytest.raises(ValidationError, match="missing"):
        baseline.compare(_frame(100, seed=1).drop("x"))
    with pytest.raises(ValidationError, match="empty"):
        baseline.compare(_frame(100, seed=1).head(0))
