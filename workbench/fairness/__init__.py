"""Fairness of a binary classifier across the groups of sensitive columns (fairlearn's ``MetricFrame``).

:func:`assess_fairness` takes a frame, scores and a threshold and returns a
:class:`FairnessReport` with, per sensitive column, selection rate, TPR, FPR and count
by group, demographic parity difference and ratio, and equalized odds difference.
:func:`fairness_report` does one column from arrays of labels and decisions.
fairlearn (and pandas, which it returns) are imported only inside the computation.
"""

from __future__ import annotations

from workbench.fairness.metrics import (
    MISSING_GROUP,
    FairnessReport,
    GroupMetrics,
    SensitiveColumnReport,
    assess_fairness,
    fairness_report,
)

__all__ = [
    "MISSING_GROUP",
    "FairnessReport",
    "GroupMetrics",
    "SensitiveColumnReport",
    "assess_fairness",
    "fairness_report",
]
