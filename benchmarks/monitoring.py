"""Benchmark: what monitoring costs (issue 16).

* the decision log's cost: the same 1M-row scoring job (``benchmarks/scoring.py``'s
  model and input, with a sensitive column registered so the log carries one) with and
  without its decision log, alternately, each run in a fresh child process; the ratio of
  the medians is the log's cost;
* ``monitor report`` on ``--decisions`` logged decisions and ``--outcomes`` outcomes
  (skipped with ``--skip report``): one real 1M-row job's decision log, copied under new keys
  and job ids into further jobs until there are ``--decisions`` rows (each copy stored in the
  artifact store and recorded as its own succeeded job), outcomes for ``--outcomes`` of those
  keys recorded through ``add_outcomes``; then ``workbench monitor report`` as a user runs it
  (a fresh process: wall time and its peak RSS), and ``monitoring_report`` alone in a child
  (seconds and peak RSS, imports excluded);
* ``/workbench/metrics``: the text the endpoint serves (``metrics_text``, the handler's whole work
  apart from the HTTP round trip) with ``--metrics-jobs`` jobs on record, first and repeated
  scrapes, p50/p99 (skipped with ``--skip metrics``; alone with ``--skip log --skip report``).

Usage::

    .venv/bin/python benchmarks/monitoring.py              # 1M rows, 3 rounds
    .venv/bin/python benchmarks/monitoring.py --rows 200000 --repeats 2
"""

from __future__ import annotations

import argparse
import importlib.util
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


def _scoring_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_scoring", HERE.parent / "scoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The scoring benchmark's project and input, and version 2 of its model with ``region`` sensitive."""
    bench = _scoring_bench()
    ns = argparse.Namespace(
        rows=args.rows, big_rows=args.rows, exact_rows=args.rows, train_rows=args.train_rows, trees=200, depth=6
    )
    made = bench.setup(folder, ns)
    from workbench.project.workspace import open_workspace
    from workbench.registry.register import RegisterOptions, register
    from workbench.registry.versions import load_model

    workspace = open_workspace(made["root"])
    frame = bench.make_frame(args.train_rows, seed=0)
    cut = int(frame.height * 0.8)
    register(
        workspace,
        load_model(workspace, "bench:1"),
        name="bench",
        train=frame.head(cut),
        valid=frame.tail(frame.height - cut),
        target="admitted",
        keys=["id"],
        sensitive=["region"],
        options=RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20, explain="approx"),
    )
    return {"root": made["root"], "input": made["inputs"][args.rows]}


def child_score(spec: dict[str, Any]) -> dict[str, Any]:
    """One job through the service; ``log: false`` runs it without its decision log."""
    import pyarrow.parquet  # noqa: F401  (imports are not the job's work)
    import xgboost  # noqa: F401

    import workbench.drift
    import workbench.jobs.execute as execute
    import workbench.scoring.local  # noqa: F401
    from workbench.jobs import score
    from workbench.project.workspace import open_workspace

    if not spec["log"]:
        execute.decision_log_staging = lambda project, job_id: None  # type: ignore[assignment]
    workspace = open_workspace(spec["root"])
    started = time.perf_counter()
    job = score(workspace, "bench:2", spec["input"], spec["output"], overwrite=True, batch_rows=100_000)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": job.rows_done,
        "timings": job.stats.get("timings", {}),
        "engine_seconds": job.stats.get("seconds"),
    }


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE), "--child", kind, "--spec", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_log(made: dict[str, Any], args: argparse.Namespace, folder: Path) -> list[str]:
    with_log: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    for round_ in range(args.repeats):
        order = (True, False) if round_ % 2 == 0 else (False, True)
        for log in order:
            spec = {**made, "output": str(Path(made["root"]) / "out" / f"out-{log}.parquet"), "log": log}
            (with_log if log else without).append(run_child("score", spec))
    on = float(np.median([r["seconds"] for r in with_log]))
    off = float(np.median([r["seconds"] for r in without]))
    store = float(np.median([r["timings"].get("decision_log", 0.0) for r in with_log]))
    pairs = [a["seconds"] / b["seconds"] for a, b in zip(with_log, without, strict=True)]
    return [
        f"| job with its decision log | {args.rows:,} | {on:.2f} | median of {args.repeats}; "
        f"storing the log {store:.3f} s |",
        f"| same job without it | {args.rows:,} | {off:.2f} | median of {args.repeats} |",
        f"| **decision log cost** | | | {on / off - 1:+.1%} of job time (ratio {on / off:.3f}; per round "
        f"{min(pairs):.3f}-{max(pairs):.3f}) |",
    ]


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: the process image's own, not the parent's carried across fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_report(spec: dict[str, Any]) -> dict[str, Any]:
    """``monitoring_report`` alone: seconds and this process's peak RSS."""
    import polars  # noqa: F401  (imports are not the report's work)
    import sklearn  # noqa: F401

    from workbench.postmarket.report import monitoring_report
    from workbench.project.workspace import open_workspace

    workspace = open_workspace(spec["root"])
    base = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    report = monitoring_report(workspace, "bench", window="30d")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = report.windows[0]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak_rss_mb(),
        "base_mb": base,
        "rows": sum(w.rows for w in report.windows),
        "outcomes": sum(w.outcomes for w in report.windows),
        "auc": stats.auc,
    }


