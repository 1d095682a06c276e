"""The statistics and rules of workbench.drift against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, norm, wasserstein_distance

from workbench.drift import stats
from workbench.drift.rules import STATTESTS, choose_stattest, kind_for


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_ks_matches_scipy(rng: np.random.Generator) -> None:
    a, b = rng.normal(size=300), rng.normal(0.2, size=400)
    assert stats.ks_p_value(a, b) == ks_2samp(a, b).pvalue
    assert stats.ks_p_value(a, a) == pytest.approx(1.0)


def test_chisquare_matches_scipy_on_scaled_reference() -> None:
    ref, cur = np.array([50, 30, 20]), np.array([40, 45, 35])
    expected = chisquare(cur, ref * cur.sum() / ref.sum()).pvalue
    assert stats.chisquare_p_value(ref, cur) == pytest.approx(expected, rel=1e-12)


def test_chisquare_new_category_in_current_gives_zero_without_warning() -> None:
    # Expected count 0 for the new category: an infinite statistic, p = 0 (Evidently's result).
    assert stats.chisquare_p_value(np.array([10, 10, 0]), np.array([5, 5, 5])) == 0.0


def test_z_matches_two_proportion_formula() -> None:
    ref, cur = np.array([60, 40]), np.array([45, 55])
    p1, p2 = 40 / 100, 55 / 100
    pooled = (40 + 55) / 200
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert stats.z_p_value(ref, cur) == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
    # Which value is coded 0 does not change a two-sided p-value.
    assert stats.z_p_value(ref[::-1].copy(), cur[::-1].copy()) == pytest.approx(stats.z_p_value(ref, cur))


def test_z_same_constant_in_both_frames_is_one() -> None:
    assert stats.z_p_value(np.array([0, 12]), np.array([0, 7])) == 1.0
    assert stats.z_p_value(np.array([12, 0]), np.array([0, 7])) < 1e-4


def test_jensenshannon_matches_scipy(rng: np.random.Generator) -> None:
    ref, cur = rng.integers(1, 100, 6), rng.integers(0, 100, 6)
    assert stats.jensenshannon_distance(ref, cur) == pytest.approx(jensenshannon(ref / ref.sum(), cur / cur.sum()))
    assert stats.jensenshannon_distance(ref, ref * 3) == pytest.approx(0.0, abs=1e-12)
    # Disjoint supports: the maximum, sqrt(ln 2) in natural log.
    assert stats.jensenshannon_distance(np.array([5, 0]), np.array([0, 9])) == pytest.approx(math.sqrt(math.log(2)))


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 5), (7, 7), (7, 13), (1000, 999), (250, 1000)])
def test_wasserstein_sorted_matches_scipy(rng: np.random.Generator, n: int, m: int) -> None:
    u, v = np.sort(rng.normal(size=n)), np.sort(rng.standard_t(3, size=m) + 0.5)
    assert stats.wasserstein_distance_sorted(u, v) == pytest.approx(wasserstein_distance(u, v), rel=1e-10)


def test_wasserstein_sorted_with_ties(rng: np.random.Generator) -> None:
    u, v = np.sort(rng.integers(0, 5, 301).astype(float)), np.sort(rng.integers(1, 7, 97).astype(float))
    assert stats.wasserstein_distance_sorted(u, v) == pytest.approx(wasserstein_distance(u, v), rel=1e-10)


def test_wasserstein_norm_divides_by_reference_std(rng: np.random.Generator) -> None:
    u, v = np.sort(rng.normal(0, 2, 500)), np.sort(rng.normal(1, 2, 700))
    expected = wasserstein_distance(u, v) / np.std(u)
    assert stats.wasserstein_distance_norm(u, v) == pytest.approx(expected, rel=1e-10)


def test_wasserstein_norm_floors_constant_reference() -> None:
    u, v = np.full(10, 3.0), np.array([3.0, 3.5])
    assert stats.wasserstein_distance_norm(u, v) == pytest.approx(0.25 / 0.001)


@pytest.mark.parametrize(
    ("kind", "n_reference", "n_unique", "expected"),
    [
        ("num", 1000, 6, "ks"),
        ("num", 1000, 5, "chisquare"),
        ("num", 1000, 3, "chisquare"),
        ("num", 1000, 2, "z"),
        ("num", 1000, 1, "z"),
        ("cat", 1000, 40, "chisquare"),
        ("cat", 1000, 2, "z"),
        ("num", 1001, 6, "wasserstein"),
        ("num", 1001, 5, "jensenshannon"),
        ("cat", 1001, 40, "jensenshannon"),
        ("cat", 1001, 2, "jensenshannon"),
    ],
)
def test_default_stattest_choice(kind: str, n_reference: int, n_unique: int, expected: str) -> None:
    assert choose_stattest(kind, n_reference, n_unique).name == expected  # type: ignore[arg-type]


def test_threshold_sides() -> None:
    assert STATTESTS["ks"].is_drift(0.05) and not STATTESTS["ks"].is_drift(0.0500001)
    assert not STATTESTS["chisquare"].is_drift(0.05) and STATTESTS["chisquare"].is_drift(0.0499)
    assert not STATTESTS["z"].is_drift(0.05)
    assert STATTESTS["wasserstein"].is_drift(0.1) and not STATTESTS["wasserstein"].is_drift(0.0999)
    assert STATTESTS["jensenshannon"].is_drift(0.1) and not STATTESTS["jensenshannon"].is_drift(0.0999)


@pytest.mark.parametrize(
    ("family", "n_unique", "n_non_null", "expected"),
    [
        ("float", 2, 100, "num"),
        ("int", 10, 100, "cat"),
        ("int", 11, 100, "num"),
        ("string", 50, 100, "cat"),
        ("string", 51, 100, "text"),
        ("bool", 2, 100, "cat"),
        ("categorical", 80, 100, "cat"),
        ("datetime", 100, 100, "datetime"),
        ("other", 3, 100, "unknown"),
    ],
)
def test_kind_inference_rules(family: str, n_unique: int, n_non_null: int, expected: str) -> None:
    assert kind_for(family, n_unique, n_non_null) == expected  # type: ignore[arg-type]
