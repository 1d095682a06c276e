"""``workbench rollout report``: the arms compared, with intervals that say what is more than noise.

From all of a model's online decisions (``online_decisions``) and, for a shadow, the batch
jobs' decision logs that carry a shadow's columns (``workbench score --shadow``):

* canary: per arm (champion rows decided beside it, canary rows) the decision and route
  mix, review rate and mean score; the review-rate difference with a two-proportion 95%
  interval (normal approximation);
* shadow: on the same rows, the agreement rate of the decisions (95% Wilson interval),
  the score difference (challenger - champion: mean with a 95% interval, quantiles), and
  both decision mixes;
* with outcomes (:mod:`.arm_outcomes`): per arm the realized AUC and the selection rate per
  sensitive group, with intervals for the differences.

All of it over one rollout (:func:`rollout_window`): while the governing policy declares a
rollout, only the decisions its challenger took part in. A canary's window opens when the
``canary`` alias was placed on its version and its canary rows are that version's; a shadow's
rows are those its challenger version scored. The window closes at the event that ended that
version's rollout (stop, promote, rollback), if any. Without a rollout in the policy, every
decision counts, as for a rollout that ended and left the policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from workbench.project.workspace import Workspace
from workbench.serving.intervals import Z, two_proportion, wilson
from workbench.serving.rollout import rollout_state

__all__ = ["RolloutWindow", "format_report", "rollout_report", "rollout_window", "two_proportion", "wilson"]

_ENDS = ("rollout.stop", "rollout.promote", "rollout.rollback")


@dataclass(frozen=True)
class RolloutWindow:
    """The decisions one rollout covers: made in ``[since, until)`` and, with ``challenger``, only the rows
    that version decided (canary) or scored beside the champion (shadow). All None: every decision."""

    since: datetime | None = None
    until: datetime | None = None
    challenger: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "challenger": self.challenger,
        }


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rollout_window(conn: Any, workspace: Workspace, name: str, state: Any) -> RolloutWindow:
    """The window of the rollout the governing policy declares for ``name`` (see the module docstring);
    ``state`` is :func:`~workbench.serving.rollout.rollout_state`'s."""
    import sqlalchemy as sa

    from workbench.core.errors import NotFound
    from workbench.governance.adoption import governing_policy
    from workbench.registry.versions import get_version_in
    from workbench.serving.rollout import RolloutSpec
    from workbench.store.schema import aliases

    try:
        spec = RolloutSpec.from_policy(governing_policy(conn, workspace.project, name).rollout)
    except NotFound:
        return RolloutWindow()
    if spec is None:
        return RolloutWindow()
    since = None
    if spec.mode == "canary":
        placed = conn.execute(
            sa.select(aliases.c.version, aliases.c.updated_at).where(
                aliases.c.name == name, aliases.c.alias == "canary"
            )
        ).first()
        if placed is None:
            return RolloutWindow()
        challenger, since = int(placed.version), _utc(placed.updated_at)
    else:
        try:
            challenger = get_version_in(conn, str(spec.challenger)).version
        except NotFound:
            return RolloutWindow()
    ended = [e for e in state.events if e["action"] in _ENDS and e.get("version") == challenger]
    until = _utc(datetime.fromisoformat(ended[-1]["time"])) if ended else None
    if since is not None and until is not None and until < since:
        until = None  # an earlier rollout of the same version ended; this placement is a new one
    return RolloutWindow(since, until, challenger)


def _context(workspace: Workspace, name: str) -> tuple[str, str, list[str]]:
    """The governing routing's review and accept labels, and the production version's sensitive columns."""
    from workbench.core.errors import NotFound
    from workbench.governance.adoption import governing_policy
    from workbench.registry.versions import get_version_in
    from workbench.scoring.routing import parse_routing

    with workspace.read() as conn:
        try:
            routing = parse_routing(governing_policy(conn, workspace.project, name).routing)
        except NotFound:
            routing = parse_routing({})
        try:
            sensitive = list(get_version_in(conn, f"{name}@production").lineage.get("sensitive") or ())
        except NotFound:
            sensitive = []
    return routing.label("review"), routing.label("accept"), sensitive


