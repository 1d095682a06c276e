"""Time ``wb.register`` on 200k training rows and show how the time splits.

Usage: ``python benchmarks/register.py [TRAIN_ROWS]``. Builds a throwaway project in a
temporary folder, trains a 200-tree depth-6 model on the admissions generator's
features, registers it with the default options (exact SHAP on 2,000 validation rows,
Evidently's report on a 20,000-row sample) and prints the phases that
``registry.register`` records in the version's lineage, beside the obvious
alternative of doing only what MLflow's ``log_model`` does (serialise + hash + write).
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import xgboost as xgb

from workbench.examples.admissions import NUMERIC_FEATURES, generate_applicants, split
from workbench.project.init import init_project
from workbench.project.workspace import open_workspace
from workbench.registry.register import register

FEATURES = [*NUMERIC_FEATURES, "transcript_complete", "recommendation_complete"]


def main() -> None:
    train_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    frame = generate_applicants(int(train_rows / 0.8), seed=1).with_columns(
        pl.col(c).cast(pl.Float64) for c in [*NUMERIC_FEATURES, "transcript_complete", "recommendation_complete"]
    )
    train, valid = split(frame, valid_fraction=0.2, seed=1)
    print(f"train {train.height} rows, valid {valid.height} rows, {len(FEATURES)} features")
    started = time.perf_counter()
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "nthread": 2},
        xgb.DMatrix(train.select(FEATURES).to_numpy(), label=train["admit"].to_numpy(), feature_names=FEATURES),
        num_boost_round=200,
    )
    print(f"training (not part of register): {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bench"
        init_project(root, git=False, dvc=False)
        workspace = open_workspace(root)
        started = time.perf_counter()
        raw = bytes(booster.save_raw("ubj"))
        (root / "model.ubj").write_bytes(raw)
        hashlib.sha256(raw).hexdigest()
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        version = register(
            workspace,
            booster,
            name="bench",
            train=train,
            valid=valid,
            target="admit",
            sensitive=["gender", "first_generation"],
            keys=["applicant_id"],
        )
        total = time.perf_counter() - started
    timings = version.lineage["timings"]
    print(f"\nwb.register total: {total:.2f} s   (serialise+hash+write only: {baseline * 1000:.0f} ms)")
    print(f"{'phase':18} {'seconds':>8} {'share':>6}")
    for phase, seconds in timings.items():
        print(f"{phase:18} {seconds:8.2f} {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
