"""``workbench rollout report``: the arms compared, with intervals that say what is more than noise.

From ``online_decisions`` of the running (or last) rollout's challenger version:

* canary: per arm (champion rows decided beside it, canary rows) the decision and route
  mix, review rate and mean score; the review-rate difference with a two-proportion 95%
  interval (normal approximation), and the canary's override rate from its review items;
* shadow: on the same rows, the agreement rate of the decisions (95% Wilson interval),
  the score difference (challenger - champion: mean with a 95% interval, quantiles), and
  both decision mixes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

from workbench.project.workspace import Workspace
from workbench.serving.rollout import rollout_state
from workbench.store.schema import online_decisions

__all__ = ["format_report", "rollout_report", "two_proportion", "wilson"]

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


def _frame(workspace: Workspace, name: str) -> tuple[pl.DataFrame, list[dict[str, Any] | None]]:
    """The model's online decisions, and each one's shadow record (None without one)."""
    query = sa.select(
        online_decisions.c.arm,
        online_decisions.c.version,
        online_decisions.c.score,
        online_decisions.c.decision,
        online_decisions.c.route,
        online_decisions.c.shadow,
    ).where(online_decisions.c.name == name)
    with workspace.read() as conn:
        rows = conn.execute(query).all()
    frame = pl.DataFrame(
        [tuple(r)[:5] for r in rows],
        schema={"arm": pl.String, "version": pl.Int64, "score": pl.Float64, "decision": pl.String, "route": pl.String},
        orient="row",
    )
    return frame, [r.shadow for r in rows]


def _arm(frame: pl.DataFrame, review: str) -> dict[str, Any]:
    n = frame.height
    reviews = int((frame["decision"] == review).sum()) if n else 0
    return {
        "decisions": n,
        "decision_mix": {k: int(v) for k, v in frame["decision"].value_counts().iter_rows()} if n else {},
        "route_mix": {k: int(v) for k, v in frame["route"].value_counts().iter_rows()} if n else {},
        "review_rate": reviews / n if n else 0.0,
        "reviews": reviews,
        "mean_score": float(frame["score"].mean()) if n else None,  # type: ignore[arg-type]
    }


def rollout_report(workspace: Workspace, name: str, *, review_label: str = "review") -> dict[str, Any]:
    frame, shadows = _frame(workspace, name)
    with workspace.read() as conn:
        state = rollout_state(conn, name)
    report: dict[str, Any] = {"model": name, "events": list(state.events)}
    canary = frame.filter(pl.col("arm") == "canary")
    if canary.height:
        champion = frame.filter(pl.col("arm") == "champion")
        a, b = _arm(champion, review_label), _arm(canary, review_label)
        report["mode"] = "canary"
        report["arms"] = {"champion": a, "canary": b}
        report["review_rate_difference"] = two_proportion(a["reviews"], a["decisions"], b["reviews"], b["decisions"])
        report["share"] = b["decisions"] / max(1, a["decisions"] + b["decisions"])
        return report
    present = [s is not None for s in shadows]
    shadowed = frame.filter(pl.Series(present, dtype=pl.Boolean))
    if not shadowed.height:
        report["mode"] = None
        return report
    shadow = pl.DataFrame([s for s in shadows if s is not None])
    agree = int((shadowed["decision"] == shadow["decision"]).sum())
    diff = shadow["score"].to_numpy() - shadowed["score"].to_numpy()
    n = len(diff)
    sd = float(np.std(diff, ddof=1)) if n > 1 else 0.0
    report["mode"] = "shadow"
    report["rows"] = n
    report["agreement"] = {"rate": agree / n, "interval": wilson(agree, n)}
    q = np.quantile(diff, [0.05, 0.5, 0.95]) if n else [0.0, 0.0, 0.0]
    report["score_difference"] = {
        "mean": float(diff.mean()),
        "interval": (float(diff.mean()) - Z * sd / math.sqrt(n), float(diff.mean()) + Z * sd / math.sqrt(n)),
        "p05": float(q[0]),
        "p50": float(q[1]),
        "p95": float(q[2]),
    }
    report["arms"] = {
        "champion": _arm(shadowed, review_label),
        "shadow": _arm(shadow.select("score", "decision", "route"), review_label),
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"rollout of {report['model']}: {report.get('mode') or 'no rollout decisions yet'}"]
    for arm, stats in (report.get("arms") or {}).items():
        lines.append(
            f"  {arm:9} {stats['decisions']:>8,} decisions  review {stats['review_rate']:.3f}  "
            f"mean score {stats['mean_score'] if stats['mean_score'] is None else round(stats['mean_score'], 4)}  "
            f"mix {stats['decision_mix']}"
        )
    if "agreement" in report:
        low, high = report["agreement"]["interval"]
        lines.append(f"  agreement {report['agreement']['rate']:.4f} (95% {low:.4f}-{high:.4f})")
        d = report["score_difference"]
        lines.append(f"  score difference mean {d['mean']:+.4f} (95% {d['interval'][0]:+.4f}..{d['interval'][1]:+.4f})")
    if "review_rate_difference" in report:
        d = report["review_rate_difference"]
        verdict = "more than noise" if d["significant"] else "within noise"
        lines.append(
            f"  review rate canary - champion {d['difference']:+.4f} (95% {d['low']:+.4f}..{d['high']:+.4f}): {verdict}"
        )
    for event in report.get("events", []):
        lines.append(f"  event {event['action']} version {event.get('version')} {event.get('guard', '')}".rstrip())
    return "\n".join(lines)