def _with_inputs(frame: pl.DataFrame, inputs: list[Any], columns: list[str]) -> pl.DataFrame:
    values = {c: [None if i is None else i.get(c) for i in inputs] for c in columns}
    # As text, whatever the column's type (a boolean first_generation groups as "true"/"false").
    return frame.with_columns(pl.Series(c, v, strict=False).cast(pl.String) for c, v in values.items())


def _batch_pairs(workspace: Workspace, name: str, sensitive: list[str], challenger: int | None) -> pl.DataFrame | None:
    """Batch jobs' rows that a shadow (``challenger``, or any) scored beside the champion (``--shadow``)."""
    from workbench.postmarket.decisions import load_decisions

    wanted = ["score", "decision", "route", "shadow_version", "shadow_score", "shadow_decision", "shadow_route"]
    logged = load_decisions(workspace, name, columns=[*wanted, *sensitive])
    if "shadow_version" not in logged.columns:
        return None
    rows = logged.filter(pl.col("shadow_version").is_not_null())
    if challenger is not None:
        rows = rows.filter(pl.col("shadow_version").cast(pl.Int64) == challenger)
    return rows.select(
        "row_key",
        pl.col("score").cast(pl.Float64),
        *(pl.col(c).cast(pl.String) for c in ("decision", "route")),
        pl.col("shadow_score").cast(pl.Float64),
        *(pl.col(c).cast(pl.String) for c in ("shadow_decision", "shadow_route")),
        *(pl.col(c).cast(pl.String) if c in rows.columns else pl.lit(None, pl.String).alias(c) for c in sensitive),
        pl.lit("batch").alias("source"),
    )


def _online_pairs(frame: pl.DataFrame, shadows: list[Any]) -> pl.DataFrame:
    """The rows with a shadow record in ``shadows`` (one per row of ``frame``, None for none) beside it."""
    present = pl.Series([s is not None for s in shadows], dtype=pl.Boolean)
    kept = [s for s in shadows if s is not None]
    shadow = pl.DataFrame(
        {
            "shadow_score": [float(s["score"]) for s in kept],
            "shadow_decision": [s["decision"] for s in kept],
            "shadow_route": [s["route"] for s in kept],
        },
        schema={"shadow_score": pl.Float64, "shadow_decision": pl.String, "shadow_route": pl.String},
    )
    return pl.concat([frame.filter(present).drop("arm", "version"), shadow], how="horizontal").with_columns(
        pl.lit("online").alias("source")
    )


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


