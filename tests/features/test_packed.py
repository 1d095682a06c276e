"""Packed rows: every dtype the online store keeps round-trips exactly, nulls and unknown keys included."""

from __future__ import annotations

import binascii
import math
import struct
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


def test_rows_without_strings_decode_in_one_call_and_keep_unknown_keys_in_order() -> None:
    frame = _frame().drop("name", "note")
    texts = encode_rows(frame, frame.columns).to_list()
    assert len({len(t) for t in texts}) == 1 and not texts[0].endswith("=")  # a multiple of three bytes
    assert decode_rows(texts, dict(frame.schema)).equals(frame)
    back = decode_rows([texts[3], None, texts[1], texts[3]], dict(frame.schema))
    assert back.row(1) == (None,) * frame.width
    assert back.slice(0, 1).equals(frame.slice(3, 1)) and back.slice(3, 1).equals(frame.slice(3, 1))
    assert back.slice(2, 1).equals(frame.slice(1, 1))
    first_unknown = decode_rows([None, texts[2]], dict(frame.schema))
    assert first_unknown.row(0) == (None,) * frame.width and first_unknown.slice(1, 1).equals(frame.slice(2, 1))


def test_rows_packed_before_the_padding_are_still_read() -> None:
    # What encode_rows wrote before rows were padded to a multiple of three bytes: a bitmap byte and two
    # float64, 17 bytes, so base64 text ending in "=".
    frame = pl.DataFrame({"score": [1.5, None, -2.25], "rate": [0.5, 2.0, None]})
    rows = [
        b"\x03" + struct.pack("<dd", 1.5, 0.5),
        b"\x02" + struct.pack("<dd", 0.0, 2.0),
        b"\x01" + struct.pack("<dd", -2.25, 0.0),
    ]
    legacy = [binascii.b2a_base64(row, newline=False).decode("ascii") for row in rows]
    assert legacy[0].endswith("=")
    assert decode_rows(legacy, dict(frame.schema)).equals(frame)
    assert decode_rows([legacy[2], None, legacy[0]], dict(frame.schema)).rows() == [
        (-2.25, None),
        (None, None),
        (1.5, 0.5),
    ]
    assert decode_rows([None, legacy[1], None], dict(frame.schema)).rows() == [(None, None), (None, 2.0), (None, None)]
