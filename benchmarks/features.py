"""What feature sets cost: the point-in-time training set against Feast's offline store, online
lookups, and scoring from raw rows against scoring finished features.

    python benchmarks/features.py [--entities 1000000] [--source-rows 10000000] [--features 20]
                                  [--feast-venv PATH] [--skip-feast] [--only-online]

Builds a throw-away project in a temp folder with two Parquet sources (half the features
each, ``--source-rows`` events over ``--keys`` entities, event times in UTC at whole seconds)
and a feature set declaring the features as plain column expressions (one source with a
90-day TTL), then times:

* ``training_set`` (polars ``join_asof`` by entity, strictly before, with the TTL), including
  the input checks (null and duplicate event times);
* Feast's ``get_historical_features(...).to_df()`` on the same Parquet files (a ``FileSource``
  per source, a ``FeatureView`` each with the same TTL, the file offline store), run by this
  script (``--feast-job``) inside a virtualenv that the benchmark creates and installs Feast
  into (``--feast-venv`` keeps and reuses one at a path of your choice; the default is a temp
  folder, deleted afterwards). Feast is never a dependency of workbench. Feast takes a value
  recorded *at* the entity's time, workbench only one recorded strictly before, so entity times
  fall at half seconds: no event coincides with a decision and both definitions give the same
  rows, which the benchmark checks (every row, every feature, bit for bit, in entity order);
* ``materialize`` into SQLite (and again, when every entity is already stored: the upsert's
  update path), then ``lookup`` of 1,000 random keys, 300 times (p50, p99, wall and CPU time),
  interleaved: the kept SQLite reader on the store (packed rows as BLOBs since migration 0009,
  read back joined), the same reader on a copy of the store downgraded to 0008 (base64 text
  rows, read row by row), and a fresh SQLAlchemy connection per lookup (the path of other
  databases);
* a scoring job of ``--score-rows`` entity rows on a version that carries the feature set
  (its input holds only the entity key and the decision time, so the job computes the features
  from the sources by the training code path) against the same model registered without a
  feature set scoring the same rows with their features already computed; the ratio is the
  cost of computing features at scoring time.

Top-level imports are the standard library's only, so the same file runs in Feast's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TTL_DAYS = 90
FEAST_SPEC = "feast"


# --- Feast's side: runs inside the throw-away virtualenv (pandas, pyarrow and feast only) ----------------


def feast_job(folder: Path, features: int) -> None:
    """Feast's point-in-time join over ``folder``'s Parquet files; writes ``feast.parquet`` and prints the timings."""
    from datetime import timedelta

    import feast
    import pandas as pd
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64

    repo = folder / "feast_repo"
    repo.mkdir(exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        "project: bench\n"
        f"registry: {repo / 'registry.db'}\n"
        "provider: local\n"
        f"online_store:\n  type: sqlite\n  path: {repo / 'online.db'}\n"
        "offline_store:\n  type: file\n"
        "entity_key_serialization_version: 3\n"
    )
    entity = Entity(name="entity", join_keys=["entity"], value_type=ValueType.INT64)
    half = features // 2
    views = [
        FeatureView(
            name=name,
            entities=[entity],
            ttl=ttl,  # timedelta(0): never expires, as a source without a TTL here
            schema=[Field(name=f"f{i}", dtype=Float64) for i in columns],
            source=FileSource(name=name, path=str(folder / "data" / f"{name}.parquet"), timestamp_field="time"),
        )
        for name, ttl, columns in (
            ("a", timedelta(days=TTL_DAYS), range(half)),
            ("b", timedelta(0), range(half, features)),
        )
    ]
    store = FeatureStore(repo_path=str(repo))
    store.apply([entity, *views])
    entity_df = pd.read_parquet(folder / "entities.parquet").rename(columns={"decision_time": "event_timestamp"})
    refs = [f"a:f{i}" for i in range(half)] + [f"b:f{i}" for i in range(half, features)]
    started, cpu = time.perf_counter(), time.process_time()
    result = store.get_historical_features(entity_df=entity_df, features=refs).to_df()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    result.rename(columns={"event_timestamp": "decision_time"}).to_parquet(folder / "feast.parquet")
    print(json.dumps({"feast_version": feast.__version__, "wall_s": wall, "cpu_s": cpu, "rows": len(result)}))


def _feast_python(venv: Path) -> Path:
    """The venv's interpreter, creating the venv and installing Feast into it when it has none."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import feast"], capture_output=True, check=False)
    if probe.returncode != 0:
        print(f"installing {FEAST_SPEC} into {venv} ...", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "-q", FEAST_SPEC], check=True)
    return python


