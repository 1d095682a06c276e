"""Packed rows: every dtype the online store keeps round-trips exactly, nulls and unknown keys included."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl

from workbench.features.packed import decode_rows, encode_rows


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "score": [1.5, None, math.nan, -0.0],
            "small": pl.Series([1.25, 2.0, None, 3.5], dtype=pl.Float32),
            "flag": [True, None, False, True],
            "name": ["x", None, "héllo", ""],
            "note": ["", "a", None, "zz"],
            "day": [date(2020, 1, 1), None, date(1960, 5, 5), date(2030, 12, 31)],
            "seen": [datetime(2020, 1, 1, tzinfo=UTC), None, datetime(1969, 12, 31, 23, tzinfo=UTC), None],
            "count": pl.Series([1, 2, None, 65_535], dtype=pl.UInt16),
            "big": pl.Series([-(2**62), None, 0, 2**62], dtype=pl.Int64),
            "age": [timedelta(days=3), None, timedelta(0), timedelta(microseconds=-1)],
        }
    ).with_columns(pl.col("seen").dt.cast_time_unit("ms"))


def test_packed_rows_round_trip_every_dtype_bit_for_bit() -> None:
    frame = _frame()
    texts = encode_rows(frame, frame.columns).to_list()
    back = decode_rows(texts, dict(frame.schema))
    assert back.schema == frame.schema
    assert back.equals(frame)  # NaN, -0.0, nulls and the time zone included


def test_unknown_keys_come_back_as_rows_of_nulls_in_order() -> None:
    frame = _frame()
    texts = encode_rows(frame, frame.columns).to_list()
    back = decode_rows([None, texts[2], None, texts[0]], dict(frame.schema))
    assert back.row(0) == (None,) * frame.width and back.row(2) == (None,) * frame.width
    assert back.slice(1, 1).equals(frame.slice(2, 1)) and back.slice(3, 1).equals(frame.slice(0, 1))
    assert decode_rows([None, None], dict(frame.schema)).null_count().row(0) == (2,) * frame.width


def test_rows_written_as_json_objects_are_still_read() -> None:
    frame = pl.DataFrame({"score": [1.5, None], "name": ["a", None]})
    legacy = frame.select(pl.struct(frame.columns).struct.json_encode()).to_series().to_list()
    assert decode_rows([legacy[1], None, legacy[0]], dict(frame.schema)).rows() == [
        (None, None),
        (None, None),
        (1.5, "a"),
    ]
