"""Benchmark: the fast drift engine against Evidently's DataDriftPreset, side by side.

Both engines judge the same seeded data: 33 columns (20 numerical, 13 categorical, a few
with nulls, a third shifted in the current frame) with the same number of rows in the
reference and the current frame. Each (engine, size) runs in a fresh subprocess so that
neither engine's caches or memory high-water mark leak into the other's numbers.

Time is the wall time of one call (``detect_drift`` on polars frames; ``evidently_verdicts``,
which includes the conversion to pandas), after a warm-up call on tiny frames so that
imports are not counted. Peak memory is the process's resident set size (RSS) sampled
every 5 ms by a thread during the call, minus the RSS just before it: tracemalloc would
miss polars' allocations, which are made in Rust outside Python's allocator.

Usage::

    python benchmarks/drift.py                      # 10k, 100k and 1M rows
    python benchmarks/drift.py 10000 100000         # chosen sizes
    python benchmarks/drift.py --no-evidently 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import polars as pl

N_NUMERIC_FLOAT = 16
N_NUMERIC_INT = 4
N_CAT_INT = 5
N_CAT_STRING = 6
N_BOOL = 2
SEED = 20240601


def make_frames(n_rows: int, seed: int = SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reference and current frames of 33 columns; every third column drifts."""
    rng = np.random.default_rng(seed)
    ref: dict[str, Any] = {}
    cur: dict[str, Any] = {}
    k = 0

    def shift() -> bool:
        return k % 3 == 0

    for i in range(N_NUMERIC_FLOAT):
        loc, scale = rng.normal(0, 5), rng.uniform(0.5, 3)
        ref[f"num_{i}"] = rng.normal(loc, scale, n_rows)
        cur[f"num_{i}"] = rng.normal(loc + (0.4 * scale if shift() else 0), scale, n_rows)
        k += 1
    for i in range(N_NUMERIC_INT):
        high = int(rng.integers(200, 2000))
        ref[f"count_{i}"] = rng.integers(0, high, n_rows)
        cur[f"count_{i}"] = rng.integers(0, int(high * (1.5 if shift() else 1)), n_rows)
        k += 1
    for i in range(N_CAT_INT):
        levels = int(rng.integers(3, 10))
        p = rng.dirichlet(np.ones(levels) * 5)
        q = rng.dirichlet(np.ones(levels)) if shift() else p
        ref[f"level_{i}"] = rng.choice(levels, n_rows, p=p)
        cur[f"level_{i}"] = rng.choice(levels, n_rows, p=q)
        k += 1
    words = ["north", "south", "east", "west", "centre", "island", "abroad"]
    for i in range(N_CAT_STRING):
        levels = words[: int(rng.integers(3, len(words)))]
        p = rng.dirichlet(np.ones(len(levels)) * 5)
        q = rng.dirichlet(np.ones(len(levels))) if shift() else p
        ref[f"region_{i}"] = rng.choice(levels, n_rows, p=p)
        cur[f"region_{i}"] = rng.choice(levels, n_rows, p=q)
        k += 1
    for i in range(N_BOOL):
        rate = rng.uniform(0.2, 0.6)
        ref[f"flag_{i}"] = rng.random(n_rows) < rate
        cur[f"flag_{i}"] = rng.random(n_rows) < rate + (0.25 if shift() else 0)
        k += 1
    return _with_nulls(pl.DataFrame(ref), rng), _with_nulls(pl.DataFrame(cur), rng)


def _with_nulls(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A few nulls, as real data has them: both engines must drop them the same way."""
    holes = {"num_1": 0.02, "count_0": 0.01, "region_1": 0.05}
    return frame.with_columns(
        [
            pl.when(pl.Series(rng.random(frame.height) < share)).then(None).otherwise(pl.col(c)).alias(c)
            for c, share in holes.items()
        ]
    )


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _measure(call: Any) -> tuple[Any, float, int]:
    """Run ``call()``; return its result, wall seconds and peak RSS above the start."""
    baseline = _rss()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = max(peak, _rss())
    return result, seconds, peak - baseline


def worker(engine: str, n_rows: int) -> dict[str, Any]:
    from workbench.drift import detect_drift, evidently_verdicts

    reference, current = make_frames(n_rows)
    tiny_ref, tiny_cur = make_frames(2000, seed=1)
    if engine == "fast":
        detect_drift(tiny_ref, tiny_cur)
        report, seconds, peak = _measure(lambda: detect_drift(reference, current))
        verdicts = report.verdicts()
    else:
        evidently_verdicts(tiny_ref, tiny_cur)
        verdicts, seconds, peak = _measure(lambda: evidently_verdicts(reference, current))
    return {"engine": engine, "rows": n_rows, "seconds": seconds, "peak_bytes": peak, "verdicts": verdicts}


def _run_worker(engine: str, n_rows: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", engine, str(n_rows)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-evidently", action="store_true", help="time the fast engine only")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return 0

    import psutil

    print(
        f"# {platform.processor() or platform.machine()}, {psutil.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
        f"polars {pl.__version__}, numpy {np.__version__}"
    )
    header = (
        "| rows (each frame) | fast s | Evidently s | speed-up | fast peak MiB | Evidently peak MiB | verdicts agree |"
    )
    print(header)
    print("|---:|---:|---:|---:|---:|---:|:---|")
    failures = 0
    for n_rows in args.sizes:
        fast = _run_worker("fast", n_rows)
        drifted = sum(fast["verdicts"].values())
        row = [f"{n_rows:,}", f"{fast['seconds']:.3f}"]
        if args.no_evidently:
            row += ["", "", f"{fast['peak_bytes'] / 2**20:.0f}", "", f"({drifted}/{len(fast['verdicts'])} drifted)"]
        else:
            ev = _run_worker("evidently", n_rows)
            agree = sum(fast["verdicts"].get(c) == v for c, v in ev["verdicts"].items())
            same = agree == len(ev["verdicts"]) == len(fast["verdicts"])
            failures += not same
            row += [
                f"{ev['seconds']:.2f}",
                f"{ev['seconds'] / fast['seconds']:.0f}x",
                f"{fast['peak_bytes'] / 2**20:.0f}",
                f"{ev['peak_bytes'] / 2**20:.0f}",
                f"{agree}/{len(ev['verdicts'])}{'' if same else ' DIFFER'} ({drifted} drifted)",
            ]
        print("| " + " | ".join(row) + " |", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
