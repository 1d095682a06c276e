"""The five statistics Evidently's DataDriftPreset picks by default, on numpy arrays.

Each function reproduces the formula of the matching module in
``evidently/legacy/calculations/stattests/`` (Evidently 0.7.23) so that scores agree to
rounding; where Evidently goes through pandas (value counts, ``Series.apply``), these take
the counts or sorted values the polars engine has already computed. scipy is imported
inside the functions that need it, so importing :mod:`workbench.drift` stays cheap.

Inputs are clean: no nulls, NaN or infinities (the caller drops them, as Evidently does).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "chisquare_p_value",
    "jensenshannon_distance",
    "ks_p_value",
    "wasserstein_distance_norm",
    "wasserstein_distance_sorted",
    "z_p_value",
]

FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.int64]

# Evidently floors the reference's standard deviation here before dividing by it, so a
# constant reference column gives a large (drifted) distance rather than a division by 0.
WASSERSTEIN_MIN_NORM = 0.001


def ks_p_value(reference: FloatArray, current: FloatArray) -> float:
    """Two-sided two-sample Kolmogorov–Smirnov p-value (``ks``): ``scipy.stats.ks_2samp``
    with its defaults, exactly as Evidently calls it."""
    from scipy.stats import ks_2samp

    return float(ks_2samp(reference, current)[1])


def chisquare_p_value(reference_counts: CountArray, current_counts: CountArray) -> float:
    """Chi-square goodness of fit of current counts to reference proportions (``chisquare``).

    Evidently scales the reference counts to the current size (``k_norm = n_cur / n_ref``)
    and calls ``scipy.stats.chisquare(f_obs, f_exp)``. A category absent from the
    reference has an expected count of 0, so the statistic is infinite and the p-value 0
    (scipy warns about the division; here it is silenced on purpose).
    """
    from scipy.special import chdtrc

    observed = current_counts.astype(np.float64)
    expected = reference_counts.astype(np.float64) * (current_counts.sum() / reference_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = float(np.sum((observed - expected) ** 2 / expected))
    return float(chdtrc(observed.size - 1, statistic))


def z_p_value(reference_counts: CountArray, current_counts: CountArray) -> float:
    """Two-proportion Z-test p-value (``z``) for columns with at most two values.

    The arrays are counts over the sorted distinct values of both frames. Evidently codes
    each value as 0 when it equals the first sorted value and 1 otherwise, pools the
    proportions, and takes ``2 * (1 - Φ(|z|))``. When each frame holds one and the same
    value it returns 1 without testing.
    """
    from scipy.special import ndtr

    ref_present = np.flatnonzero(reference_counts)
    cur_present = np.flatnonzero(current_counts)
    if ref_present.size == 1 and cur_present.size == 1 and ref_present[0] == cur_present[0]:
        return 1.0
    n1 = float(reference_counts.sum())
    n2 = float(current_counts.sum())
    p1 = float(n1 - reference_counts[0]) / n1
    p2 = float(n2 - current_counts[0]) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - ndtr(np.abs(z))))


def jensenshannon_distance(reference_counts: CountArray, current_counts: CountArray) -> float:
    """Jensen–Shannon distance (natural log) between the two frequency vectors
    (``jensenshannon``), as ``scipy.spatial.distance.jensenshannon`` computes it.

    Under the default rules it only ever sees per-value counts: Evidently's 30-bin
    histogram branch needs a numerical column with more than 20 reference values, and such a
    column is given the Wasserstein distance instead.
    """
    from scipy.special import rel_entr

    p = reference_counts / reference_counts.sum()
    q = current_counts / current_counts.sum()
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = (p + q) / 2.0
    js = np.sum(rel_entr(p, m)) + np.sum(rel_entr(q, m))
    return float(np.sqrt(js / 2.0))


def wasserstein_distance_sorted(u: FloatArray, v: FloatArray) -> float:
    """First Wasserstein distance between two samples given sorted ascending.

    The distance is the integral of ``|U⁻¹(t) - V⁻¹(t)|`` over ``t`` in (0, 1], the area
    between the quantile functions; it equals ``scipy.stats.wasserstein_distance`` without
    its argsort and searchsorted. The quantile functions are step functions with steps at
    ``i/n`` and ``j/m``; on the scale ``n·m`` those are the integers ``i·m`` and ``j·n``, so
    the intervals are exact in int64 and only the value differences are floats.

    Each interval ends at a breakpoint of u or of v, so the sum runs over the two families
    separately, without merging them: the interval ending at ``x = i·m`` starts at the
    larger of ``(i-1)·m`` and the last ``j·n`` below ``x``, and on it the quantiles are
    ``u[i-1]`` and ``v[ceil(x/n) - 1]``; symmetrically for v, where a breakpoint shared by
    both families gets width 0 so that it is counted once.
    """
    n, m = u.size, v.size
    if n == 0 or m == 0:
        raise ValueError("wasserstein_distance_sorted needs two non-empty samples")
    if n == m:
        return float(np.mean(np.abs(u - v)))
    x = np.arange(1, n + 1, dtype=np.int64) * m
    x_width = x - np.maximum(x - m, (x - 1) // n * n)
    # Elementwise products summed, not np.dot: a BLAS call wakes OpenBLAS's helper
    # threads, which then spin and take CPU from whatever else the process is doing.
    u_part = float((x_width * np.abs(u - v[(x + (n - 1)) // n - 1])).sum())
    y = np.arange(1, m + 1, dtype=np.int64) * n
    y_width = y - np.maximum(y - n, y // m * m)
    v_part = float((y_width * np.abs(u[(y + (m - 1)) // m - 1] - v)).sum())
    return float((u_part + v_part) / (float(n) * float(m)))


def wasserstein_distance_norm(reference_sorted: FloatArray, current_sorted: FloatArray) -> float:
    """Wasserstein distance divided by the reference's population standard deviation
    (``wasserstein``, Evidently's "Wasserstein distance (normed)"), floored at 0.001."""
    norm = max(float(np.std(reference_sorted)), WASSERSTEIN_MIN_NORM)
    return wasserstein_distance_sorted(reference_sorted, current_sorted) / norm
