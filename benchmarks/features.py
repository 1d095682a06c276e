"""What feature sets cost: the point-in-time training set against a pandas (Feast-style) join,
and online lookups.

    python benchmarks/features.py [--entities 1000000] [--source-rows 10000000] [--features 20]

Builds a throw-away project in a temp folder with two Parquet sources (half the features
each, ``--source-rows`` events over 100k entities) and a feature set declaring the features
as plain column expressions, then times:

* ``training_set`` (polars ``join_asof`` by entity, strictly before, with a TTL on one
  source), including the input checks (null and duplicate event times);
* the same join done the way Feast's offline store does it for a file source: pandas
  ``merge_asof`` per source (``allow_exact_matches=False``, ``tolerance`` = the TTL), and
  checks that both give identical rows;
* ``materialize`` into SQLite, then ``lookup`` of 1,000 random keys, 300 times (p50, p99; the
  kept SQLite reader against a fresh connection per lookup, wall and CPU time).

Feast itself is not installed here (no network on the benchmark machine; the issue asks for
a throw-away virtualenv). Its ``get_historical_features`` on a file source runs the pandas
``merge_asof`` per feature view that the second measurement stands for, plus its own
bookkeeping, so the pandas figure is an upper bound on Feast's speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.features.materialize import materialize
from workbench.features.online import _lookup_sqlalchemy, lookup
from workbench.features.packed import decode_rows
from workbench.features.service import training_set
from workbench.project.init import init_project
from workbench.project.workspace import Workspace, open_workspace

T0 = datetime(2025, 1, 1)
TTL_DAYS = 90


def _module(features: int) -> str:
    half = features // 2
    first = ", ".join(f'"f{i}": pl.col("f{i}")' for i in range(half))
    second = ", ".join(f'"f{i}": pl.col("f{i}")' for i in range(half, features))
    return (
        "from datetime import timedelta\nimport polars as pl\nfrom workbench.features import FeatureSet, Source\n\n"
        "bench = FeatureSet(name='bench', entity='entity', event_time='time', sources=[\n"
        f"    Source('a', 'data/a.parquet', features={{{first}}}, ttl=timedelta(days={TTL_DAYS})),\n"
        f"    Source('b', 'data/b.parquet', features={{{second}}}),\n])\n"
    )


def _source(rng: np.random.Generator, rows: int, columns: range, entities: int) -> pl.DataFrame:
    # Unique times per entity: seconds drawn without collisions within one year.
    seconds = rng.choice(365 * 86_400, size=rows, replace=False)
    data = {"entity": rng.integers(0, entities, rows), "time": pl.Series(seconds).cast(pl.Int64)}
    frame = pl.DataFrame(data).with_columns(
        (pl.lit(T0) + pl.duration(seconds=pl.col("time"))).alias("time").cast(pl.Datetime("us"))
    )
    return frame.with_columns(pl.Series(f"f{i}", rng.normal(size=rows)) for i in columns)


def _pandas_join(root: Path, entities: pl.DataFrame, features: int) -> pl.DataFrame:
    import pandas as pd

    left = entities.to_pandas().reset_index(names="__row").sort_values("decision_time")
    for name, ttl, columns in (
        ("a", pd.Timedelta(days=TTL_DAYS), range(features // 2)),
        ("b", None, range(features // 2, features)),
    ):
        wanted = ["entity", "time", *(f"f{i}" for i in columns)]
        right = pd.read_parquet(root / "data" / f"{name}.parquet", columns=wanted)
        right = right.rename(columns={"time": "decision_time"}).sort_values("decision_time")
        left = pd.merge_asof(
            left, right, on="decision_time", by="entity", allow_exact_matches=False, tolerance=ttl, direction="backward"
        )
    result = left.sort_values("__row").drop(columns="__row")
    return pl.from_pandas(result)


def _percentiles(label: str, samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {f"{label}_p50_ms": round(statistics.median(samples), 2), f"{label}_p99_ms": round(samples[-3], 2)}


def _fresh_lookup(workspace: Workspace, keys: list[int]) -> pl.DataFrame:
    key_series, found, schema = _lookup_sqlalchemy(workspace, "bench", keys, None)
    texts = [found.get(t) if t is not None else None for t in key_series.cast(pl.String).to_list()]
    return decode_rows(texts, {f: schema[f] for f in list(schema)[1:]}).insert_column(0, key_series)


def _lookups(workspace: Workspace, rng: np.random.Generator, keys: int) -> dict[str, float]:
    """1,000 random keys, 300 times each way, interleaved so that machine load hits both alike: the
    SQLite reader (a kept connection) against a fresh SQLAlchemy connection per lookup (the path
    before the reader, and still the one for other databases). Wall and CPU (this thread) times."""
    lookup(workspace, "bench", [0])
    samples: dict[str, list[float]] = {"reader": [], "reader_cpu": [], "fresh": [], "fresh_cpu": []}
    for _ in range(300):
        wanted = rng.integers(0, keys, 1_000).tolist()
        for label, run in (
            ("reader", lambda wanted=wanted: lookup(workspace, "bench", wanted)),
            ("fresh", lambda wanted=wanted: _fresh_lookup(workspace, wanted)),
        ):
            started, cpu = time.perf_counter(), time.thread_time()
            run()
            samples[f"{label}_cpu"].append((time.thread_time() - cpu) * 1_000)
            samples[label].append((time.perf_counter() - started) * 1_000)
    results: dict[str, float] = {}
    for label, values in samples.items():
        results.update(_percentiles(f"online_1000_keys_{label}", values))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--source-rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--keys", type=int, default=100_000, help="distinct entities")
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    results: dict[str, object] = {"entities": args.entities, "source_rows": args.source_rows, "features": args.features}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "proj"
        init_project(root, git=False, dvc=False)
        os.chdir(root)
        (root / "data").mkdir()
        half = args.features // 2
        _source(rng, args.source_rows // 2, range(half), args.keys).write_parquet(root / "data" / "a.parquet")
        _source(rng, args.source_rows // 2, range(half, args.features), args.keys).write_parquet(
            root / "data" / "b.parquet"
        )
        (root / "features").mkdir()
        (root / "features" / "bench.py").write_text(_module(args.features))
        entities = pl.DataFrame(
            {
                "entity": rng.integers(0, args.keys, args.entities),
                "decision_time": pl.Series(rng.integers(0, 400 * 86_400, args.entities)).cast(pl.Int64),
            }
        ).with_columns(
            (pl.lit(T0) + pl.duration(seconds=pl.col("decision_time"))).cast(pl.Datetime("us")).alias("decision_time")
        )
        workspace = open_workspace(root)

        started, cpu = time.perf_counter(), time.process_time()
        ours = training_set(workspace.project, "bench", entities)
        results["polars_training_set_s"] = round(time.perf_counter() - started, 2)
        results["polars_training_set_cpu_s"] = round(time.process_time() - cpu, 2)
        assert isinstance(ours, pl.DataFrame)
        if not args.skip_pandas:
            started, cpu = time.perf_counter(), time.process_time()
            theirs = _pandas_join(root, entities, args.features)
            results["pandas_merge_asof_s"] = round(time.perf_counter() - started, 2)
            results["pandas_merge_asof_cpu_s"] = round(time.process_time() - cpu, 2)
            results["speedup"] = round(results["pandas_merge_asof_s"] / results["polars_training_set_s"], 1)  # type: ignore[operator]
            results["identical_rows"] = ours.equals(theirs.select(ours.columns).cast(ours.schema))  # type: ignore[arg-type]

        started = time.perf_counter()
        done = materialize(workspace, "bench", until=datetime(2026, 1, 1, tzinfo=UTC))
        results["materialize_s"] = round(time.perf_counter() - started, 2)
        results["online_entities"] = done.online_rows
        results.update(_lookups(workspace, rng, args.keys))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
