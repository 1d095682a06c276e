"""One batch, start to finish: validate, predict, route, explain, and the rows for review.

:class:`BatchScorer` is what both engines run per record batch. Every step is
vectorised (one polars pass for the contract, one numpy matrix, one XGBoost call,
polars expressions for routing); per-row Python happens only for nothing.

Output columns, in order: the contract's key columns, ``score``, ``decision``,
``route``, the reason columns when ``explain`` is not ``none`` (``reason_1``,
``reason_1_value``, ...), ``model``, ``model_version`` and ``job_id``.

Rows routed to review are returned separately with their row key (the key value, a
JSON object for several keys, or ``row:<index>`` without keys), score, the model's
leaning, the rule that fired and their top reasons. When ``explain`` is ``none`` they
have no reasons, unless ``review_reasons`` asks for approximate reasons of those rows alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts import InputContract, enforce, feature_matrix
from workbench.explain import contributions, effective_device, reason_columns, top_k_reasons
from workbench.scoring.device import load_booster, predict
from workbench.scoring.plan import ModelBundle, ScoreOptions
from workbench.scoring.routing import parse_routing

__all__ = ["REVIEW_SCHEMA", "BatchResult", "BatchScorer", "Prepared"]

REVIEW_SCHEMA = {
    "row_index": pl.Int64,
    "row_key": pl.String,
    "score": pl.Float64,
    "leaning": pl.String,
    "rule": pl.String,
    "decision": pl.String,
    "reasons": pl.List(pl.Struct({"feature": pl.String, "contribution": pl.Float64})),
}


@dataclass
class Prepared:
    """A validated batch and its feature matrix, ready to predict."""

    frame: pl.DataFrame
    matrix: np.ndarray
    warnings: dict[str, int]
    seconds: float


@dataclass
class BatchResult:
    """What one batch produced. ``table`` is the output as Arrow; ``review`` and ``drift`` may be None."""

    table: Any
    rows: int
    seconds: float
    decisions: dict[str, int]
    routes: dict[str, int]
    review: pl.DataFrame | None = None
    drift: pl.DataFrame | None = None
    warnings: dict[str, int] = field(default_factory=dict)


def _counts(series: pl.Series) -> dict[str, int]:
    counted = series.value_counts()
    return {str(k): int(v) for k, v in zip(counted[series.name], counted["count"], strict=True)}


class BatchScorer:
    """Scores batches of one input with one model version under one job's options."""

    def __init__(
        self,
        bundle: ModelBundle,
        options: ScoreOptions,
        *,
        device: str,
        total_rows: int,
        nthread: int | None = None,
    ) -> None:
        self.bundle = bundle
        self.options = options
        self.device = device
        self.contract = InputContract.from_dict(bundle.contract)
        self.routing = parse_routing(bundle.routing)
        self.booster = load_booster(bundle.model, device, nthread)
        self.features = list(self.contract.features)
        self.keys = list(self.contract.keys)
        self.monitor = [c for c in bundle.monitor if c not in self.features and c not in self.keys]
        self.explain_device = effective_device(options.explain, device) if options.explain != "none" else None
        self.fraction = min(1.0, options.drift_rows / total_rows) if total_rows and options.drift_rows else 0.0
        self.review_label = self.routing.label("review")

    def columns(self, available: list[str]) -> list[str]:
        """The input columns to read: keys, features and the columns routing rules use."""
        wanted = dict.fromkeys([*self.keys, *self.features, *self.routing.columns, *self.monitor])
        return [c for c in available if c in wanted]

    def score(self, batch: Any, *, first_row: int, context: str) -> BatchResult:
        """Score one ``pyarrow.RecordBatch`` (or polars frame) whose first row is input row ``first_row``."""
        return self.finish(self.prepare(batch, context=context), first_row=first_row)

    def prepare(self, batch: Any, *, context: str) -> Prepared:
        """The model-independent half: validate against the contract and build the feature matrix.

        The local engine runs it on its reader thread, so it overlaps the previous batch's
        prediction; a :class:`~workbench.core.errors.ContractViolation` names ``context``.
        """
        started = time.perf_counter()
        frame = batch if isinstance(batch, pl.DataFrame) else pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        report = enforce(frame, self.contract, context=context)
        warnings = {c.column: sum(i.count for i in c.issues) for c in report.warnings}
        matrix = feature_matrix(frame, self.contract)
        return Prepared(frame, matrix, warnings, time.perf_counter() - started)

    def finish(self, prepared: Prepared, *, first_row: int) -> BatchResult:
        """Predict, route, explain and build the output of a prepared batch."""
        started = time.perf_counter()
        frame, matrix = prepared.frame, prepared.matrix
        scores = predict(self.booster, matrix, self.device) if frame.height else np.empty(0, dtype=np.float32)
        score = pl.Series("score", scores, dtype=pl.Float32)
        routed = self.routing.apply(frame, score)
        reasons = None
        if self.options.explain != "none":
            contribs, _ = contributions(
                self.booster, matrix, method=self.options.explain, device=self.device, feature_names=self.features
            )
            reasons = top_k_reasons(contribs, self.features, self.options.top_k)
        output = pl.DataFrame(
            [
                *(frame.get_column(k) for k in self.keys),
                score,
                routed.get_column("decision"),
                routed.get_column("route"),
                *(reasons.get_columns() if reasons is not None else ()),
            ]
        ).with_columns(
            pl.lit(self.bundle.name, dtype=pl.String).alias("model"),
            pl.lit(self.bundle.version, dtype=pl.Int32).alias("model_version"),
            pl.lit(self.bundle.job_id, dtype=pl.String).alias("job_id"),
        )
        review = self._review(frame, matrix, score, routed, reasons, first_row)
        drift = self._drift_sample(frame, first_row)
        table = output.to_arrow(compat_level=pl.CompatLevel.oldest())
        return BatchResult(
            table=table,
            rows=frame.height,
            seconds=prepared.seconds + time.perf_counter() - started,
            decisions=_counts(routed.get_column("decision")),
            routes=_counts(routed.get_column("route")),
            review=review,
            drift=drift,
            warnings=prepared.warnings,
        )

    def _row_keys(self, frame: pl.DataFrame, first_row: int) -> pl.Expr:
        if len(self.keys) == 1:
            return pl.col(self.keys[0]).cast(pl.String)
        if self.keys:
            return pl.struct(self.keys).struct.json_encode()
        return pl.format("row:{}", pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64))

    def _review(
        self,
        frame: pl.DataFrame,
        matrix: np.ndarray,
        score: pl.Series,
        routed: pl.DataFrame,
        reasons: pl.DataFrame | None,
        first_row: int,
    ) -> pl.DataFrame | None:
        mask = routed.get_column("decision") == self.review_label
        if not mask.any():
            return None
        if reasons is None and self.options.review_reasons:
            rows = mask.to_numpy()
            contribs, _ = contributions(
                self.booster, matrix[rows], method="approx", device=self.device, feature_names=self.features
            )
            reasons = top_k_reasons(contribs, self.features, self.options.top_k)
        elif reasons is not None:
            reasons = reasons.filter(mask)
        k = self.options.top_k
        selected = (
            frame.select(
                pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias("row_index"),
                self._row_keys(frame, first_row).alias("row_key"),
            )
            .with_columns(score.cast(pl.Float64), *routed.select("leaning", "rule", "decision").get_columns())
            .filter(mask)
        )
        if reasons is None:
            packed = pl.Series("reasons", [[]], dtype=REVIEW_SCHEMA["reasons"]).new_from_index(0, selected.height)
        else:
            names = reason_columns(k)
            structs = [
                pl.struct(
                    pl.col(names[2 * i]).alias("feature"),
                    pl.col(names[2 * i + 1]).cast(pl.Float64).alias("contribution"),
                )
                for i in range(k)
            ]
            packed = reasons.select(
                pl.concat_list(structs)
                .list.eval(pl.element().filter(pl.element().struct.field("feature").is_not_null()))
                .alias("reasons")
            ).to_series()
        return selected.with_columns(packed).select(list(REVIEW_SCHEMA)).cast(REVIEW_SCHEMA)  # type: ignore[arg-type]

    def _drift_sample(self, frame: pl.DataFrame, first_row: int) -> pl.DataFrame | None:
        if self.fraction <= 0 or frame.height == 0:
            return None
        features = frame.select([*self.features, *(c for c in self.monitor if c in frame.columns)])
        if self.fraction >= 1.0:
            return features
        rng = np.random.default_rng([self.options.seed, first_row])
        return features.filter(pl.Series(rng.random(frame.height) < self.fraction))