def rollout_report(workspace: Workspace, name: str) -> dict[str, Any]:
    """The arms compared (see the module docstring), online and batch, with outcomes where they exist."""
    from workbench.serving.arm_outcomes import compare_outcomes
    from workbench.serving.online_log import online_frame

    review_label, accept_label, sensitive = _context(workspace, name)
    with workspace.read() as conn:
        state = rollout_state(conn, name)
        window = rollout_window(conn, workspace, name, state)
        frame, shadows, inputs = online_frame(conn, name, with_input=True, since=window.since, until=window.until)
    frame = _with_inputs(frame, inputs, sensitive)
    report: dict[str, Any] = {"model": name, "events": list(state.events), "window": window.to_dict()}
    if window.challenger is not None:
        # Only this rollout's challenger: a canary row of another version, or another version's shadow
        # record, belongs to an earlier rollout.
        kept = [arm != "canary" or v == window.challenger for arm, v in frame.select("arm", "version").iter_rows()]
        shadows = [
            s if s is not None and s.get("version") == window.challenger else None
            for s, k in zip(shadows, kept, strict=True)
            if k
        ]
        frame = frame.filter(pl.Series(kept, dtype=pl.Boolean))
    canary = frame.filter(pl.col("arm") == "canary")
    if canary.height:
        champion = frame.filter(pl.col("arm") == "champion")
        a, b = _arm(champion, review_label), _arm(canary, review_label)
        report["mode"] = "canary"
        report["arms"] = {"champion": a, "canary": b}
        report["review_rate_difference"] = two_proportion(a["reviews"], a["decisions"], b["reviews"], b["decisions"])
        report["share"] = b["decisions"] / max(1, a["decisions"] + b["decisions"])
        report["with_outcomes"] = compare_outcomes(
            workspace, name, {"champion": champion, "canary": canary}, accept_label=accept_label,
            sensitive=sensitive, paired=False,
        )  # fmt: skip
        return report
    parts = [_online_pairs(frame, shadows)] if any(s is not None for s in shadows) else []
    batch = _batch_pairs(workspace, name, sensitive, window.challenger)
    if batch is not None and batch.height:
        parts.append(batch)
    pairs = pl.concat(parts, how="diagonal_relaxed") if parts else None
    if pairs is None or not pairs.height:
        report["mode"] = None
        return report
    agree = int((pairs["decision"] == pairs["shadow_decision"]).sum())
    diff = pairs["shadow_score"].to_numpy() - pairs["score"].to_numpy()
    n = len(diff)
    sd = float(np.std(diff, ddof=1)) if n > 1 else 0.0
    report["mode"] = "shadow"
    report["rows"] = n
    report["sources"] = {k: int(v) for k, v in pairs["source"].value_counts().iter_rows()}
    report["agreement"] = {"rate": agree / n, "interval": wilson(agree, n)}
    q = np.quantile(diff, [0.05, 0.5, 0.95])
    report["score_difference"] = {
        "mean": float(diff.mean()),
        "interval": (float(diff.mean()) - Z * sd / math.sqrt(n), float(diff.mean()) + Z * sd / math.sqrt(n)),
        "p05": float(q[0]),
        "p50": float(q[1]),
        "p95": float(q[2]),
    }
    shadow = pairs.select("row_key", *sensitive, score="shadow_score", decision="shadow_decision", route="shadow_route")
    report["arms"] = {"champion": _arm(pairs, review_label), "shadow": _arm(shadow, review_label)}
    report["with_outcomes"] = compare_outcomes(
        workspace, name, {"champion": pairs, "shadow": shadow}, accept_label=accept_label, sensitive=sensitive,
        paired=True,
    )  # fmt: skip
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"rollout of {report['model']}: {report.get('mode') or 'no rollout decisions yet'}"]
    window = report.get("window") or {}
    if window.get("challenger") is not None:
        since, until = window.get("since"), window.get("until")
        span = f"since {since}" if since else "all its rows"
        lines.append(f"  window: version {window['challenger']}, {span}{f' until {until}' if until else ''}")
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
    lines += _format_outcomes(report.get("with_outcomes"))
    for event in report.get("events", []):
        lines.append(f"  event {event['action']} version {event.get('version')} {event.get('guard', '')}".rstrip())
    return "\n".join(lines)


def _format_outcomes(outcomes: dict[str, Any] | None) -> list[str]:
    if not outcomes or not outcomes.get("outcomes"):
        return ["  outcomes: none recorded yet (`workbench outcomes add`)"]
    lines = []
    for arm, stats in outcomes["arms"].items():
        value = "-" if stats["auc"] is None else f"{stats['auc']:.4f}"
        lines.append(f"  {arm:9} {stats['with_outcomes']:>8,} with outcomes  realized AUC {value}")
        for column, result in stats["selection"].items():
            rates = ", ".join(f"{g['group']} {g['selection_rate']:.3f} ({g['rows']})" for g in result["groups"])
            lines.append(f"            selection rate by {column}: {rates}")
    d = outcomes.get("auc_difference")
    if d and d["difference"] is not None:
        span = "no interval" if d["interval"] is None else f"95% {d['interval'][0]:+.4f}..{d['interval'][1]:+.4f}"
        verdict = "more than noise" if d["significant"] else "within noise"
        lines.append(f"  AUC challenger - champion {d['difference']:+.4f} ({span}): {verdict}")
    return lines
