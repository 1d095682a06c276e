"""Which compute device XGBoost can use here: ``select_device("auto" | "cpu" | "cuda")``.

XGBoost built with CUDA but run without a visible GPU does not fail: it logs a
warning and quietly trains on the CPU. So the probe asks XGBoost itself: it trains a
two-row, one-tree model with ``device="cuda"`` and checks which device the booster
ended up on. The answer is cached for the life of the process (the probe costs a
fraction of a second, once). Tests replace :func:`_probe_cuda` and call
``cuda_available.cache_clear()``.
"""

from __future__ import annotations

import functools
import json
import re
import warnings

from workbench.core.errors import DeviceUnavailable, ValidationError

__all__ = ["DEVICES", "cuda_available", "select_device"]

DEVICES = ("auto", "cpu", "cuda")
_CUDA = re.compile(r"^cuda(:\d+)?$")


def _probe_cuda() -> bool:
    """True when this XGBoost build can train on a CUDA device in this process."""
    import numpy as np
    import xgboost

    if not xgboost.build_info().get("USE_CUDA", False):
        return False
    data = np.array([[0.0], [1.0]], dtype=np.float32)
    label = np.array([0.0, 1.0], dtype=np.float32)
    try:
        # Without a GPU XGBoost warns and falls back to the CPU; the warning is the
        # expected outcome of the probe, not something for the user to see.
        with warnings.catch_warnings(), xgboost.config_context(verbosity=0):
            warnings.simplefilter("ignore")
            booster = xgboost.train(
                {"device": "cuda", "max_depth": 1, "verbosity": 0},
                xgboost.DMatrix(data, label=label),
                num_boost_round=1,
            )
            device = json.loads(booster.save_config())["learner"]["generic_param"]["device"]
    except xgboost.core.XGBoostError:
        return False
    return str(device).startswith("cuda")


@functools.cache
def cuda_available() -> bool:
    """Whether XGBoost can use a CUDA GPU here (probed once per process)."""
    return _probe_cuda()


def select_device(requested: str = "auto") -> str:
    """Resolve a device request to what XGBoost will actually use.

    ``"auto"`` gives ``"cuda"`` when XGBoost can use a GPU and ``"cpu"`` otherwise;
    ``"cpu"`` is always honoured; ``"cuda"`` (or ``"cuda:N"``) is returned as given
    when a GPU is usable and raises :class:`DeviceUnavailable` when not, rather
    than letting XGBoost fall back to the CPU silently.
    """
    if requested == "cpu":
        return "cpu"
    if requested == "auto":
        return "cuda" if cuda_available() else "cpu"
    if _CUDA.match(requested or ""):
        if cuda_available():
            return requested
        raise DeviceUnavailable(
            f"Device {requested!r} was requested, but XGBoost cannot use a CUDA GPU on this machine "
            "(no visible GPU, or an XGBoost build without CUDA). Use `--device auto` or `--device cpu`, "
            "or run where a GPU is present."
        )
    raise ValidationError(f"Unknown device {requested!r}; use one of {DEVICES} (or 'cuda:N').")