def _copy_logs(made: dict[str, Any], decisions: int, folder: Path) -> int:
    """Copies of the newest logged job's decisions under new keys and job ids until ``decisions`` rows."""
    import uuid

    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa

    from workbench.jobs.decision_log import decision_logs_of, read_decision_log
    from workbench.project.workspace import open_workspace
    from workbench.store.schema import decision_logs, jobs

    workspace = open_workspace(made["root"])
    with workspace.read() as conn:
        logs = decision_logs_of(conn, "bench")
        template = logs[-1]
        job = conn.execute(sa.select(jobs).where(jobs.c.id == template.job_id)).mappings().one()
    have = sum(log.rows for log in logs)
    _, data = read_decision_log(workspace, template.job_id)
    table = pq.read_table(pa.BufferReader(data))
    copies = 0
    while have < decisions:
        job_id = uuid.uuid4().hex
        offset = (copies + 1) * 10_000_000
        ids = pl.select(pl.format("A{}", pl.int_range(offset, offset + table.num_rows))).to_series().to_arrow()
        copy = table.set_column(table.schema.get_field_index("id"), "id", ids)
        copy = copy.set_column(
            copy.schema.get_field_index("job_id"), "job_id", pa.array([job_id] * copy.num_rows).dictionary_encode()
        )
        path = folder / "log-copy.parquet"
        pq.write_table(copy, path, compression="zstd")
        ref = workspace.artifacts.put_file(path, name=f"decision log of job {job_id[:8]}")
        with workspace.transaction() as tx:
            tx.conn.execute(jobs.insert().values({**job, "id": job_id}))
            tx.conn.execute(
                decision_logs.insert().values(
                    job_id=job_id,
                    name="bench",
                    version=template.version,
                    digest=ref.digest,
                    size=ref.size,
                    rows=copy.num_rows,
                    keys=list(template.keys),
                    monitored=list(template.monitored),
                    created_at=job["ended_at"],
                )
            )
        have += copy.num_rows
        copies += 1
    return have


