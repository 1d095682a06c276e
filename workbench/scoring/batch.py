"""One batch, start to finish: validate, predict, route, explain, and the rows for review.

:class:`BatchScorer` is what both engines run per record batch, on the Arrow buffers
the Parquet reader produced (no polars copy of the batch):

* the contract check is :class:`~workbench.contracts.arrow.ArrowContract`: one numpy
  pass per numeric column, the dictionary of a categorical column instead of its rows,
  and :func:`~workbench.contracts.enforce` on the batch as a polars frame only when
  that cannot decide or finds an error (so errors are ``enforce``'s, word for word);
* the features go to ``Booster.inplace_predict`` as a columnar Arrow table, read in
  place (a dense ``float32`` matrix is built only for SHAP reasons or a GPU);
* routing works on numpy codes (:meth:`~workbench.scoring.routing.Routing.codes`);
  rules are polars expressions over the columns they read; the rows the contract check
  marked outside the training range go to review above every rule (:mod:`.guard`);
* the output is an Arrow table whose text columns are dictionary arrays, and the key
  columns are the input's own arrays.

Output columns, in order: the contract's key columns, the kept input columns
(``ScoreOptions.keep``, checked at submission), ``score``, ``decision``,
``route``, the reason columns when ``explain`` is not ``none`` (``reason_1``,
``reason_1_value``, ...), ``model``, ``model_version`` and ``job_id``.

Rows routed to review are returned separately with their row key (the key value, a
JSON object for several keys, or ``row:<index>`` without keys), score, the model's
leaning, the rule that fired, their top reasons and, for rows outside the training
range, the ``detail`` naming the columns. When ``explain`` is ``none`` they have no
reasons, unless ``review_reasons`` asks for approximate reasons of those rows alone.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts import InputContract, enforce
from workbench.contracts.arrow import ArrowContract
from workbench.contracts.training_range import outside_masks
from workbench.core.errors import WorkbenchError
from workbench.explain import contributions, effective_device, top_k_reasons
from workbench.scoring.decision_log import log_table
from workbench.scoring.device import load_booster, predict
from workbench.scoring.guard import any_outside, details, outside_counts
from workbench.scoring.review_rows import REVIEW_SCHEMA, review_frame, row_keys
from workbench.scoring.routing import RoutedCodes, parse_routing
from workbench.scoring.values import BatchResult, DriftCheck, ModelBundle, Prepared, ScoreOptions

__all__ = ["REVIEW_SCHEMA", "BatchScorer"]


def _counts(codes: np.ndarray, labels: tuple[str, ...]) -> dict[str, int]:
    counted = np.bincount(codes.astype(np.intp, copy=False), minlength=len(labels))
    return {labels[i]: int(n) for i, n in enumerate(counted) if n}


def _dictionary(codes: np.ndarray, labels: tuple[str, ...] | list[str]) -> Any:
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(labels), type=pa.string()))


def _review_keys(binding: ArrowContract, batch: Any, keys: list[str], rows: np.ndarray) -> pl.DataFrame:
    """The key columns of batch rows ``rows`` as the polars path sees them. One text key in its file's
    type (what most online requests carry) is built from its values: what ``binding.frame`` gives
    for it, without the Arrow-to-polars set-up that costs more than a few rows' values."""
    import pyarrow as pa

    picked = batch.select(keys).take(pa.array(rows))
    type_ = picked.schema.field(0).type
    if (
        len(keys) == 1
        and (pa.types.is_string(type_) or pa.types.is_large_string(type_))
        and type_ == binding.schema.field(keys[0]).type
    ):
        return pl.DataFrame([pl.Series(keys[0], picked.column(0).to_pylist(), dtype=pl.String)])
    return binding.frame(picked)


def _record_batch(data: Any) -> Any:
    """A pyarrow RecordBatch from a RecordBatch, a Table or a polars frame."""
    import pyarrow as pa

    if isinstance(data, pa.RecordBatch):
        return data
    table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], names=table.column_names)


