"""Helpers shared by the example generators: seeded streams, validation, splitting, atomic writes.

Every random draw in a generator comes from its own named stream, spawned from
``(seed, *context, chunk)``. That buys three properties the examples rely on:

- the same arguments give the same frame, bit for bit, on every machine;
- changing a parameter that only enters one column (``bias`` enters only the label)
  leaves every other column unchanged, so a test can compare labels on identical rows;
- rows are generated in fixed-size chunks, so the first ``n`` rows of a large frame
  equal a frame of ``n`` rows, and memory stays bounded while millions of rows are drawn.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError

__all__ = [
    "CHUNK_ROWS",
    "check_n",
    "check_seed",
    "chunks",
    "formatted_ids",
    "sigmoid",
    "split",
    "streams",
    "write_parquet_atomic",
]

#: Rows drawn per chunk; bounds the numpy temporaries to a few hundred MB.
CHUNK_ROWS = 1_000_000


def check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValidationError(f"n must be a non-negative integer, got {n!r}. Pass the number of rows to generate.")
    return int(n)


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer, got {seed!r}.")
    return int(seed)


def chunks(n: int) -> Iterator[tuple[int, int, int]]:
    """Yield ``(chunk_index, offset, length)`` covering ``n`` rows (one empty chunk when n is 0)."""
    size = CHUNK_ROWS
    if n == 0:
        yield 0, 0, 0
        return
    for index, offset in enumerate(range(0, n, size)):
        yield index, offset, min(size, n - offset)


def streams(seed: int, context: Sequence[int], names: Sequence[str]) -> dict[str, np.random.Generator]:
    """One independent generator per name. Append new names at the end to keep old streams stable."""
    children = np.random.SeedSequence([seed, *context]).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def formatted_ids(prefix: str, start: int, n: int, *, width: int = 7) -> pl.Series:
    """``prefix`` followed by zero-padded integers ``start .. start+n-1`` (wider if a number needs it)."""
    numbers = pl.Series(np.arange(start, start + n, dtype=np.int64))
    return (prefix + numbers.cast(pl.String).str.zfill(width)).alias("id")


def split(
    df: pl.DataFrame, *, valid_fraction: float = 0.2, seed: int = 0, stratify: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Seeded train/validation split; both parts keep the input's row order.

    With ``stratify`` the fraction is applied within each value of that column, so a
    small frame's validation part keeps the label's base rate.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ValidationError(f"valid_fraction must be strictly between 0 and 1, got {valid_fraction!r}.")
    seed = check_seed(seed)
    if stratify is not None and stratify not in df.columns:
        raise ValidationError(f"Cannot stratify on {stratify!r}: the frame has no such column.")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5B117]))
    n = df.height
    is_valid = np.zeros(n, dtype=bool)
    if stratify is None:
        groups = [np.arange(n)]
    else:
        codes = df.get_column(stratify).rank("dense").fill_null(0).to_numpy()
        order = np.argsort(codes, kind="stable")
        boundaries = np.flatnonzero(np.diff(codes[order])) + 1
        groups = np.split(order, boundaries)
    for rows in groups:
        k = round(len(rows) * valid_fraction)
        is_valid[rng.permutation(rows)[:k]] = True
    mask = pl.Series(is_valid)
    return df.filter(~mask), df.filter(mask)


def write_parquet_atomic(df: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``path`` through a temporary file in the same folder, renamed into place.

    A crash or an error mid-write leaves either the old file or no file, never a partial one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        df.write_parquet(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target
