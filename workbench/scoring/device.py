"""The booster a scoring engine predicts with, on the device the job asked for.

Device choice is :func:`workbench.explain.select_device`: ``auto`` is CUDA when
XGBoost can use a GPU here and the CPU otherwise; ``cuda`` without a usable GPU
raises :class:`~workbench.core.errors.DeviceUnavailable` instead of letting XGBoost
fall back silently. On a GPU the batch goes to the device with CuPy when it is
installed (XGBoost then predicts without a host round trip per tree); without CuPy
XGBoost copies the numpy batch itself, which works and is slower.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.core.errors import ValidationError
from workbench.explain import select_device

if TYPE_CHECKING:
    import xgboost

__all__ = ["load_booster", "predict", "resolve_device"]


def resolve_device(requested: str) -> str:
    """The device XGBoost will really use for ``requested`` (raises when CUDA is asked for and absent)."""
    return select_device(requested)


def load_booster(model: bytes, device: str, nthread: int | None = None) -> xgboost.Booster:
    """A booster from UBJ bytes, set to predict on ``device`` (already resolved)."""
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(model))
    params: dict[str, Any] = {"device": device}
    if nthread:
        params["nthread"] = int(nthread)
    booster.set_param(params)
    return booster


@functools.cache
def _cupy() -> Any:
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def _columnar(table: Any) -> Any:
    """XGBoost's columnar input for an Arrow table of numeric columns, without a copy.

    ``inplace_predict(table)`` would call ``combine_chunks()`` on every column, and
    pyarrow copies even a single chunk: a full copy of the batch per call, on the
    predicting thread. XGBoost's own wrapper (``xgboost.data.ArrowTransformed``) over
    the arrays takes their buffers as they are. Without it (another XGBoost) the
    table is passed as it is.
    """
    try:
        from xgboost.data import ArrowTransformed
    except ImportError:  # pragma: no cover - depends on the XGBoost release
        return table
    return ArrowTransformed([c.chunk(0) if c.num_chunks == 1 else c.combine_chunks() for c in table.columns])


# Below this many rows (an online request), XGBoost's per-column Arrow set-up costs more than
# the prediction: a dense float32 matrix is ~4x faster for one row, with identical scores
# (tests/serving/test_fast_path.py).
DENSE_BELOW = 64


def predict(booster: xgboost.Booster, matrix: Any, device: str) -> np.ndarray:
    """Scores of ``matrix`` rows as float32: probabilities for classifiers, values for regressors.

    ``matrix`` is a dense array or a columnar ``pyarrow.Table`` of the features in the
    model's order (numeric columns, offsets 0), which XGBoost's CPU predictor reads in
    place. A GPU gets the dense form.
    """
    if device.startswith("cuda"):
        if not isinstance(matrix, np.ndarray):
            from workbench.contracts.arrow import ArrowContract

            matrix = ArrowContract.matrix(matrix)
        cupy = _cupy()
        if cupy is not None:
            return np.asarray(cupy.asnumpy(booster.inplace_predict(cupy.asarray(matrix))), dtype=np.float32)
    if not isinstance(matrix, np.ndarray) and matrix.num_rows < DENSE_BELOW:
        from workbench.contracts.arrow import ArrowContract

        matrix = ArrowContract.matrix(matrix)  # the same float32 values XGBoost reads from the columns
    scores = booster.inplace_predict(matrix if isinstance(matrix, np.ndarray) else _columnar(matrix))
    if scores.ndim != 1:
        raise ValidationError(
            f"The model gives {scores.shape[1]} outputs per row; scoring supports single-output models "
            "(binary classification and regression)."
        )
    return scores.astype(np.float32, copy=False)