class BatchScorer:
    """Scores batches of one input with one model version under one job's options.

    ``schema`` is the input files' Arrow schema (the types before any dictionary
    reading); without it each batch's own schema is taken.
    """

    def __init__(
        self,
        bundle: ModelBundle,
        options: ScoreOptions,
        *,
        device: str,
        total_rows: int,
        nthread: int | None = None,
        schema: Any = None,
    ) -> None:
        self.bundle = bundle
        self.options = options
        self.device = device
        self.contract = InputContract.from_dict(bundle.contract)
        self.routing = parse_routing(bundle.routing)
        self.booster = load_booster(bundle.model, device, nthread)
        self.features = list(self.contract.features)
        self.keys = list(self.contract.keys)
        self.keep = [c for c in options.keep if c not in self.keys]
        self.monitor = [c for c in bundle.monitor if c not in self.features and c not in self.keys]
        self.logged = [c for c in bundle.logged if c not in self.keys]
        self.explain_device = effective_device(options.explain, device) if options.explain != "none" else None
        self.fraction = min(1.0, options.drift_rows / total_rows) if total_rows and options.drift_rows else 0.0
        self.review_label = self.routing.label("review")
        self.guard = self.routing.guard
        self._binding = ArrowContract(self.contract, schema, self.guard) if schema is not None else None
        self._fixed = schema is not None
        self._baseline: Any = None
        self._baseline_lock = threading.Lock()
        self.baseline_error: str | None = None

    def columns(self, available: list[str]) -> list[str]:
        """The input columns to read: keys, kept columns, features and the columns routing rules use."""
        wanted = dict.fromkeys(
            [*self.keys, *self.keep, *self.features, *self.routing.columns, *self.monitor, *self.logged]
        )
        return [c for c in available if c in wanted]

    def read_dictionary(self, columns: list[str]) -> list[str]:
        """Which of ``columns`` to read as dictionaries (``read_dictionary``): the categorical
        string features of the input schema the scorer was built with."""
        if self._binding is None:
            return []
        categorical = set(self._binding.dictionary_columns())
        return [c for c in columns if c in categorical]

    def _bind(self, batch: Any) -> ArrowContract:
        if self._fixed:
            assert self._binding is not None
            return self._binding
        if self._binding is None or not self._binding.schema.equals(batch.schema):
            self._binding = ArrowContract(self.contract, batch.schema, self.guard)
        return self._binding

    def score(self, batch: Any, *, first_row: int, context: str) -> BatchResult:
        """Score one ``pyarrow.RecordBatch`` (or Table, or polars frame) whose first row is input row ``first_row``."""
        return self.finish(self.prepare(batch, context=context, first_row=first_row), first_row=first_row)

    def prepare(self, batch: Any, *, context: str, first_row: int = 0) -> Prepared:
        """The model-independent half: check the contract, build the model's input, check drift.

        The local engine runs it on its reader thread, so it overlaps the previous batch's
        prediction; a :class:`~workbench.core.errors.ContractViolation` names ``context``.
        """
        started = time.perf_counter()
        batch = _record_batch(batch)
        binding = self._bind(batch)
        batch = binding.normalize(batch)
        checked = binding.inspect(batch)
        if checked is None:  # an error, or a case the Arrow path leaves to enforce
            frame = binding.frame(batch)
            report = enforce(frame, self.contract, context=context, allow_unseen=self.guard.allow_unseen)
            warnings = {c.column: sum(i.count for i in c.issues) for c in report.warnings}
            outside = outside_masks(frame, self.contract, self.guard)
        else:
            warnings, outside = checked.warnings, checked.outside
        features = binding.features_table(batch)
        drift, check = self._drift(binding, batch, first_row)
        return Prepared(batch, features, warnings, time.perf_counter() - started, drift, check, outside)

    def route(self, batch: Any, *, context: str, prepared: Prepared | None = None) -> tuple[np.ndarray, RoutedCodes]:
        """Only the scores and routing codes of one batch: the same contract check, prediction and
        routing as :meth:`score`, without the output, log or review rows (a shadow's would-be decisions).
        ``prepared`` is this batch's :meth:`prepare` by a scorer with an equal contract and routing guard,
        whose result would be this one's."""
        return self._predict_and_route(prepared or self.prepare(batch, context=context))[1:]

    def decide(
        self, batch: Any, *, context: str, prepared: Prepared | None = None
    ) -> tuple[np.ndarray, RoutedCodes, pl.DataFrame | None]:
        """The scores, routing codes and review rows of one batch: :meth:`score` without the output and
        decision-log tables (the online service answers from these). Reasons need :meth:`score`.
        ``prepared``: this batch's :meth:`prepare`, when the caller has it already."""
        if self.options.explain != "none":
            raise ValueError("BatchScorer.decide gives no reasons; use score() when explaining.")
        prepared = prepared or self.prepare(batch, context=context)
        binding, scores, routed = self._predict_and_route(prepared)
        return scores, routed, self._review(binding, prepared, None, scores, routed, None, 0)

    def _predict_and_route(self, prepared: Prepared) -> tuple[ArrowContract, np.ndarray, RoutedCodes]:
        batch = prepared.batch
        binding = self._bind(batch)
        rows = batch.num_rows
        scores = predict(self.booster, prepared.features, self.device) if rows else np.empty(0, dtype=np.float32)
        rule_data = binding.frame(batch.select(list(self.routing.columns))) if self.routing.rules else None
        return binding, scores, self.routing.codes(scores, rule_data, any_outside(prepared.outside))

    def finish(self, prepared: Prepared, *, first_row: int) -> BatchResult:
        """Predict, route, explain and build the output of a prepared batch."""
        started = time.perf_counter()
        batch, features = prepared.batch, prepared.features
        rows = batch.num_rows
        binding, scores, routed = self._predict_and_route(prepared)
        matrix: np.ndarray | None = None
        reasons = None
        if self.options.explain != "none":
            matrix = ArrowContract.matrix(features)
            contribs, _ = contributions(
                self.booster, matrix, method=self.options.explain, device=self.device, feature_names=self.features
            )
            reasons = top_k_reasons(contribs, self.features, self.options.top_k)
        table = self._output(binding, batch, scores, routed, reasons)
        logged = [c for c in self.logged if c in batch.schema.names]
        log = log_table(
            table,
            keys=self.keys,
            keep=self.keep,
            rule_codes=routed.rule,
            rule_names=self.routing.rule_names,
            first_row=first_row,
            monitored=binding.decode(batch.select(logged)) if logged else None,
        )
        review = self._review(binding, prepared, matrix, scores, routed, reasons, first_row)
        return BatchResult(
            table=table,
            rows=rows,
            seconds=prepared.seconds + time.perf_counter() - started,
            decisions=_counts(routed.decision, self.routing.decision_labels),
            routes=_counts(routed.route, self.routing.route_labels),
            review=review,
            drift=prepared.drift,
            warnings=prepared.warnings,
            drift_check=prepared.drift_check,
            outside=outside_counts(prepared.outside),
            log=log,
        )

    def _output(
        self, binding: ArrowContract, batch: Any, scores: np.ndarray, routed: RoutedCodes, reasons: pl.DataFrame | None
    ) -> Any:
        import pyarrow as pa

        rows = batch.num_rows
        carried = [*self.keys, *self.keep]
        keys = binding.decode(batch.select(carried)) if carried else None
        arrays = [*(keys.columns if keys is not None else ()), pa.array(scores, type=pa.float32())]
        names = [*carried, "score"]
        arrays += [_dictionary(routed.decision, self.routing.decision_labels)]
        arrays += [_dictionary(routed.route, self.routing.route_labels)]
        names += ["decision", "route"]
        if reasons is not None:
            extra = reasons.to_arrow(compat_level=pl.CompatLevel.oldest())
            arrays += [c.combine_chunks() for c in extra.columns]
            names += extra.column_names
        zeros = np.zeros(rows, dtype=np.int8)
        arrays += [
            _dictionary(zeros, [self.bundle.name]),
            pa.array(np.full(rows, self.bundle.version, dtype=np.int32)),
            _dictionary(zeros, [self.bundle.job_id]),
        ]
        names += ["model", "model_version", "job_id"]
        return pa.Table.from_arrays(arrays, names=names)

    def _review(
        self,
        binding: ArrowContract,
        prepared: Prepared,
        matrix: np.ndarray | None,
        scores: np.ndarray,
        routed: RoutedCodes,
        reasons: pl.DataFrame | None,
        first_row: int,
    ) -> pl.DataFrame | None:
        import pyarrow as pa

        batch, features = prepared.batch, prepared.features
        mask = routed.decision == 2
        rows = np.flatnonzero(mask)
        if not rows.size:
            return None
        if reasons is None and self.options.review_reasons:
            picked = matrix[rows] if matrix is not None else ArrowContract.matrix(features.take(pa.array(rows)))
            contribs, _ = contributions(
                self.booster, picked, method="approx", device=self.device, feature_names=self.features
            )
            reasons = top_k_reasons(contribs, self.features, self.options.top_k)
        elif reasons is not None:
            reasons = reasons.filter(pl.Series(mask))
        keys = _review_keys(binding, batch, self.keys, rows) if self.keys else None
        return review_frame(
            rows=rows,
            first_row=first_row,
            keys=row_keys(keys, self.keys, rows, first_row),
            scores=scores,
            routed=routed,
            routing=self.routing,
            reasons=reasons,
            top_k=self.options.top_k,
            detail=details(batch, rows, prepared.outside, self.contract, self.guard) if prepared.outside else None,
        )

    def baseline(self) -> Any:
        """The version's training reference prepared for drift checks, or None without a usable one
        (:attr:`baseline_error` says why; a drift check never fails the job)."""
        with self._baseline_lock:
            if self._baseline is None and self.baseline_error is None and self.bundle.reference is not None:
                from workbench.drift import DriftBaseline

                try:
                    self._baseline = DriftBaseline.from_reference(
                        self.bundle.reference, rows=self.options.drift_rows, exclude=self.contract.keys
                    )
                except Exception as exc:  # an unreadable reference: recorded with each batch's check
                    self.baseline_error = f"the training reference could not be read ({type(exc).__name__}: {exc})"
            return self._baseline

    def _drift(
        self, binding: ArrowContract, batch: Any, first_row: int
    ) -> tuple[pl.DataFrame | None, DriftCheck | None]:
        """This batch's share of the job's drift sample, and the sample for its own drift check.

        One uniform sample of the batch, in random order: its first rows are the batch's
        share of the job's sample (``drift_rows`` over the whole input), and all of it,
        at least ``batch_drift_rows``, is compared with the training reference.
        """
        import pyarrow as pa

        rows = batch.num_rows
        checking = bool(self.options.batch_drift_rows) and self.bundle.reference is not None
        if rows == 0 or (self.fraction <= 0 and not checking):
            return None, None
        rng = np.random.default_rng([self.options.seed, first_row])
        share = rows if self.fraction >= 1.0 else int(rng.binomial(rows, self.fraction))
        wanted = max(share, self.options.batch_drift_rows if checking else 0)
        picked = rng.choice(rows, size=min(rows, wanted), replace=False, shuffle=True)
        names = [*self.features, *(c for c in self.monitor if c in batch.schema.names)]
        sample = binding.frame(batch.select(names).take(pa.array(picked)))
        check = DriftCheck(first_row, rows, sample) if checking else None
        return (sample.head(share) if self.fraction > 0 else None), check

    def check_drift(self, check: DriftCheck) -> dict[str, Any]:
        """One batch's drift check against the training reference, as stored in ``stats.batch_drift``."""
        record: dict[str, Any] = {"first_row": check.first_row, "rows": check.rows, "sample_rows": check.sample.height}
        baseline = self.baseline()
        if baseline is None:
            record["error"] = self.baseline_error or "no training reference"
            return record
        try:
            columns = [c for c in baseline.columns if c in check.sample.columns]
            report = baseline.compare(check.sample, columns=columns)
        except WorkbenchError as exc:
            record["error"] = exc.message
        else:
            record["drift_share"] = round(report.drift_share, 6)
            record["drifted"] = list(report.drifted_columns)
        return record
