"""Data drift: a fast polars engine with Evidently's default verdicts, and Evidently's report.

:func:`detect_drift` applies, column by column, the test and threshold that Evidently
0.7.23's ``DataDriftPreset`` picks by default, fast enough to gate every scoring batch.
:class:`DriftBaseline` prepares a reference once for many such comparisons (every batch
of a scoring job). :func:`render_evidently_report` renders Evidently's own HTML report (on a seeded sample
above a row limit) for the registry and the audit report; :func:`evidently_verdicts` runs
the preset itself, for parity tests and benchmarks. Evidently and pandas are imported
only inside those two functions. :func:`drift_verdict` judges scored data against the
policy's monitoring limit, and :func:`recorded_verdict` reads that verdict back from a
job's record (``verdict.py``: the one rule every face shows).
"""

from __future__ import annotations

from workbench.drift.columns import infer_column_types
from workbench.drift.evidently_report import evidently_verdicts, render_evidently_report
from workbench.drift.fast import DriftBaseline, detect_drift
from workbench.drift.report import ColumnDrift, ColumnKind, DriftReport
from workbench.drift.verdict import DriftVerdict, drift_verdict, job_drift_record, recorded_verdict

__all__ = [
    "ColumnDrift",
    "ColumnKind",
    "DriftBaseline",
    "DriftReport",
    "DriftVerdict",
    "detect_drift",
    "drift_verdict",
    "evidently_verdicts",
    "infer_column_types",
    "job_drift_record",
    "recorded_verdict",
    "render_evidently_report",
]
