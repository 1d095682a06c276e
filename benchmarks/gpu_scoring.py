"""Benchmark: scoring jobs on a CUDA GPU (``--device cuda``), exact reasons with GPUTreeShap.

Same model and data as ``benchmarks/scoring.py`` (it reuses that script's set-up), run
with ``device="cuda"``: the raw ``inplace_predict`` limit on the GPU, end-to-end jobs with
``--explain none`` and ``--explain exact`` (XGBoost's GPUTreeShap), and the same exact
job on the CPU for comparison (on fewer rows: it is slow there).

Where XGBoost cannot use a GPU it prints why and exits with status 0, so it is safe to
run anywhere::

    .venv/bin/python benchmarks/gpu_scoring.py
    .venv/bin/python benchmarks/gpu_scoring.py --rows 2000000 --exact-rows 1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any


def _cpu_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wb_bench_scoring", Path(__file__).with_name("scoring.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw_gpu(root: str, input_path: str) -> dict[str, Any]:
    """inplace_predict on the GPU, the batch already on the device when CuPy is there."""
    import polars as pl

    from workbench.contracts import InputContract, feature_matrix
    from workbench.project.workspace import open_workspace
    from workbench.registry.versions import get_version, load_model

    workspace = open_workspace(root)
    booster = load_model(workspace, "bench:1")
    booster.set_param({"device": "cuda"})
    matrix = feature_matrix(
        pl.read_parquet(input_path), InputContract.from_dict(get_version(workspace, "bench:1").contract)
    )
    try:
        import cupy

        data: Any = cupy.asarray(matrix)
        where = "CuPy array on the GPU"
    except ImportError:
        data, where = matrix, "numpy (XGBoost copies it to the GPU; install cupy for the device-resident limit)"
    booster.inplace_predict(data[:1000])
    started = time.perf_counter()
    booster.inplace_predict(data)
    seconds = time.perf_counter() - started
    return {"rows": matrix.shape[0], "seconds": seconds, "rows_per_s": matrix.shape[0] / seconds, "note": where}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exact-rows", type=int, default=1_000_000)
    parser.add_argument("--cpu-exact-rows", type=int, default=20_000)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--batch-rows", type=int, default=200_000)
    args = parser.parse_args()

    from workbench.explain import cuda_available

    if not cuda_available():
        import xgboost

        built = "with" if xgboost.build_info().get("USE_CUDA") else "without"
        print(
            f"No usable CUDA GPU here (XGBoost {xgboost.__version__}, built {built} CUDA), so there is nothing to "
            "measure. Run this on a machine with an NVIDIA GPU; benchmarks/scoring.py measures the CPU."
        )
        return 0

    bench = _cpu_bench()
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-gpu-"))
    setup_args = argparse.Namespace(
        train_rows=100_000,
        trees=args.trees,
        depth=args.depth,
        rows=args.rows,
        big_rows=args.exact_rows,
        exact_rows=args.cpu_exact_rows,
    )
    prepared = bench.setup(folder, setup_args)
    root, inputs = prepared["root"], prepared["inputs"]

    def job(rows: int, name: str, **options: Any) -> dict[str, Any]:
        spec = {
            "root": root,
            "input": inputs[rows],
            "output": f"{root}/out/{name}.parquet",
            "options": {"batch_rows": args.batch_rows, **options},
        }
        return bench.run_child("score", spec)

    results = [
        ("raw limit: inplace_predict on the GPU", args.rows, raw_gpu(root, inputs[args.rows])),
        ("`score --device cuda`, explain none", args.rows, job(args.rows, "gpu-none", device="cuda")),
        (
            "`score --device cuda`, explain exact (GPUTreeShap)",
            args.exact_rows,
            job(args.exact_rows, "gpu-exact", device="cuda", explain="exact"),
        ),
        (
            "`score --device cpu`, explain exact",
            args.cpu_exact_rows,
            job(args.cpu_exact_rows, "cpu-exact", device="cpu", explain="exact"),
        ),
    ]
    print("| what | rows | seconds | rows/s | device | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for what, rows, result in results:
        print(
            f"| {what} | {rows:,} | {result['seconds']:.2f} | {result['rows_per_s']:,.0f} | "
            f"{result.get('device', 'cuda')} | {result.get('note', '')} |"
        )
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
