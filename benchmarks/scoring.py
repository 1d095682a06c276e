"""Benchmark: end-to-end scoring jobs against the raw limit of ``Booster.inplace_predict``.

One model (200 trees of depth 6 on 33 features: 30 numeric, 3 categorical, trained on
seeded data and registered in a throw-away project with a routing policy) and one set
of Parquet inputs, all in one run:

* raw limit: ``Booster.inplace_predict`` on the 1M rows' feature matrix, already in
  memory as numpy (best of ``--repeats``);
* ``workbench.jobs.score`` end to end, ``--explain none``, 1M rows: rows/s and the ratio
  to the raw limit, measured alternately with the raw limit so machine load hits both;
* peak RSS of the same job at 1M and 5M rows (each in its own process);
* ``--explain approx`` at 1M rows and ``--explain exact`` at ``--exact-rows`` rows;
* the Dask engine on a 2-worker LocalCluster (started before timing) against local;
* the same job without its per-batch drift checks (``batch_drift_rows=0``);
* reading the input and writing an output of the job's shape alone, which bounds the
  ratio any job reading this file can reach: prediction CPU / (prediction + reading +
  writing CPU), when every core is busy.

Every measurement runs in a fresh child process (``--child``), so peak RSS is the job's
own and nothing is cached between runs. Prints a Markdown table for docs/performance.md.

Usage::

    .venv/bin/python benchmarks/scoring.py                    # everything (takes a while)
    .venv/bin/python benchmarks/scoring.py --quick            # 200k/1M rows, no exact
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve()
POLICY = """\
policy: bench
models: [bench]
approvals: {required: 1}
routing:
  thresholds: {accept: 0.52, decline: 0.48}
  rules:
    - name: first_gen_borderline
      when: "first_gen AND score > 0.45 AND score < 0.55"