def run_feast(venv: Path, folder: Path, features: int) -> dict[str, Any]:
    python = _feast_python(venv)
    done = subprocess.run(
        [str(python), __file__, "--feast-job", str(folder), "--features", str(features)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Feast's job failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- workbench's side ---------------------------------------------------------------------------------------


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


def _at(milliseconds: Any) -> Any:
    """UTC datetimes (microseconds) ``milliseconds`` after 2025-01-01."""
    import polars as pl

    start = pl.datetime(2025, 1, 1, time_zone="UTC").dt.cast_time_unit("us")
    return pl.select(start + pl.duration(milliseconds=pl.Series(milliseconds).cast(pl.Int64))).to_series()


def _source(rng: Any, rows: int, columns: range, entities: int) -> Any:
    import polars as pl

    # Unique times (whole seconds within one year), so no entity has two events at one time.
    seconds = rng.choice(365 * 86_400, size=rows, replace=False)
    frame = pl.DataFrame({"entity": rng.integers(0, entities, rows), "time": _at(seconds * 1_000)})
    return frame.with_columns(pl.Series(f"f{i}", rng.normal(size=rows)) for i in columns)


def _entities(rng: Any, rows: int, keys: int) -> Any:
    import polars as pl

    # Half seconds: never the time of an event (see the docstring); unique, so every row is its own.
    half_seconds = rng.choice(400 * 86_400, size=rows, replace=False) * 1_000 + 500
    return pl.DataFrame({"entity": rng.integers(0, keys, rows), "decision_time": _at(half_seconds)})


def _percentiles(label: str, samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p99 = samples[-max(1, len(samples) // 100)]  # the 3rd slowest of 300, the 10th of 1,000
    return {f"{label}_p50_ms": round(statistics.median(samples), 2), f"{label}_p99_ms": round(p99, 2)}


def _fresh_lookup(workspace: Any, keys: list[int]) -> Any:
    import polars as pl

    from workbench.features.online import _lookup_sqlalchemy
    from workbench.features.packed import decode_rows

    key_series, found, schema = _lookup_sqlalchemy(workspace, "bench", keys, None)
    texts = [found.get(t) if t is not None else None for t in key_series.cast(pl.String).to_list()]
    return decode_rows(texts, {f: schema[f] for f in list(schema)[1:]}).insert_column(0, key_series)


def _copy_at_0008(database: Path, copy: Path) -> Path:
    """A copy of the store downgraded to migration 0008: packed rows as base64 text, a run id per row."""
    import sqlite3

    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from workbench.store import engine as store_engine

    source, target = sqlite3.connect(database), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    engine = sa.create_engine(f"sqlite:///{copy}")
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(Path(store_engine.__file__).with_name("migrations")))
            config.attributes["connection"] = conn
            command.downgrade(config, "0008")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
    finally:
        engine.dispose()
    return copy


def _sqlite_stand_in(database: Path) -> Any:
    """What ``lookup`` reads of a workspace on SQLite (its store's file), for a copy that opening a store
    would migrate to the head."""
    from types import SimpleNamespace

    url = SimpleNamespace(database=str(database))
    return SimpleNamespace(store=SimpleNamespace(backend="sqlite", engine=SimpleNamespace(url=url)))


def _lookups(workspace: Any, rng: Any, keys: int, store_0008: Path, block: int = 1) -> dict[str, float]:
    """1,000 random keys: first 1,000 lookups in a row with the kept reader on the store (``solo``, the
    target's measurement: a process serving one store); then 300 times each way, interleaved so that
    machine load hits all alike: the
    SQLite reader (a kept connection) on the store, the same on ``store_0008`` (the rows before
    migration 0009), and a fresh SQLAlchemy connection per lookup (the path before the reader, and
    still the one for other databases). Wall and CPU (this thread) times.

    ``block`` lookups run one way before the next way's: with 1, each lookup follows one of another
    way, which has just read another file (or a fresh connection's pages) through the CPU's caches;
    with 10, most follow one of their own way, as in a process serving one store."""
    from workbench.features.online import lookup

    before = _sqlite_stand_in(store_0008)
    for _ in range(20):  # warm both files' caches alike
        warm = rng.integers(0, keys, 1_000).tolist()
        assert lookup(workspace, "bench", warm).equals(lookup(before, "bench", warm))
    # The target's measurement: one process looking up in its store, 1,000 times in a row (nothing else read
    # in between), p99 the 10th slowest.
    solo: dict[str, list[float]] = {"solo": [], "solo_cpu": []}
    for _ in range(1_000):
        wanted_keys = rng.integers(0, keys, 1_000).tolist()
        started, cpu = time.perf_counter(), time.thread_time()
        lookup(workspace, "bench", wanted_keys)
        solo["solo_cpu"].append((time.thread_time() - cpu) * 1_000)
        solo["solo"].append((time.perf_counter() - started) * 1_000)
    ways = (
        ("reader", lambda wanted: lookup(workspace, "bench", wanted)),
        ("reader_0008_rows", lambda wanted: lookup(before, "bench", wanted)),
        ("fresh", lambda wanted: _fresh_lookup(workspace, wanted)),
    )
    samples: dict[str, list[float]] = {}
    for turn in range(300 // block):
        wanted = [rng.integers(0, keys, 1_000).tolist() for _ in range(block)]
        for label, run in ways[turn % 3 :] + ways[: turn % 3]:  # each way first in turn
            for keys_wanted in wanted:
                started, cpu = time.perf_counter(), time.thread_time()
                run(keys_wanted)
                samples.setdefault(f"{label}_cpu", []).append((time.thread_time() - cpu) * 1_000)
                samples.setdefault(label, []).append((time.perf_counter() - started) * 1_000)
    results: dict[str, Any] = {"loadavg_after_lookups": Path("/proc/loadavg").read_text().split()[:3]}
    for label, values in {**solo, **samples}.items():
        results.update(_percentiles(f"online_1000_keys_{label}", values))
    return results


def _scoring(workspace: Any, ours: Any, rows: int, features: int) -> dict[str, float]:
    """One model registered twice, with the feature set and without; the same rows scored by each."""
    import polars as pl
    import xgboost as xgb

    from workbench.jobs.score import score
    from workbench.registry.register import RegisterOptions, register

    names = [f"f{i}" for i in range(features)]
    labelled = ours.head(20_000).with_columns(
        (pl.col("f0").fill_null(0) + pl.col(names[-1]).fill_null(0) > 0).cast(pl.Int8).alias("label")
    )
    model = xgb.XGBClassifier(n_estimators=50, max_depth=4, n_jobs=1).fit(
        labelled.select(names).to_pandas(), labelled["label"]
    )
    train, valid = labelled.head(15_000), labelled.tail(5_000)
    options = RegisterOptions(explain="approx", explain_rows=200, evidently_report=False, drift_report_rows=2_000)
    for name, feature_set in (("bench_raw", "bench"), ("bench_done", None)):
        register(
            workspace,
            model,
            name=name,
            train=train,
            valid=valid,
            target="label",
            keys=["entity"],
            features=names,
            feature_set=feature_set,
            options=options,
        )
    root = workspace.project.root
    scored = ours.slice(ours.height - rows)  # rows no model was trained on
    scored.select("entity", "decision_time").write_parquet(root / "data" / "raw_rows.parquet")
    scored.write_parquet(root / "data" / "finished_rows.parquet")
    results: dict[str, float] = {"score_rows": scored.height}
    for label, ref, source in (
        ("raw", "bench_raw:1", "raw_rows"),
        ("finished", "bench_done:1", "finished_rows"),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        score(workspace, ref, f"data/{source}.parquet", f"data/{source}_scored.parquet")
        results[f"score_{label}_s"] = round(time.perf_counter() - started, 2)
        results[f"score_{label}_cpu_s"] = round(time.process_time() - cpu, 2)
    results["score_raw_over_finished"] = round(results["score_raw_s"] / results["score_finished_s"], 2)
    results["score_raw_over_finished_cpu"] = round(results["score_raw_cpu_s"] / results["score_finished_cpu_s"], 2)
    return results


def _compare(ours: Any, folder: Path) -> dict[str, object]:
    """Feast's rows against ours, in entity order, every feature bit for bit.

    Feast's file offline store drops an entity row when a feature view has events of that entity
    but none in the row's window (all later, or older than the TTL): its TTL filter removes every
    candidate, so nothing is left to join back. Workbench keeps such a row with nulls. So the rows
    Feast returns are compared, and every row it dropped must be one of ours with a null feature.
    """
    import polars as pl

    ours = ours.with_row_index("__row")
    theirs = pl.read_parquet(folder / "feast.parquet").sort("__row")
    returned = ours.join(theirs.select("__row"), on="__row", how="semi")
    dropped = ours.join(theirs.select("__row"), on="__row", how="anti")
    with_nulls = ours.filter(pl.any_horizontal(pl.exclude("__row", "entity", "decision_time").is_null()))
    return {
        "feast_rows": theirs.height,
        "feast_dropped_rows": dropped.height,
        "identical_rows": returned.equals(theirs.select(ours.columns).cast(ours.schema)),
        # An entity with no event in a view at all keeps its row in Feast too (with nulls).
        "dropped_rows_all_ours_with_nulls": dropped.join(with_nulls, on="__row", how="anti").height == 0,
    }


def _partial(results: dict[str, object]) -> None:
    """What is measured so far, on stderr: a later stage that fails does not lose it."""
    print(json.dumps(results), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--source-rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--keys", type=int, default=1_000_000, help="distinct entities")
    parser.add_argument("--score-rows", type=int, default=200_000)
    parser.add_argument("--feast-venv", type=Path, help="keep Feast's virtualenv here (reused when it has Feast)")
    parser.add_argument("--skip-feast", action="store_true")
    parser.add_argument("--skip-online", action="store_true", help="no materialize, lookups or scoring")
    parser.add_argument("--skip-scoring", action="store_true")
    parser.add_argument(
        "--only-online", action="store_true", help="only materialize and lookups: no training set, Feast or scoring"
    )
    parser.add_argument(
        "--lookup-block",
        type=int,
        default=1,
        choices=(1, 10),
        help="online lookups per way before the next (1: every lookup alternates; 10: see _lookups)",
    )
    parser.add_argument("--feast-job", type=Path, help=argparse.SUPPRESS)  # Feast's side, inside its venv
    args = parser.parse_args()
    if args.feast_job:
        feast_job(args.feast_job, args.features)
        return

    import numpy as np
    import polars as pl

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from datetime import UTC, datetime

    from workbench.features.materialize import materialize
    from workbench.features.service import training_set
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace

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
        entities = _entities(rng, args.entities, args.keys)
        entities.with_row_index("__row").write_parquet(root / "entities.parquet")
        workspace = open_workspace(root)

        ours = pl.DataFrame()
        if args.only_online:
            args.skip_feast = args.skip_scoring = True
        else:
            started, cpu = time.perf_counter(), time.process_time()
            collected = training_set(workspace.project, "bench", entities)
            results["polars_training_set_s"] = round(time.perf_counter() - started, 2)
            results["polars_training_set_cpu_s"] = round(time.process_time() - cpu, 2)
            assert isinstance(collected, pl.DataFrame)
            ours = collected
        if not args.skip_feast:
            venv = args.feast_venv or Path(folder) / "feast-venv"
            feast = run_feast(venv, root, args.features)
            results["feast_version"] = feast["feast_version"]
            results["feast_get_historical_features_s"] = round(feast["wall_s"], 2)
            results["feast_get_historical_features_cpu_s"] = round(feast["cpu_s"], 2)
            results["speedup_vs_feast"] = round(feast["wall_s"] / results["polars_training_set_s"], 1)  # type: ignore[operator]
            results["speedup_vs_feast_cpu"] = round(feast["cpu_s"] / results["polars_training_set_cpu_s"], 1)  # type: ignore[operator]
            results.update(_compare(ours, root))
            if args.feast_venv is None:
                shutil.rmtree(venv, ignore_errors=True)

        _partial(results)
        if args.skip_online:
            print(json.dumps(results, indent=1))
            return
        results["loadavg_before_materialize"] = Path("/proc/loadavg").read_text().split()[:3]
        for label in ("materialize", "materialize_again"):  # into an empty table, then over every row
            started, cpu = time.perf_counter(), time.process_time()
            done = materialize(workspace, "bench", until=datetime(2026, 1, 1, tzinfo=UTC))
            results[f"{label}_s"] = round(time.perf_counter() - started, 2)
            results[f"{label}_cpu_s"] = round(time.process_time() - cpu, 2)
        results["online_entities"] = done.online_rows
        database = Path(str(workspace.store.engine.url.database))
        store_0008 = _copy_at_0008(database, Path(folder) / "at-0008.db")
        results["lookup_block"] = args.lookup_block
        results.update(_lookups(workspace, rng, args.keys, store_0008, args.lookup_block))
        _partial(results)
        if not args.skip_scoring:
            results.update(_scoring(workspace, ours, min(args.score_rows, ours.height), args.features))
        os.chdir(Path(folder).parent)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
