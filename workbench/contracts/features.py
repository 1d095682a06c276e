"""Turn a polars frame into the exact numeric matrix a model was trained on.

The encoding, chosen once for every model workbench handles:

* numeric and boolean features become ``float32`` (``true`` = 1.0), nulls and NaN
  become NaN, which XGBoost treats as missing;
* a categorical feature (``String``, ``Categorical`` or ``Enum``) becomes the
  ``float32`` index of its value in the contract's ``categories``: the ``Enum``'s
  declared order, or the sorted distinct values of the training frame. Nulls, and
  values outside the list, become NaN (call :func:`~workbench.contracts.enforce`
  first if unseen values must fail).

Why not XGBoost's ``enable_categorical`` on pandas categoricals: pandas codes depend
on the categories present in each frame, so a scoring batch could silently recode
them, and a pandas round trip per batch costs more than the prediction. Codes fixed
by the contract are stable across batches, cheap, and work with
``Booster.inplace_predict`` on a plain numpy array. Train on the same matrix
(``feature_matrix(train, contract)``), optionally with
``feature_types=contract.feature_types()`` and ``enable_categorical=True`` for
native categorical splits; predictions then need no pandas at all.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.contracts.model import ColumnSpec, InputContract
from workbench.core.errors import ValidationError

__all__ = ["feature_matrix"]


def _encode(spec: ColumnSpec, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(spec.name)
    if spec.kind != "categorical":
        return col.cast(pl.Float32)
    categories = list(spec.categories or ())
    if isinstance(dtype, pl.Enum) and dtype.categories.to_list() == categories:
        # Same Enum as in training: its physical codes are already the contract's codes.
        return col.to_physical().cast(pl.Float32)
    return col.cast(pl.String).replace_strict(
        categories, list(range(len(categories))), default=None, return_dtype=pl.Float32
    )


def feature_matrix(df: pl.DataFrame, contract: InputContract) -> np.ndarray:
    """The contract's features of ``df`` as a C-contiguous ``float32`` array of shape (rows, features).

    Columns come in ``contract.features`` order, ready for ``Booster.inplace_predict``
    or ``xgboost.DMatrix``. Raises :class:`ValidationError` if a feature is missing;
    dtypes are not checked here (that is :func:`~workbench.contracts.enforce`'s job).
    """
    missing = [f for f in contract.features if f not in df.schema]
    if missing:
        raise ValidationError(
            f"The frame lacks feature column(s) {missing}; enforce the contract before building the matrix."
        )
    schema = df.schema
    exprs = [_encode(contract.column(f), schema[f]) for f in contract.features]
    matrix = df.select(exprs).to_numpy(order="c")
    if matrix.dtype != np.float32:  # an empty frame comes back as float64
        matrix = matrix.astype(np.float32)
    return np.ascontiguousarray(matrix)