monitoring: {drift_share_limit: 0.5}
"""
PROGRAMS = np.array(["eng", "law", "med", "art", "sci"])
REGIONS = np.array(["n", "s", "e", "w"])


def make_frame(rows: int, seed: int, first_id: int = 0) -> pl.DataFrame:
    """Applicant-like rows: a string key, 30 numeric features, three categoricals, a target."""
    rng = np.random.default_rng(seed)
    ids = pl.select(pl.format("A{}", pl.int_range(first_id, first_id + rows))).to_series()
    data: dict[str, Any] = {"id": ids}
    for i in range(30):
        data[f"num_{i}"] = rng.normal(size=rows)
    data["program"] = PROGRAMS[rng.integers(0, 5, rows)]
    data["region"] = REGIONS[rng.integers(0, 4, rows)]
    data["first_gen"] = rng.random(rows) < 0.3
    frame = pl.DataFrame(data)
    signal = (
        pl.col("num_0")
        + 0.7 * pl.col("num_1") * pl.col("num_2")
        - 0.5 * pl.col("num_3").abs()
        + 0.3 * pl.col("num_4").sin()
        + (pl.col("program") == "law").cast(pl.Float64)
        - 0.4 * pl.col("first_gen").cast(pl.Float64)
    )
    noise = pl.lit(rng.normal(scale=0.7, size=rows))
    return frame.with_columns(admitted=(signal + noise > 0).cast(pl.Int8))


def write_input(path: Path, rows: int, seed: int, chunk: int = 500_000) -> None:
    """Write ``rows`` rows in chunks (row groups of 100k), so the writer never holds them all."""
    import pyarrow.parquet as pq

    writer = None
    for start in range(0, rows, chunk):
        table = make_frame(min(chunk, rows - start), seed + start, first_id=start).drop("admitted").to_arrow()
        writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=100_000)
    assert writer is not None
    writer.close()


def setup(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A project with the registered model, and the inputs."""
    import xgboost

    from workbench.contracts import derive_contract, feature_matrix
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace
    from workbench.registry.register import RegisterOptions, register

    root = folder / "project"
    init_project(root, git=False, dvc=False)
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "bench.yaml").write_text(POLICY)
    frame = make_frame(args.train_rows, seed=0)
    train, valid = frame.head(int(frame.height * 0.8)), frame.tail(frame.height - int(frame.height * 0.8))
    contract = derive_contract(train, target="admitted", keys=["id"])
    matrix = xgboost.DMatrix(
        feature_matrix(train, contract),
        label=train["admitted"].to_numpy(),
        feature_names=list(contract.features),
        feature_types=contract.feature_types(),
        enable_categorical=True,
    )
    started = time.perf_counter()
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": args.depth, "eta": 0.1, "tree_method": "hist", "max_bin": 64},
        matrix,
        num_boost_round=args.trees,
    )
    print(f"trained {args.trees} trees of depth {args.depth} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    workspace = open_workspace(root)
    register(
        workspace,
        booster,
        name="bench",
        train=train,
        valid=valid,
        target="admitted",
        keys=["id"],
        options=RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20, explain="approx"),
    )
    inputs = {}
    for rows in sorted({args.rows, args.big_rows, args.exact_rows}):
        path = root / "data" / f"input_{rows}.parquet"
        path.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        write_input(path, rows, seed=1)
        print(f"wrote {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        inputs[rows] = str(path)
    return {"root": str(root), "inputs": inputs}


# --- child processes: one measurement each ------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the process image; ``ru_maxrss`` would also
    count the parent's RSS at fork (Linux carries it across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024.0 if sys.platform != "darwin" else 1024.0**2)


def child_raw(spec: dict[str, Any]) -> dict[str, Any]:
    """Raw limit: inplace_predict on the input's feature matrix, already in memory."""
    from workbench.contracts import InputContract, feature_matrix
    from workbench.project.workspace import open_workspace
    from workbench.registry.versions import get_version, load_model

    workspace = open_workspace(spec["root"])
    booster = load_model(workspace, "bench:1")
    contract = InputContract.from_dict(get_version(workspace, "bench:1").contract)
    matrix = feature_matrix(pl.read_parquet(spec["input"]), contract)
    booster.inplace_predict(matrix[:1000])
    started, cpu = time.perf_counter(), time.process_time()
    booster.inplace_predict(matrix)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": matrix.shape[0], "seconds": seconds, "rows_per_s": matrix.shape[0] / seconds, "cpu_s": cpu}


def child_decode(spec: dict[str, Any]) -> dict[str, Any]:
    """The input side alone: decode the 1M-row file the way the job reads it, then write an
    output of the job's shape; the CPU these take is spent whatever the scorer does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from workbench.scoring.runtime import scoring_memory_pool
    from workbench.scoring.sources import open_input

    source = open_input(spec["input"])
    columns = [c for c in source.column_names if c != "admitted"]
    with scoring_memory_pool():
        started, cpu = time.perf_counter(), time.process_time()
        ids = []
        for _, _, batch, _ in source.batches(columns, spec["batch_rows"], ["program", "region"]):
            ids.append(batch.column("id"))
        decode_s, decode_cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = sum(len(a) for a in ids)
        scores = np.random.default_rng(0).random(max((len(a) for a in ids), default=0), dtype=np.float32)
        started, cpu = time.perf_counter(), time.process_time()
        writer = None
        for key in ids:
            n = len(key)
            table = pa.table(
                {
                    "id": key,
                    "score": pa.array(scores[:n]),
                    "decision": pa.DictionaryArray.from_arrays(
                        pa.array(np.zeros(n, np.int8)), pa.array(["auto_accept", "auto_decline", "review"])
                    ),
                }
            )
            writer = writer or pq.ParquetWriter(
                spec["output"], table.schema, compression="zstd", use_dictionary=["decision"], store_schema=False
            )
            writer.write_table(table)
        assert writer is not None
        writer.close()
        write_s, write_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": rows,
        "decode_s": decode_s,
        "decode_cpu_s": decode_cpu,
        "write_s": write_s,
        "write_cpu_s": write_cpu,
    }


def child_score(spec: dict[str, Any]) -> dict[str, Any]:
    """One scoring job end to end through the service (what `workbench score` runs)."""
    import pyarrow.parquet  # noqa: F401  (imports and the one-time GPU probe are not the job's work)
    import xgboost  # noqa: F401

    import workbench.drift
    import workbench.scoring.local  # noqa: F401
    from workbench.explain import cuda_available
    from workbench.jobs import score
    from workbench.project.workspace import open_workspace

    cuda_available()
    workspace = open_workspace(spec["root"])
    options = dict(spec.get("options", {}))
    cluster = None
    if options.get("engine") == "dask":
        import logging

        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=spec["workers"],
            threads_per_worker=max(1, (os.cpu_count() or 2) // spec["workers"]),
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        )
        options["scheduler"] = cluster.scheduler_address
    started, cpu = time.perf_counter(), time.process_time()
    job = score(workspace, "bench:1", spec["input"], spec["output"], overwrite=True, **options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if cluster is not None:
        cluster.close()
    stats = job.stats
    return {
        "rows": job.rows_done,
        "seconds": seconds,
        "rows_per_s": job.rows_done / seconds,
        "engine_rows_per_s": stats["rows_per_s"],
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": cpu,
        "review_items": stats["review_items"],
        "decisions": stats["decisions"],
        "latency_ms": stats["batch_latency_ms"],
        "timings": stats.get("timings", {}),
        "device": job.device,
    }


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(HERE), "--child", kind, "--spec", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the run ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=5_000_000)
    parser.add_argument("--exact-rows", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="alternating raw/end-to-end rounds")
    parser.add_argument("--workers", type=int, default=2, help="Dask LocalCluster workers")
    parts = ["big", "approx", "exact", "dask", "batch-drift"]
    parser.add_argument("--skip", action="append", default=[], choices=parts)
    parser.add_argument("--quick", action="store_true", help="200k and 1M rows, 2 rounds, no exact")
    parser.add_argument("--keep", help="keep the project in this folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = {"raw": child_raw, "score": child_score, "decode": child_decode}[args.child](json.loads(args.spec))
        print(json.dumps(result))
        return
    if args.quick:
        args.rows, args.big_rows, args.repeats = 200_000, 1_000_000, 2
        args.skip.append("exact")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-bench-scoring-"))
    folder.mkdir(parents=True, exist_ok=True)
    prepared = setup(folder, args)
    root, inputs = prepared["root"], prepared["inputs"]
    out = str(Path(root) / "out")

    def job(rows: int, name: str, **options: Any) -> dict[str, Any]:
        spec = {"root": root, "input": inputs[rows], "output": f"{out}/{name}.parquet", "workers": args.workers}
        spec["options"] = {"batch_rows": args.batch_rows, **options}
        if options.get("engine") == "dask":
            spec["output"] = f"{out}/{name}"
        return run_child("score", spec)

    raws, ends = [], []
    for round_ in range(args.repeats):
        raws.append(run_child("raw", {"root": root, "input": inputs[args.rows]}))
        ends.append(job(args.rows, "e2e"))
        print(
            f"round {round_ + 1}: raw {raws[-1]['rows_per_s']:,.0f} rows/s, "
            f"end to end {ends[-1]['rows_per_s']:,.0f} rows/s",
            file=sys.stderr,
        )
    raw = max(raws, key=lambda r: r["rows_per_s"])
    best = max(ends, key=lambda r: r["rows_per_s"])
    pairs = [e["rows_per_s"] / r["rows_per_s"] for r, e in zip(raws, ends, strict=True)]
    cpu_ratio = min(r["cpu_s"] for r in raws) / min(e["cpu_s"] for e in ends)
    io = run_child(
        "decode", {"input": inputs[args.rows], "output": f"{out}/decode-only.parquet", "batch_rows": args.batch_rows}
    )
    predict_cpu = min(r["cpu_s"] for r in raws)
    fixed_cpu = io["decode_cpu_s"] + io["write_cpu_s"]
    ceiling = predict_cpu / (predict_cpu + fixed_cpu)
    rows: list[list[str]] = []

    def add(what: str, n: int, result: dict[str, Any], note: str = "") -> None:
        rows.append(
            [
                what,
                f"{n:,}",
                f"{result['seconds']:.2f}",
                f"{result['rows_per_s']:,.0f}",
                (f"{result['peak_rss_mb']:,.0f}" if "peak_rss_mb" in result else "-"),
                note,
            ]
        )

    add("raw limit: `Booster.inplace_predict` on numpy in memory", args.rows, raw, f"best of {args.repeats}")
    add(
        "`score`, explain none, local",
        args.rows,
        best,
        f"best of {args.repeats}; ratio to raw {best['rows_per_s'] / raw['rows_per_s']:.2f} (best/best), "
        f"{min(pairs):.2f}-{max(pairs):.2f} per round (median {float(np.median(pairs)):.2f}), {cpu_ratio:.2f} in CPU "
        "time; streaming engine alone "
        f"{best['engine_rows_per_s']:,.0f} rows/s; review items {best['review_items']:,}",
    )
    rows.append(
        [
            "reading and writing alone (no scoring)",
            f"{io['rows']:,}",
            f"{io['decode_s'] + io['write_s']:.2f}",
            "-",
            "-",
            f"decode {io['decode_cpu_s']:.2f} CPU-s, write {io['write_cpu_s']:.2f} CPU-s against "
            f"{predict_cpu:.2f} CPU-s of prediction: a job that did nothing else would reach at most "
            f"{ceiling:.2f} of the raw limit",
        ]
    )
    if "batch-drift" not in args.skip:
        add(
            "`score`, explain none, local, per-batch drift checks off",
            args.rows,
            job(args.rows, "no-batch-drift", batch_drift_rows=0),
        )
    if "big" not in args.skip:
        big = job(args.big_rows, "big")
        add(
            "`score`, explain none, local",
            args.big_rows,
            big,
            f"peak RSS {big['peak_rss_mb'] / best['peak_rss_mb']:.2f}x the {args.rows:,}-row run",
        )
    if "approx" not in args.skip:
        add("`score`, explain approx (top 3)", args.rows, job(args.rows, "approx", explain="approx"))
    if "exact" not in args.skip:
        add("`score`, explain exact (top 3)", args.exact_rows, job(args.exact_rows, "exact", explain="exact"))
    if "dask" not in args.skip:
        dask = job(args.rows, "dask", engine="dask", partition_rows=200_000)
        local = job(args.rows, "local-again")
        add(
            f"`score`, explain none, dask ({args.workers}-worker LocalCluster)",
            args.rows,
            dask,
            f"{dask['rows_per_s'] / local['rows_per_s']:.2f}x local run next to it ({local['rows_per_s']:,.0f} rows/s)",
        )

    import xgboost

    print(
        f"\nMachine: {os.cpu_count()} logical CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"xgboost {xgboost.__version__}, polars {pl.__version__}; load average {os.getloadavg()[0]:.1f} at the end."
    )
    print(f"Model: {args.trees} trees of depth {args.depth}, 33 features; batch {args.batch_rows:,} rows.\n")
    print("| what | rows | seconds | rows/s | peak RSS MB | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nbest end-to-end run: {json.dumps({k: best[k] for k in ('latency_ms', 'timings', 'decisions')})}")
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
