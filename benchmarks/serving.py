"""workbench serve under closed-loop load on loopback (issue 18), bounded in time.

One model (200 trees of depth 6 on 33 features) registered, checked, approved and promoted in a
throw-away project; ``workbench serve`` runs it in one uvicorn worker; N client threads each send
one request, wait for the answer, and send the next, for ``--seconds`` per point. Reported: p50,
p95, p99 and requests/s at 1, 8 and 32 clients for single rows, 1,000-row batches, and single rows
with a shadow on. The load generator shares the machine's cores with the service.

The baseline is a plain in-process loop of single-row ``Booster.inplace_predict`` calls on the
same booster (no HTTP, no contract, no routing, no log): MLflow's scoring server is not measured
here, because installing MLflow into a throw-away virtualenv did not fit this run's time budget.

    .venv/bin/python benchmarks/serving.py [--seconds 5] [--clients 1 8 32]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

FEATURES = [f"f{i:02d}" for i in range(33)]
POLICY = """\
policy: bench
models: [bench]
checks:
  metrics: ["auc >= 0.5"]
approvals:
  required: 1
  roles: [approver]
routing:
  thresholds: {accept: 0.7, decline: 0.3}
"""


def _frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    y = (x[:, :5].sum(axis=1) + rng.normal(size=n) > 0).astype(np.int8)
    return pl.DataFrame(
        {"id": [f"k{seed}-{i}" for i in range(n)], **{f: x[:, i] for i, f in enumerate(FEATURES)}, "y": y}
    )


def build_project(root: Path) -> tuple[str, object]:
    import xgboost as xgb

    from workbench.core.values import Identity
    from workbench.governance.approvals import approve
    from workbench.governance.checks import run_checks
    from workbench.governance.gate import promote
    from workbench.project.config import load_project
    from workbench.project.init import init_project
    from workbench.project.workspace import Workspace
    from workbench.registry.register import RegisterOptions, register
    from workbench.serving.tokens import create_token

    init_project(root, git=False, dvc=False)
    config = root / "workbench.toml"
    config.write_text(config.read_text().replace("approver = []", 'approver = ["reviewer", "analyst"]'))
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "bench.yaml").write_text(POLICY)
    train, valid = _frame(20_000, 1), _frame(5_000, 2)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "nthread": 2},
        xgb.DMatrix(train.select(FEATURES).to_numpy(), label=train["y"].to_numpy(), feature_names=FEATURES),
        num_boost_round=200,
    )
    project = load_project(root)

    def as_(name: str) -> Workspace:
        return Workspace(project, Identity(name, "env", project.roles_of(name)))

    options = RegisterOptions(evidently_report=False, explain_rows=200, local_rows=20)
    register(as_("analyst"), booster, name="bench", train=train, valid=valid, target="y", keys=["id"], options=options)
    register(as_("analyst"), booster, name="bench", train=train, valid=valid, target="y", keys=["id"], options=options)
    for ref in ("bench:1", "bench:2"):
        run_checks(as_("analyst"), ref)
    approve(as_("reviewer"), "bench:1", "bench")
    promote(as_("reviewer"), "bench:1", "production")
    _, token = create_token(as_("analyst"), "bench", ["bench"])
    return token, booster


def _closed_loop(url: str, token: str, bodies: list[bytes], clients: int, seconds: float) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(k: int) -> None:
        mine: list[float] = []
        with httpx.Client(
            timeout=30, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        ) as http:
            i = k
            while time.monotonic() < stop:
                started = time.perf_counter()
                answer = http.post(f"{url}/v1/models/bench/decide", content=bodies[i % len(bodies)])
                mine.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    errors[0] += 1
                i += clients
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    ms = np.asarray(latencies) * 1000
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


def _serve(root: Path, env: dict[str, str]) -> tuple[str, object]:
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli.main", "serve", "--models", "bench", "--port", str(port)],
        cwd=root,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("workbench serve did not become ready")


def _predict_loop(booster: object, rows: np.ndarray, seconds: float) -> dict[str, float]:
    latencies = []
    stop = time.monotonic() + seconds
    i = 0
    while time.monotonic() < stop:
        started = time.perf_counter()
        booster.inplace_predict(rows[i % len(rows) : i % len(rows) + 1])  # type: ignore[attr-defined]
        latencies.append(time.perf_counter() - started)
        i += 1
    ms = np.asarray(latencies) * 1000
    p50, p99 = (round(float(np.percentile(ms, q)), 3) for q in (50, 99))
    return {"clients": 1, "requests": i, "rps": round(i / seconds, 1), "p50_ms": p50, "p99_ms": p99}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        token, booster = build_project(root)
        pool = _frame(5_000, 3).drop("y")
        singles = [json.dumps(r).encode() for r in pool.to_dicts()]
        batches = [json.dumps({"rows": pool.slice(i * 1000, 1000).to_dicts()}).encode() for i in range(5)]
        results["predict_loop"] = _predict_loop(booster, pool.select(FEATURES).to_numpy(), args.seconds)
        for shadow in (False, True):
            if shadow:
                policy = root / "policies" / "bench.yaml"
                policy.write_text(POLICY + "rollout:\n  mode: shadow\n  challenger: bench:2\n")
                from workbench.core.values import Identity
                from workbench.governance.checks import run_checks
                from workbench.project.config import load_project
                from workbench.project.workspace import Workspace

                project = load_project(root)
                run_checks(Workspace(project, Identity("analyst", "env", project.roles_of("analyst"))), "bench:2")
            url, process = _serve(root, {})
            try:
                label = "shadow" if shadow else "single"
                results[label] = [_closed_loop(url, token, singles, c, args.seconds) for c in args.clients]
                if not shadow:
                    results["batch_1000"] = [_closed_loop(url, token, batches, c, args.seconds) for c in (1, 8)]
            finally:
                process.terminate()  # type: ignore[attr-defined]
                process.wait()  # type: ignore[attr-defined]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