def bench_report(made: dict[str, Any], args: argparse.Namespace, folder: Path) -> list[str]:
    from workbench.postmarket import add_outcomes, load_decisions
    from workbench.project.workspace import open_workspace

    workspace = open_workspace(made["root"])
    if not load_decisions(workspace, "bench", columns=[]).height:
        run_child("score", {**made, "output": str(Path(made["root"]) / "out" / "report.parquet"), "log": True})
    started = time.perf_counter()
    total = _copy_logs(made, args.decisions, folder)
    print(f"{total:,} decisions logged in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    decided = load_decisions(workspace, "bench", columns=["score"]).select("row_key", "score")
    rng = np.random.default_rng(5)
    sample = decided.sample(args.outcomes, seed=5)
    truth = sample.select(
        pl.col("row_key").alias("id"),
        pl.Series("admitted", (rng.random(sample.height) < sample.get_column("score").to_numpy()).astype(np.int8)),
    )
    del decided
    truth_path = Path(made["root"]) / "data" / "truth.parquet"
    truth.write_parquet(truth_path)
    started, cpu = time.perf_counter(), time.process_time()
    added = add_outcomes(workspace, "bench", truth_path, keys=["id"], label="admitted")
    # With --keep, a second run times an idempotent re-add.
    outcomes_seconds, outcomes_cpu = time.perf_counter() - started, time.process_time() - cpu
    cli, inner = [], []
    for _ in range(args.repeats):
        started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, str(HERE), "--child", "cli_report", "--spec", json.dumps(made)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"monitor report failed:\n{done.stderr[-3000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        cli.append({"wall": time.perf_counter() - started, "cpu": cpu, **answer})
        inner.append(run_child("report", made))
    wall = float(np.median([c["wall"] for c in cli]))
    seconds = float(np.median([r["seconds"] for r in inner]))
    peak = max(*(c["peak_mb"] for c in cli), *(r["peak_mb"] for r in inner))
    each = ", ".join(f"{r['seconds']:.2f}" for r in inner)
    inner_cpu = float(np.median([r["cpu_seconds"] for r in inner]))
    inner_peak = max(r["peak_mb"] for r in inner)
    first = inner[0]
    return [
        f"| outcomes add, {args.outcomes:,} outcomes against {total:,} decisions | {args.outcomes:,} | "
        f"{outcomes_seconds:.2f} | {added.added:,} added, {added.unchanged:,} unchanged; CPU {outcomes_cpu:.2f} s |",
        f"| `workbench monitor report bench --json` (fresh process, imports included) | {total:,} | {wall:.2f} | "
        f"median of {args.repeats}; CPU {np.median([c['cpu'] for c in cli]):.2f} s (user+sys); "
        f"peak RSS {max(c['peak_mb'] for c in cli):,.0f} MB |",
        f"| `monitoring_report` alone | {total:,} | {seconds:.2f} | median of {args.repeats} "
        f"({each}); CPU {inner_cpu:.2f} s; peak RSS {inner_peak:,.0f} MB "
        f"({first['base_mb']:,.0f} MB after imports); {first['outcomes']:,} outcomes joined, AUC {first['auc']:.3f} |",
        f"| **monitor report: target < 5 s, < 2 GB** | | | {'met' if wall < 5 and peak < 2048 else 'NOT met'} "
        f"(wall {wall:.2f} s, peak {peak:,.0f} MB) |",
    ]


def child_cli_report(spec: dict[str, Any]) -> dict[str, Any]:
    """``workbench monitor report bench --json`` in this process, as the console script runs it."""
    import contextlib
    import io

    from workbench.cli.main import main as cli_main

    os.chdir(spec["root"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(["monitor", "report", "bench", "--window", "30d", "--json"])
    windows = json.loads(out.getvalue())["windows"]
    return {"code": code, "rows": sum(w["rows"] for w in windows), "peak_mb": peak_rss_mb()}


def bench_metrics(folder: Path, jobs: int, scrapes: int = 50) -> list[str]:
    """Scrape timings with ``jobs`` succeeded and failed scoring jobs on record (rows written directly)."""
    import datetime as dt

    from workbench.postmarket.prometheus import metrics_text
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace
    from workbench.store.schema import jobs as jobs_table

    root = Path(tempfile.mkdtemp(prefix="metrics-project-", dir=folder))
    (root / "workbench.toml").write_text("[tool.workbench]\n", encoding="utf-8")
    init_project(root, git=False, dvc=False)
    os.chdir(root)
    workspace = open_workspace()
    now = dt.datetime.now(dt.UTC)
    stats = {
        "rows": 100_000,
        "batches": 2,
        "routes": {"model": 70_000, "human": 25_000, "rule:missing_transcript": 5_000},
        "seconds": 1.2,
        "batch_latency_ms": {"p50": 510.0, "p95": 590.0, "p99": 600.0, "max": 601.0},
    }
    rows = [
        {
            "id": f"{i:032x}",
            "kind": "score",
            "name": f"model{i % 10}",
            "version": 1 + i % 3,
            "options": {},
            "status": "succeeded" if i % 20 else "failed",
            "rows_done": 100_000,
            "created_at": now - dt.timedelta(minutes=i),
            "ended_at": now - dt.timedelta(minutes=i),
            "actor": "bench",
            "stats": stats,
            "drift": {"summary": {"drift_share": 0.1}},
        }
        for i in range(jobs)
    ]
    with workspace.transaction() as tx:
        tx.conn.execute(jobs_table.insert(), rows)
    timings = []
    for _ in range(scrapes):
        started = time.perf_counter()
        text = metrics_text(workspace)
        timings.append(time.perf_counter() - started)
    p50, p99 = np.percentile(timings[1:], [50, 99])
    return [
        f"| /workbench/metrics, first scrape | {jobs:,} jobs | {timings[0]:.3f} | {len(text):,} bytes |",
        f"| /workbench/metrics, p50 of {scrapes - 1} | {jobs:,} jobs | {p50:.3f} | |",
        f"| /workbench/metrics, p99 of {scrapes - 1} | {jobs:,} jobs | {p99:.3f} | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], choices=["log", "report", "metrics"])
    parser.add_argument("--decisions", type=int, default=10_000_000)
    parser.add_argument("--outcomes", type=int, default=1_000_000)
    parser.add_argument("--metrics-jobs", type=int, default=10_000)
    parser.add_argument("--keep", metavar="DIR", help="build the project in DIR and keep it; reuse it when there")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        children = {"score": child_score, "report": child_report, "cli_report": child_cli_report}
        result = children[args.child](json.loads(args.spec))
        print(json.dumps(result))
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-bench-monitoring-"))
    lines = ["| what | rows | seconds | note |", "| --- | --- | --- | --- |"]
    if not {"log", "report"} <= set(args.skip):
        kept = folder / "made.json"
        made = json.loads(kept.read_text()) if kept.is_file() else setup(folder, args)
        kept.write_text(json.dumps(made))
        if "log" not in args.skip:
            lines += bench_log(made, args, folder)
        if "report" not in args.skip:
            lines += bench_report(made, args, folder)
    if "metrics" not in args.skip:
        lines += bench_metrics(folder, args.metrics_jobs)
    print(
        f"\nMachine: {os.cpu_count()} logical CPUs, {platform.machine()}, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("\n".join(lines))
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
