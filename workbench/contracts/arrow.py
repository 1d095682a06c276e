"""The contract on Arrow record batches: checks and model input without a polars copy.

Scoring reads Parquet as Arrow record batches. :func:`~workbench.contracts.enforce` and
:func:`~workbench.contracts.feature_matrix` work on polars frames, which costs a copy
of every string column and a row-major matrix per batch; on a two-core machine that
is a fifth of the job. :class:`ArrowContract` answers the same two questions on the
Arrow buffers themselves:

* :meth:`ArrowContract.check` counts, per column, what ``validate`` counts (nulls and
  NaN in non-nullable columns, values outside a feature's range, categories the
  contract does not know) with one numpy pass per numeric column, and on the
  *dictionary* of a dictionary-encoded string column rather than on its rows. It
  returns the out-of-range warning counts when the batch passes, and ``None`` when it
  cannot decide or finds an error: the caller then runs ``enforce`` on the batch, so
  errors and their messages are exactly ``enforce``'s.
* :meth:`ArrowContract.features` gives the features as a columnar
  :class:`pyarrow.Table` that ``Booster.inplace_predict`` reads in place: numeric
  columns as they are (XGBoost converts to ``float32`` on the fly, as
  ``feature_matrix`` does), categorical columns as ``float32`` contract codes, NaN for
  null or unknown. :meth:`ArrowContract.matrix` is the same as a dense ``float32``
  array (for SHAP and GPUs).

Dtypes are checked once per input schema. String columns that are categorical
features are best read with ``read_dictionary`` (:meth:`dictionary_columns`); the
batch is decoded back to the file's types before anything falls back to polars.
Tests compare both paths on clean, drifted and broken batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts.dtypes import accepts, dtype_to_str
from workbench.contracts.features import feature_matrix
from workbench.contracts.model import ColumnSpec, InputContract
from workbench.contracts.training_range import TrainingRange

__all__ = ["ArrowContract", "BatchCheck"]

# A dictionary larger than this is checked row by row (pyarrow's is_in) instead.
_MAX_DICTIONARY = 65_536

# One column's verdict: warning rows, and its row mask outside the training range (None: no row is).
_Outcome = tuple[int, "np.ndarray | None"]


@dataclass
class BatchCheck:
    """A batch that satisfies the contract: out-of-range warning counts per column (what
    ``validate`` counts), and the row mask of each feature with a row outside the training range."""

    warnings: dict[str, int] = field(default_factory=dict)
    outside: dict[str, np.ndarray] = field(default_factory=dict)


def _pa() -> Any:
    import pyarrow as pa

    return pa


def _pc() -> Any:
    import pyarrow.compute as pc

    return pc


def _is_string(type_: Any) -> bool:
    pa = _pa()
    return bool(pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_string_view(type_))


def _is_binary(type_: Any) -> bool:
    pa = _pa()
    return bool(pa.types.is_binary(type_) or pa.types.is_large_binary(type_) or pa.types.is_fixed_size_binary(type_))


def _longest(array: Any) -> int:
    """The longest value of a text or binary array, in bytes (one numpy pass over its offsets)."""
    pa = _pa()
    if len(array) == 0:
        return 0
    if pa.types.is_fixed_size_binary(array.type):
        return int(array.type.byte_width)
    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if large else np.int32)
    # Null slots span no bytes, so they never count as long.
    return int(np.diff(offsets[array.offset : array.offset + len(array) + 1]).max())


def _without_views(type_: Any) -> Any:
    """``string_view``/``binary_view`` as ``large_string``/``large_binary``: pyarrow's take, cast
    and set-lookup kernels do not all take view types yet."""
    pa = _pa()
    if pa.types.is_string_view(type_):
        return pa.large_string()
    if pa.types.is_binary_view(type_):
        return pa.large_binary()
    return type_


def _zero_offset(array: Any) -> Any:
    """``array`` with offset 0: XGBoost's Arrow reader takes buffer addresses and ignores offsets."""
    if array.offset == 0:
        return array
    pa = _pa()
    return pa.concat_arrays([array, pa.array([], type=array.type)])


