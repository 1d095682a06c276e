"""Explanations: SHAP contributions from XGBoost, their summaries, reason codes and plots.

:func:`contributions` runs XGBoost's own TreeSHAP (``method="exact"``) or its cheap
approximation (``"approx"``) on the CPU or a CUDA GPU (:func:`select_device`).
The registry stores :func:`global_importance` and a :func:`local_sample` with a
:func:`plot_summary_png` beeswarm and a :func:`plot_bar_png`; scoring turns each
batch's contributions into reason codes with :func:`top_k_reasons`. xgboost and
matplotlib are imported inside the functions that use them.
"""

from __future__ import annotations

from workbench.explain.contributions import (
    METHODS,
    LocalExplanations,
    contributions,
    effective_device,
    global_importance,
    local_sample,
)
from workbench.explain.device import DEVICES, cuda_available, select_device
from workbench.explain.plots import plot_bar_png, plot_summary_png
from workbench.explain.reasons import REASON_DIRECTIONS, reason_columns, top_k_reasons

__all__ = [
    "DEVICES",
    "METHODS",
    "REASON_DIRECTIONS",
    "LocalExplanations",
    "contributions",
    "cuda_available",
    "effective_device",
    "global_importance",
    "local_sample",
    "plot_bar_png",
    "plot_summary_png",
    "reason_columns",
    "select_device",
    "top_k_reasons",
]
