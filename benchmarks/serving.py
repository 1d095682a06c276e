"""workbench serve under closed-loop load on loopback (issue 18), bounded in time.

One model (200 trees of depth 6 on 33 features) registered, checked, approved and promoted in a
throw-away project. In one run, each for ``--seconds`` per point, in this order: ``workbench serve``
(uvicorn, ``--workers`` processes); ``workbench serve`` with a shadow challenger, one with
production's contract (it reuses the champion's check of each batch) and one whose training ranges
differ (checked on its own); the plain service again (the shadows are read against the plain runs
on either side of them); and MLflow's scoring server on the same booster (``mlflow models serve
--env-manager local``, the same worker count; MLflow lives only in a throw-away virtualenv made
here, never in the project's environment).
The load generator is closed-loop: N keep-alive connections on one asyncio loop in this process
(raw HTTP/1.1, so the generator's own cost stays small; uvloop's loop and one read of each
answer's head since issue 18's second round, for MLflow and workbench alike), each sending a
request, reading the whole answer and sending the next. Reported: p50, p95, p99 and requests/s at 1, 8 and 32 clients
for single rows and at 1 and 8 for 1,000-row batches, with the 1-minute load average before and
after each point: the generator shares the machine's cores with the servers, and so does
whatever else runs on the machine. A plain in-process loop of single-row
``Booster.inplace_predict`` calls on the same booster is the floor (no HTTP, contract, routing
or log).

    .venv/bin/python benchmarks/serving.py [--seconds 5] [--clients 1 8 32] [--workers 1]
        [--mlflow-venv PATH (reused when it already has mlflow)] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
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
    # bench:3: the same booster registered with other training rows, so its contract (training ranges) differs
    # from production's and a shadow of it checks every batch on its own.
    other = _frame(20_000, 4)
    register(as_("analyst"), booster, name="bench", train=other, valid=valid, target="y", keys=["id"], options=options)
    for ref in ("bench:1", "bench:2", "bench:3"):
        run_checks(as_("analyst"), ref)
    approve(as_("reviewer"), "bench:1", "bench")
    promote(as_("reviewer"), "bench:1", "production")
    _, token = create_token(as_("analyst"), "bench", ["bench"])
    return token, booster


async def _client(
    host: str, port: int, head: bytes, bodies: list[bytes], k: int, step: int, stop: float, out: list[float]
) -> int:
    """One closed-loop connection: send, read the whole answer, send the next; returns its errors."""
    import asyncio

    reader, writer = await asyncio.open_connection(host, port)
    errors, i = 0, k
    try:
        while time.monotonic() < stop:
            body = bodies[i % len(bodies)]
            started = time.perf_counter()
            writer.write(head % len(body) + body)
            status_line, *lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")  # the whole head
            status = int(status_line.split()[1])
            length, chunked = 0, False
            for line in lines:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while (size := int((await reader.readline()).strip(), 16)) > 0:
                    await reader.readexactly(size + 2)
                await reader.readline()
            else:
                await reader.readexactly(length)
            out.append(time.perf_counter() - started)
            errors += status != 200
            i += step
    finally:
        writer.close()
    return errors


def _closed_loop(url: str, path: str, headers: dict[str, str], bodies: list[bytes], clients: int, seconds: float):
    """``clients`` keep-alive connections on one asyncio loop (a light load generator: raw HTTP/1.1)."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    head = ("\r\n".join(lines) + "\r\nContent-Length: %d\r\n\r\n").encode()
    latencies: list[float] = []

    async def run() -> int:
        stop = time.monotonic() + seconds
        done = await asyncio.gather(
            *(_client(host, port, head, bodies, k, clients, stop, latencies) for k in range(clients))
        )
        return sum(done)

    load_before = os.getloadavg()[0]
    began = time.monotonic()
    try:  # uvloop (a uvicorn extra, in the project's environment): a cheaper generator on the shared cores
        import uvloop

        errors = uvloop.run(run())
    except ImportError:
        errors = asyncio.run(run())
    wall = time.monotonic() - began
    ms = np.asarray(latencies) * 1000
    point = {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "load1": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(f"{path} {json.dumps(point)}", file=sys.stderr, flush=True)  # as it goes: a long run shows progress
    return point


def _check_again(root: Path, ref: str) -> None:
    from workbench.core.values import Identity
    from workbench.governance.checks import run_checks
    from workbench.project.config import load_project
    from workbench.project.workspace import Workspace

    project = load_project(root)
    run_checks(Workspace(project, Identity("analyst", "env", project.roles_of("analyst"))), ref)


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{what} did not become ready in {seconds:g} s")


def _serve(root: Path, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = _port()
    command = [sys.executable, "-m", "workbench.cli.main", "serve", "--models", "bench", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, cwd=root, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    _wait_ready(f"{url}/readyz", process, "workbench serve")
    return url, process


def mlflow_env(venv: Path) -> Path:
    """A virtualenv with MLflow and this XGBoost (never the project's own environment)."""
    import xgboost

    python = venv / "bin" / "python"
    if (
        python.exists()
        and subprocess.run([str(python), "-c", "import mlflow"], check=False, capture_output=True).returncode == 0
    ):
        return venv
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "mlflow==3.*", f"xgboost=={xgboost.__version__}"], check=True
    )
    return venv


def _mlflow_model(venv: Path, booster_path: Path, out: Path) -> Path:
    """The same booster saved as an MLflow model (the xgboost flavor), by MLflow itself."""
    script = (
        "import sys, xgboost, mlflow.xgboost\n"
        "b = xgboost.Booster(); b.load_model(sys.argv[1])\n"
        "mlflow.xgboost.save_model(b, sys.argv[2])\n"
    )
    subprocess.run([str(venv / "bin" / "python"), "-c", script, str(booster_path), str(out)], check=True)
    return out


def _serve_mlflow(venv: Path, model: Path, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = _port()
    command = [str(venv / "bin" / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
               "-h", "127.0.0.1", "-p", str(port), "-w", str(workers)]  # fmt: skip
    path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"  # MLflow starts `uvicorn` by name
    # Its uvicorn's access log off, as workbench serve runs (a line per request would cost it time).
    env = {**os.environ, "PATH": path, "MLFLOW_TRACKING_URI": str(model.parent), "UVICORN_ACCESS_LOG": "false"}
    process = subprocess.Popen(command, cwd=model.parent, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_ready(f"{url}/ping", process, "mlflow models serve")
    return url, process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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


def _points(url: str, path: str, headers: dict[str, str], singles: list[bytes], batches: list[bytes], args: Any):
    out = {"single": [_closed_loop(url, path, headers, singles, c, args.seconds) for c in args.clients]}
    if batches:
        out["batch_1000"] = [_closed_loop(url, path, headers, batches, c, args.seconds) for c in args.batch_clients]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--batch-clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of both servers")
    parser.add_argument("--mlflow-venv", type=Path, help="reuse this MLflow virtualenv (made when missing)")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load_start": os.getloadavg(), "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        token, booster = build_project(root)
        pool = _frame(5_000, 3).drop("y")
        singles = [orjson.dumps(r) for r in pool.to_dicts()]
        batches = [orjson.dumps({"rows": pool.slice(i * 1000, 1000).to_dicts()}) for i in range(5)]
        results["predict_loop"] = _predict_loop(booster, pool.select(FEATURES).to_numpy(), args.seconds)
        ours = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        url, process = _serve(root, args.workers)
        try:
            results["workbench"] = _points(url, "/v1/models/bench/decide", ours, singles, batches, args)
        finally:
            _stop(process)
        policy = root / "policies" / "bench.yaml"
        # Two shadows: bench:2 has production's contract (the same training rows: a new model on the same
        # data), so it reuses the champion's check of each batch; bench:3's differs and is checked again.
        for key, ref in (("workbench_shadow", "bench:2"), ("workbench_shadow_own_contract", "bench:3")):
            policy.write_text(POLICY + f"rollout:\n  mode: shadow\n  challenger: {ref}\n")
            _check_again(root, ref)  # a shadow needs its checks passed under the policy now governing
            url, process = _serve(root, args.workers)
            try:
                results[key] = _points(url, "/v1/models/bench/decide", ours, singles, [], args)
            finally:
                _stop(process)
        # The plain service once more, right after the shadows: the shadows' cost is read against the two plain
        # runs around them, not against one whose machine was in another state.
        policy.write_text(POLICY)
        url, process = _serve(root, args.workers)
        try:
            results["workbench_again"] = _points(url, "/v1/models/bench/decide", ours, singles, [], args)
        finally:
            _stop(process)
        if not args.no_mlflow:
            venv = mlflow_env(args.mlflow_venv or Path(tmp) / "mlflow-venv")
            booster.save_model(str(root / "bench.ubj"))  # type: ignore[attr-defined]
            model = _mlflow_model(venv, root / "bench.ubj", Path(tmp) / "mlflow-model")
            split = [orjson.dumps({"dataframe_split": {"columns": FEATURES, "data": [[r[f] for f in FEATURES]]}})
                     for r in pool.to_dicts()]  # fmt: skip
            frames = [pool.slice(i * 1000, 1000).select(FEATURES) for i in range(5)]
            big = [orjson.dumps({"dataframe_split": {"columns": FEATURES, "data": f.rows()}}) for f in frames]
            url, process = _serve_mlflow(venv, model, args.workers)
            try:
                results["mlflow"] = _points(url, "/invocations", {"Content-Type": "application/json"}, split, big, args)
            finally:
                _stop(process)
    results["load_end"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
