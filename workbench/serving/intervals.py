"""95% intervals that say whether a difference between two arms is more than noise."""

from __future__ import annotations

import math

__all__ = ["Z", "two_proportion", "wilson"]

Z = 1.959963984540054


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (centre - half, centre + half)


def two_proportion(x1: int, n1: int, x2: int, n2: int) -> dict[str, float]:
    """p2 - p1 with its 95% (unpooled, normal) interval."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    se = math.sqrt((p1 * (1 - p1) / n1 if n1 else 0.0) + (p2 * (1 - p2) / n2 if n2 else 0.0))
    diff = p2 - p1
    return {"difference": diff, "low": diff - Z * se, "high": diff + Z * se, "significant": abs(diff) > Z * se > 0}
