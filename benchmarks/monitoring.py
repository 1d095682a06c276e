"""Benchmark: what monitoring costs (issue 16).

* the decision log's cost: the same 1M-row scoring job (``benchmarks/scoring.py``'s
  model and input, with a sensitive column registered so the log carries one) with and
  without its decision log, alternately, each run in a fresh child process; the ratio of
  the medians is the log's cost;
* ``monitor report`` on ``--decisions`` logged decisions and ``--outcomes`` outcomes
  (skipped with ``--skip report``);
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

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


def bench_metrics(folder: Path, jobs: int, scrapes: int = 50) -> list[str]:
    """Scrape timings with ``jobs`` succeeded and failed scoring jobs on record (rows written directly)."""
    import datetime as dt

    from workbench.postmarket.prometheus import metrics_text
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace
    from workbench.store.schema import jobs as jobs_table

    root = folder / "metrics-project"
    root.mkdir()
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
    parser.add_argument("--metrics-jobs", type=int, default=10_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = {"score": child_score}[args.child](json.loads(args.spec))
        print(json.dumps(result))
        return
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-monitoring-"))
    lines = ["| what | rows | seconds | note |", "| --- | --- | --- | --- |"]
    if not {"log", "report"} <= set(args.skip):
        made = setup(folder, args)
        if "log" not in args.skip:
            lines += bench_log(made, args, folder)
    if "metrics" not in args.skip:
        lines += bench_metrics(folder, args.metrics_jobs)
    print(
        f"\nMachine: {os.cpu_count()} logical CPUs, {platform.machine()}, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("\n".join(lines))
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