class ArrowContract:
    """A contract bound to one input schema (the file's Arrow schema, before dictionary reading).

    ``guard`` says which values are outside the training range (:meth:`inspect` marks their
    rows) and whether unseen categories pass (the default refuses them, as ``enforce`` does).
    """

    def __init__(self, contract: InputContract, schema: Any, guard: TrainingRange | None = None) -> None:
        pa = _pa()
        self.contract = contract
        self.guard = guard or TrainingRange()
        self.schema = pa.schema([f.with_type(_without_views(f.type)) for f in schema], metadata=schema.metadata)
        schema = self.schema
        self.features = list(contract.features)
        names = set(schema.names)
        empty = pl.from_arrow(schema.empty_table())
        assert isinstance(empty, pl.DataFrame)  # a table becomes a frame (only an array becomes a Series)
        frame_schema = empty.schema
        self.missing = [s.name for s in contract.columns if s.name not in names]
        self.dtypes_ok = not self.missing and all(
            accepts(s.dtype, dtype_to_str(frame_schema[s.name]), nullable=s.nullable)
            and dtype_to_str(frame_schema[s.name]) != "Null"
            for s in contract.columns
        )
        self._categories: dict[str, tuple[str, ...]] = {
            s.name: tuple(s.categories) for s in contract.columns if s.categories is not None
        }
        self._value_sets = {name: pa.array(list(values), type=pa.string()) for name, values in self._categories.items()}
        self._bounds = {f: self.guard.bounds(contract.column(f)) for f in self.features}
        self._feature_specs = [contract.column(f) for f in self.features]
        # Features that reach the model as they are in this schema (numeric, not categorical; see _feature_array).
        self._as_is = [
            f in names
            and spec.kind != "categorical"
            and (pa.types.is_integer(schema.field(f).type) or pa.types.is_floating(schema.field(f).type))
            and not pa.types.is_float16(schema.field(f).type)
            for f, spec in zip(self.features, self._feature_specs, strict=True)
        ]
        self._plain = self._plain_floats()

    def _plain_floats(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The float64 numeric features :meth:`inspect` may clear together, with the lowest and highest
        value at which each column has nothing to report: neither below/above the contract's own range
        nor outside the training range (its tolerance included; none for an exempt column). Bounds
        that float64 does not hold exactly stay on the column-by-column path."""
        pa = _pa()
        names, lows, highs = [], [], []
        for f in self.features:
            spec = self.contract.column(f)
            if f not in self.schema.names or self.schema.field(f).type != pa.float64() or spec.categories is not None:
                continue
            start, end = (None, None) if self.guard.exempt(f) else self._bounds[f]
            low, high, exact = -np.inf, np.inf, True
            for bound in (spec.minimum, start):
                if bound is not None:
                    exact = exact and float(bound) == bound
                    low = max(low, float(bound))
            for bound in (spec.maximum, end):
                if bound is not None:
                    exact = exact and float(bound) == bound
                    high = min(high, float(bound))
            if exact:
                names.append(f)
                lows.append(low)
                highs.append(high)
        return names, np.asarray(lows, dtype=np.float64), np.asarray(highs, dtype=np.float64)

    def _cleared(self, batch: Any) -> set[str]:
        """The plain float features (:meth:`_plain_floats`) of ``batch`` that :meth:`_check_column` would
        find nothing in: no nulls, every value finite and within the column's bounds. One min/max pass
        over all of them together instead of one per column; the others are checked one by one."""
        names, lows, highs = self._plain
        if not names or not batch.num_rows:
            return set()
        pa = _pa()
        float64 = pa.float64()
        columns = [batch.column(n) for n in names]
        if any(c.null_count or c.type != float64 for c in columns):
            return set()  # nulls or another type: the column-by-column path judges them
        values = np.column_stack([c.to_numpy() for c in columns])
        low, high = values.min(axis=0), values.max(axis=0)
        # NaN compares false and inf is not finite: such a column is left to the column-by-column path.
        clear = np.isfinite(low) & np.isfinite(high) & (low >= lows) & (high <= highs)
        return {n for n, ok in zip(names, clear.tolist(), strict=True) if ok}

    def dictionary_columns(self) -> list[str]:
        """String columns worth reading with ``read_dictionary``: the categorical features."""
        return [
            f
            for f in self.features
            if f in self.schema.names
            and self.contract.column(f).kind == "categorical"
            and _is_string(self.schema.field(f).type)
        ]

    def normalize(self, batch: Any) -> Any:
        """``batch`` with view-typed columns as their large counterparts (see :attr:`schema`)."""
        pa = _pa()
        if batch.schema.equals(self.schema):  # the bound schema has no view types
            return batch
        if not any(_without_views(f.type) != f.type for f in batch.schema):
            return batch
        fields = [f.with_type(_without_views(f.type)) for f in batch.schema]
        arrays = [col.cast(f.type) if col.type != f.type else col for col, f in zip(batch.columns, fields, strict=True)]
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata=batch.schema.metadata))

    def decode(self, batch: Any) -> Any:
        """``batch`` with every column back in the file's type (dictionary-read strings decoded),
        field metadata included (polars keeps its Enum categories there)."""
        pa = _pa()
        names = batch.schema.names
        if all(batch.schema.field(n).type == self.schema.field(n).type for n in names):
            return batch
        fields = [self.schema.field(n) if n in self.schema.names else batch.schema.field(n) for n in names]
        arrays = [
            col if col.type == field.type else col.cast(field.type)
            for col, field in zip(batch.columns, fields, strict=True)
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata=batch.schema.metadata))

    def frame(self, batch: Any) -> pl.DataFrame:
        """The batch as the polars frame the polars path sees (file types)."""
        frame = pl.from_arrow(self.decode(batch))
        assert isinstance(frame, pl.DataFrame)
        return frame

    # --- checks -------------------------------------------------------------------------

    def check(self, batch: Any) -> dict[str, int] | None:
        """Out-of-range counts per column when ``batch`` satisfies the contract; ``None`` when it
        may not (an error, or something this path does not decide): run ``enforce`` then."""
        checked = self.inspect(batch)
        return None if checked is None else checked.warnings

    def inspect(self, batch: Any) -> BatchCheck | None:
        """:meth:`check`'s counts and, per feature with a row outside the training range (see
        :mod:`~workbench.contracts.training_range`), that row mask; ``None`` as for :meth:`check`."""
        if not self.dtypes_ok:
            return None
        checked = BatchCheck()
        names = set(batch.schema.names)
        if any(spec.name not in names for spec in self.contract.columns):
            return None
        cleared = self._cleared(batch)
        for spec in self.contract.columns:
            if spec.name in cleared:
                continue  # nothing to count or mark, as _check_column would find
            outcome = self._check_column(spec, batch.column(spec.name))
            if outcome is None:
                return None
            count, outside = outcome
            if count:
                checked.warnings[spec.name] = count
            if outside is not None:
                checked.outside[spec.name] = outside
        return checked

    def _check_column(self, spec: ColumnSpec, array: Any) -> _Outcome | None:
        """Warning rows of one column (0 when none) and its row mask outside the training range
        (None when no row is), or None for an error or no decision."""
        pa = _pa()
        type_ = array.type
        feature = spec.role == "feature"
        if pa.types.is_integer(type_) or pa.types.is_floating(type_):
            if feature and spec.categories is not None:
                return None  # numeric categories: leave them to the polars path
            return self._check_numeric(spec, array, feature)
        if not feature:
            return self._check_key(spec, array)
        if pa.types.is_boolean(type_):
            if not spec.nullable and array.null_count:
                return None
            return self._categories_outcome(spec, self._unseen_booleans, array)
        if pa.types.is_dictionary(type_) and _is_string(type_.value_type):
            if array.dictionary.null_count or (not spec.nullable and array.null_count):
                return None  # a null *value* in the dictionary: leave it to enforce
            return self._categories_outcome(spec, self._unseen_in_dictionary, array)
        if _is_string(type_):
            if not spec.nullable and array.null_count:
                return None
            return self._categories_outcome(spec, self._unseen_strings, array)
        return None

    def _check_key(self, spec: ColumnSpec, array: Any) -> _Outcome | None:
        """A key: nulls where they are not allowed, and text or binary values over the length limit."""
        pa = _pa()
        type_ = array.type
        if not spec.nullable and array.null_count:
            return None
        if pa.types.is_dictionary(type_):
            if not (_is_string(type_.value_type) or _is_binary(type_.value_type)):
                return None
            array = array.dictionary
        elif not (_is_string(type_) or _is_binary(type_) or pa.types.is_boolean(type_)):
            return None
        if (_is_string(array.type) or _is_binary(array.type)) and _longest(array) > spec.key_limit:
            return None  # enforce names the column, the count and the limit
        return 0, None

    def _categories_outcome(self, spec: ColumnSpec, unseen: Any, array: Any) -> _Outcome | None:
        """A categorical feature: unseen values refuse the batch, or with ``review`` count as
        warnings and, unless the column is exempt, mark their rows outside the training range."""
        if spec.categories is None:
            return 0, None
        mask = unseen(spec, array)
        if mask is None:
            return 0, None
        if not self.guard.allow_unseen:
            return None
        return int(mask.sum()), (None if self.guard.exempt(spec.name) else mask)

    def _check_numeric(self, spec: ColumnSpec, array: Any, feature: bool) -> _Outcome | None:
        is_float = _pa().types.is_floating(array.type)
        if not spec.nullable and array.null_count:
            return None
        if len(array) == 0:
            return 0, None
        if is_float:
            values = array.to_numpy(zero_copy_only=False)  # nulls become NaN
        else:  # integers stay integers (a float64 copy would round values above 2**53)
            values = array.to_numpy(zero_copy_only=False) if not array.null_count else array.drop_null().to_numpy()
            if values.size == 0:
                return 0, None
        ranged = feature and (spec.minimum is not None or spec.maximum is not None)
        # Float features are always scanned: the same min/max that finds a range's ends finds inf.
        if not ranged and not (feature and is_float) and (spec.nullable or not is_float):
            return 0, None
        low, high = values.min(), values.max()
        if values.dtype.kind == "f" and (np.isnan(low) or np.isnan(high)):
            if not spec.nullable:
                return None  # NaN in a non-nullable column (nulls were refused above)
            if not feature or bool(np.isnan(values).all()):
                return 0, None
            low, high = np.nanmin(values), np.nanmax(values)
        if not feature:
            return 0, None
        count, warned = 0, None
        if ranged:
            below = spec.minimum is not None and low < spec.minimum
            above = spec.maximum is not None and high > spec.maximum
            if below or above:
                warned = np.zeros(len(values), dtype=bool)
                if below:
                    warned |= values < spec.minimum
                if above:
                    warned |= values > spec.maximum
                count = int(warned.sum())
        return count, self._outside_range(spec, array, values, low, high, warned)

    def _outside_range(
        self, spec: ColumnSpec, array: Any, values: np.ndarray, low: Any, high: Any, warned: np.ndarray | None
    ) -> np.ndarray | None:
        """The row mask of a numeric feature's values outside the training range, or None when
        its extremes (``low``, ``high``: the min/max pass already made) show that no row is.
        ``warned`` is the mask of values outside the contract's own range, when there are any."""
        infinite = values.dtype.kind == "f" and bool(np.isinf(low) or np.isinf(high))
        start, end = self._bounds[spec.name]
        if values.dtype.kind == "f":  # compare in the column's own precision: a float32 min is not below itself
            start = None if start is None else values.dtype.type(start)
            end = None if end is None else values.dtype.type(end)
        exempt = self.guard.exempt(spec.name)
        beyond = not exempt and ((start is not None and low < start) or (end is not None and high > end))
        if not (infinite or beyond):
            return None
        if len(values) != len(array):  # integers with nulls (dropped for the min/max): as floats, nulls NaN
            values, warned = array.to_numpy(zero_copy_only=False), None
        same = (start, end) == (spec.minimum, spec.maximum) and None not in (start, end)
        if beyond and same and warned is not None:
            return warned  # no tolerance: the warnings' mask is the guard's (inf lies beyond either end)
        outside = np.isinf(values) if infinite else np.zeros(len(values), dtype=bool)
        if beyond:
            if start is not None:
                outside |= values < start
            if end is not None:
                outside |= values > end
        return outside

    def _unseen_booleans(self, spec: ColumnSpec, array: Any) -> np.ndarray | None:
        allowed = set(self._categories[spec.name])
        trues = int(_pc().sum(array).as_py() or 0)
        falses = len(array) - array.null_count - trues
        if not ((trues and "true" not in allowed) or (falses and "false" not in allowed)):
            return None
        valid = np.asarray(array.is_valid())
        truth = np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        unseen = np.zeros(len(array), dtype=bool)
        if "true" not in allowed:
            unseen |= truth & valid
        if "false" not in allowed:
            unseen |= ~truth & valid
        return unseen

    def _unseen_strings(self, spec: ColumnSpec, array: Any) -> np.ndarray | None:
        """The rows whose non-null value is not one of the contract's categories, or None when none is."""
        pc = _pc()
        found = pc.is_in(array, value_set=self._value_sets[spec.name], skip_nulls=True)
        if not found.false_count - array.null_count:  # nulls are "not found" too; they are not unseen
            return None
        return np.asarray(pc.and_(pc.invert(found), array.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)

    def _unseen_in_dictionary(self, spec: ColumnSpec, array: Any) -> np.ndarray | None:
        dictionary = array.dictionary
        if len(dictionary) > _MAX_DICTIONARY:
            return self._unseen_strings(spec, array.cast(dictionary.type))
        allowed = set(self._categories[spec.name])
        unknown = [i for i, value in enumerate(dictionary.to_pylist()) if value is not None and value not in allowed]
        if not unknown:
            return None
        indices = array.indices.to_numpy(zero_copy_only=False)
        used = np.isin(indices, np.asarray(unknown))
        if array.null_count:
            used &= ~np.asarray(array.is_null())
        return used if used.any() else None

    # --- model input --------------------------------------------------------------------

    def features_table(self, batch: Any) -> Any:
        """The features of ``batch`` as the columnar table ``Booster.inplace_predict`` takes."""
        pa = _pa()
        if batch.schema.equals(self.schema):  # the bound schema: the columns that pass as they are known
            arrays = [
                _zero_offset(batch.column(spec.name) if as_is else self._feature_array(spec, batch.column(spec.name)))
                for spec, as_is in zip(self._feature_specs, self._as_is, strict=True)
            ]
        else:
            arrays = [_zero_offset(self._feature_array(spec, batch.column(spec.name))) for spec in self._feature_specs]
        return pa.Table.from_arrays(arrays, names=self.features)

    def _feature_array(self, spec: ColumnSpec, array: Any) -> Any:
        pa = _pa()
        type_ = array.type
        if spec.kind != "categorical":
            if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_boolean(type_):
                if pa.types.is_boolean(type_) or pa.types.is_float16(type_):
                    return array.cast(pa.float32())
                return array
            return pa.array(self._polars_codes(spec, array))
        categories = self._categories.get(spec.name, ())
        if pa.types.is_dictionary(type_) and _is_string(type_.value_type) and len(array.dictionary) <= _MAX_DICTIONARY:
            index = {value: float(i) for i, value in enumerate(categories)}
            lookup = np.array([index.get(v, np.nan) for v in array.dictionary.to_pylist()] + [np.nan], dtype=np.float32)
            indices = array.indices
            if array.null_count:
                indices = indices.fill_null(len(lookup) - 1)
            return pa.array(lookup[indices.to_numpy(zero_copy_only=False)])
        if _is_string(type_):
            codes = _pc().index_in(array, value_set=self._value_sets[spec.name])
            return codes.cast(pa.float32())
        return pa.array(self._polars_codes(spec, array))

    def _polars_codes(self, spec: ColumnSpec, array: Any) -> np.ndarray:
        """One column through ``feature_matrix`` (types this module does not encode itself)."""
        frame = pl.from_arrow(_pa().table({spec.name: array}))
        assert isinstance(frame, pl.DataFrame)
        single = InputContract(columns=(spec,), features=(spec.name,), keys=())
        return feature_matrix(frame, single)[:, 0]

    @staticmethod
    def matrix(table: Any) -> np.ndarray:
        """A :meth:`features_table` as a C-contiguous ``float32`` matrix (nulls as NaN)."""
        out = np.empty((table.num_rows, table.num_columns), dtype=np.float32)
        for j, column in enumerate(table.columns):
            out[:, j] = column.to_numpy()  # chunked → numpy; nulls come back as NaN for floats
        return out
