"""Benchmark: SHAP contributions with workbench.explain against shap.TreeExplainer.

Trains one model (200 trees of depth 6 on 33 features by default) on seeded polars
data, then times, on the same rows at each size:

* ``Booster.inplace_predict`` (the scoring floor, for scale);
* ``workbench.explain.contributions(method="exact")`` (XGBoost TreeSHAP, ``pred_contribs``);
* ``workbench.explain.contributions(method="approx")`` (``approx_contribs``);
* ``shap.TreeExplainer(booster).shap_values`` (exact), and checks it agrees with ours.

Usage::

    .venv/bin/python benchmarks/explain.py                       # 10k and 100k rows, CPU
    .venv/bin/python benchmarks/explain.py --exact-max-rows 20000  # exact on a 20k-row slice above that
    .venv/bin/python benchmarks/explain.py --device auto          # GPUTreeShap where a GPU is usable

Exact TreeSHAP runs at a few hundred rows/s per core, so exact at 100k rows takes
minutes per implementation; ``--exact-max-rows`` times the exact methods on a
leading slice and says so in the table. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from workbench.contracts import derive_contract, feature_matrix
from workbench.explain import contributions, effective_device, select_device


def make_frame(rows: int, features: int, seed: int) -> pl.DataFrame:
    """Seeded applicant-like data: numeric features, three categoricals, a non-linear target."""
    rng = np.random.default_rng(seed)
    numeric = features - 3
    data: dict[str, Any] = {f"num_{i}": rng.normal(size=rows) for i in range(numeric)}
    data["program"] = np.array(["eng", "law", "med", "art", "sci"])[rng.integers(0, 5, rows)]
    data["region"] = np.array(["n", "s", "e", "w"])[rng.integers(0, 4, rows)]
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


def train(frame: pl.DataFrame, *, trees: int, depth: int, threads: int) -> tuple[Any, Any]:
    import xgboost

    contract = derive_contract(frame, target="admitted")
    dtrain = xgboost.DMatrix(
        feature_matrix(frame, contract),
        label=frame.get_column("admitted").to_numpy(),
        feature_names=list(contract.features),
    )
    params = {"max_depth": depth, "eta": 0.1, "objective": "binary:logistic", "nthread": threads, "seed": 0}
    return xgboost.train(params, dtrain, num_boost_round=trees), contract


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--features", type=int, default=33)
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--exact-max-rows", type=int, default=None, help="time exact methods on at most this many rows")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (exact method only; approx is CPU-only)")
    parser.add_argument("--skip-shap", action="store_true", help="do not time shap.TreeExplainer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import shap
    import xgboost

    device = select_device(args.device)
    threads = os.cpu_count() or 1
    print(f"machine: {cpu_model()}, {threads} logical CPUs, {platform.system()} {platform.machine()}")
    print(f"python {platform.python_version()}, xgboost {xgboost.__version__}, shap {shap.__version__}")
    print(f"exact device: {effective_device('exact', device)}; approx device: {effective_device('approx', device)}")

    booster, contract = train(
        make_frame(args.train_rows, args.features, args.seed), trees=args.trees, depth=args.depth, threads=threads
    )
    names = list(contract.features)
    print(f"model: {args.trees} trees, depth {args.depth}, {len(names)} features, trained on {args.train_rows} rows")

    table: list[tuple[str, ...]] = []
    for rows in args.rows:
        X = feature_matrix(make_frame(rows, args.features, args.seed + rows), contract)
        exact_rows = rows if args.exact_max_rows is None else min(rows, args.exact_max_rows)
        X_exact = X[:exact_rows]
        note = "" if exact_rows == rows else f"timed on the first {exact_rows:,} rows"

        _, seconds = timed(lambda X=X: booster.inplace_predict(X))
        table.append(
            (f"{rows:,}", "predict (inplace_predict)", "xgboost", f"{seconds:.3f}", f"{rows / seconds:,.0f}", "")
        )
        approx, seconds = timed(lambda X=X: contributions(booster, X, method="approx", device=device))
        table.append((f"{rows:,}", "approx contributions", "workbench", f"{seconds:.2f}", f"{rows / seconds:,.0f}", ""))
        (exact, bias), seconds = timed(lambda X_exact=X_exact: contributions(booster, X_exact, device=device))
        table.append(
            (f"{rows:,}", "exact TreeSHAP", "workbench", f"{seconds:.2f}", f"{exact_rows / seconds:,.0f}", note)
        )
        if not args.skip_shap:
            explainer = shap.TreeExplainer(booster)
            reference, seconds = timed(lambda X_exact=X_exact, e=explainer: e.shap_values(X_exact))
            diff = float(np.abs(reference - exact).max())
            agree = f"max abs diff vs workbench {diff:.1e}"
            table.append(
                (
                    f"{rows:,}",
                    "exact TreeSHAP",
                    "shap.TreeExplainer",
                    f"{seconds:.2f}",
                    f"{exact_rows / seconds:,.0f}",
                    "; ".join(p for p in (note, agree) if p),
                )
            )
        del approx, exact, bias

    header = ("rows", "what", "implementation", "seconds", "rows/s", "note")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
