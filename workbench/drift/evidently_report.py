"""Evidently's own DataDriftPreset: its HTML report, and its verdicts for parity checks.

This module is the one place where drift data leaves polars: Evidently 0.7 computes on
pandas, so :func:`_to_pandas` converts the (sampled) frames right before the call.
Evidently and pandas are imported inside the functions, never at module import, and
Evidently's telemetry is off unless the environment already says otherwise
(``DO_NOT_TRACK=1``).

The HTML from ``Snapshot.get_html_str(as_iframe=False)`` is self-contained: its scripts,
styles and fonts are inline. The only external addresses in it are plotly defaults that
a drift report never uses (the topojson URL for geo maps, the plotly.com logo link).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench.core.errors import ValidationError
from workbench.drift.columns import resolve_columns
from workbench.drift.rules import SMALL_REFERENCE_ROWS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvidentlyColumnResult", "evidently_results", "evidently_verdicts", "render_evidently_report"]

DEFAULT_MAX_ROWS = 50_000
_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"


@dataclass(frozen=True)
class EvidentlyColumnResult:
    """One column as Evidently's ``ValueDrift`` metric reports it."""

    column: str
    method: str  # Evidently's display name, e.g. "Wasserstein distance (normed)"
    threshold: float
    score: float
    drifted: bool


@contextmanager
def _quiet_numerics() -> Iterator[None]:
    # Evidently's statistics divide by zero where it expects to: scipy's chi-square on a
    # category new in current (p = 0, the intended verdict) and its per-column stats on a
    # column without a value in one frame. The warnings say nothing the verdict does not.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(scipy|evidently|numpy|pandas)(\.|$)")
        yield


def _evidently() -> Any:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Importing Evidently 0.7.23 warns about its own dependencies, nothing a caller can act
    # on: its test helpers touch ``numpy.core`` and its UI server uses deprecated litestar
    # API. Only these are silenced, and only for the import.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "numpy.core is deprecated", DeprecationWarning, r"evidently\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"litestar\.")
        import evidently
        import evidently.presets

    return evidently


def _to_pandas(frame: pl.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The one conversion to pandas, at Evidently's edge (needs pyarrow)."""
    return frame.select(names).to_pandas()


def _sample(frame: pl.DataFrame, max_rows: int, seed: int) -> pl.DataFrame:
    return frame.sample(n=max_rows, seed=seed) if frame.height > max_rows else frame


def _run_preset(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    names: Sequence[str],
    column_types: Mapping[str, str] | None,
) -> Any:
    """Run ``Report([DataDriftPreset()])``; Evidently 0.7's ``run`` takes current first.

    With ``column_types`` the kinds are pinned through a ``DataDefinition`` (columns not
    named are not tested); without, Evidently infers them from the current frame itself.
    """
    evidently = _evidently()
    ref_pd, cur_pd = _to_pandas(reference, names), _to_pandas(current, names)
    preset = evidently.presets.DataDriftPreset()
    report = evidently.Report([preset], include_tests=True)
    if column_types is not None:
        pinned = [c for c in names if c in column_types]
        definition = evidently.DataDefinition(
            numerical_columns=[c for c in pinned if column_types[c] == "num"],
            categorical_columns=[c for c in pinned if column_types[c] == "cat"],
            text_columns=[],
            datetime_columns=[],
            unknown_columns=[c for c in names if c not in column_types],
            list_columns=[],
        )
        cur_data: Any = evidently.Dataset.from_pandas(cur_pd, data_definition=definition)
        ref_data: Any = evidently.Dataset.from_pandas(ref_pd, data_definition=definition)
    else:
        cur_data, ref_data = cur_pd, ref_pd
    with _quiet_numerics():
        try:
            return report.run(cur_data, ref_data)
        except ValueError as exc:
            raise ValidationError(f"Evidently could not compute drift: {exc}") from exc


def evidently_results(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> dict[str, EvidentlyColumnResult]:
    """Evidently's per-column method, threshold, score and verdict for the whole frames.

    Without ``column_types`` Evidently infers the kinds itself (from the pandas dtypes
    after conversion); pass a :class:`~workbench.drift.DriftReport`'s ``column_types`` to
    pin them to the fast engine's.
    """
    names = list(current.columns if columns is None else columns)
    snapshot = _run_preset(reference, current, names, column_types)
    data = snapshot.dict()
    metrics = {m["id"]: m for m in data["metrics"] if m["config"].get("type") == _VALUE_DRIFT}
    results = {}
    for test in data["tests"]:
        metric = metrics.get(test["metric_config"]["metric_id"])
        if metric is None:
            continue
        config = metric["config"]
        results[config["column"]] = EvidentlyColumnResult(
            column=config["column"],
            method=config["method"],
            threshold=float(config["threshold"]),
            score=float(metric["value"]),
            drifted=test["status"] == "FAIL",
        )
    return results


def evidently_verdicts(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> dict[str, bool]:
    """Run Evidently's ``DataDriftPreset`` and return whether each column drifted."""
    results = evidently_results(reference, current, columns=columns, column_types=column_types)
    return {column: result.drifted for column, result in results.items()}


def render_evidently_report(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> str:
    """Evidently's DataDriftPreset report as one self-contained HTML page.

    Each frame above ``max_rows`` rows is replaced by a seeded sample of ``max_rows`` rows
    (Evidently needs about 13 s for 100k rows of 33 columns). Columns and their kinds are
    resolved on the full frames exactly as :func:`~workbench.drift.detect_drift` resolves
    them, and pinned, so sampling cannot change a column's kind; ``max_rows`` must exceed
    1000 so that a sample keeps the distance tests of a large reference. Scores on a
    sample may differ a little from the fast engine's on all rows: the gate is the fast
    verdict, the report is the picture.
    """
    if max_rows <= SMALL_REFERENCE_ROWS:
        raise ValidationError(
            f"max_rows must be above {SMALL_REFERENCE_ROWS} so that a sampled reference keeps the "
            f"tests Evidently picks for large data; got {max_rows}."
        )
    resolved = resolve_columns(reference, current, columns=columns, column_types=column_types)
    names = list(resolved.kinds)
    snapshot = _run_preset(_sample(reference, max_rows, seed), _sample(current, max_rows, seed), names, resolved.kinds)
    with _quiet_numerics():
        return str(snapshot.get_html_str(as_iframe=False))
