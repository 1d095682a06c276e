"""Benchmark: the workbench REST API under concurrent load, on a large generated project.

It builds a project in a temporary folder with one model of ``--versions`` versions (each
with checks under the current policy, some approvals, one production alias) and
``--items`` review items spread over 20 scoring jobs, writing the rows straight into the
store's tables so that set-up takes seconds (``benchmarks/server_load_project.py``). Then
it starts a real ``jupyter server`` with the workbench extension, on a free loopback port
with a token, and measures with an aiohttp client on 127.0.0.1:

- ``/models``, ``/models/{name}/versions?limit=50``, ``/review/items?limit=50`` and a deep
  page of the review queue (a cursor about 3/4 of the way in, or ``offset`` on a server
  that has no cursors), each at concurrency 1, 10 and 50;
- ``/health`` and Jupyter's own ``/api/status``, one request at a time every 20 ms while
  each load runs (so their latency is what a user sees while the server is busy).

Each (endpoint, concurrency) sends a bounded number of requests and stops after
``--seconds``; every request has a 30 s timeout (``--timeout``). Errors are non-200 answers
and timeouts.

Usage::

    python benchmarks/server_load.py                        # 10,000 versions, 200,000 items
    python benchmarks/server_load.py --versions 2000 --items 20000 --requests 100
    python benchmarks/server_load.py --json results.json
    python benchmarks/server_load.py --endpoints models review --levels 50
    python benchmarks/server_load.py --server-arg=--WorkbenchApp.worker_threads=4
    PYTHONPATH=/tmp/wb-before python benchmarks/server_load.py   # the same against another checkout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from server_load_project import APPROVERS, MODEL, build_project

LEVELS = (1, 10, 50)
ENDPOINTS = ("models", "versions", "review", "review-deep")
EXTRA_ENDPOINTS = ("review-1000",)  # big pages: only when asked for
REQUEST_TIMEOUT_S = 30.0


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, home: Path, port: int, token: str, extra: list[str]) -> subprocess.Popen[bytes]:
    config_dir = home / "config"
    config_dir.mkdir(parents=True)
    settings = {"ServerApp": {"jpserver_extensions": {"workbench": True}}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(settings), encoding="utf-8")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "WORKBENCH_USER": APPROVERS[0],
    }
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *extra,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(4, "--allow-root")
    log = (home / "server.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)


async def wait_ready(session: aiohttp.ClientSession, base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            async with session.get(f"{base}/workbench/api/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(f"jupyter server did not start (exit code {process.poll()}):\n{tail}")


# --- measuring --------------------------------------------------------------------------


async def timed_get(session: aiohttp.ClientSession, url: str) -> tuple[float, bool]:
    began = time.perf_counter()
    try:
        async with session.get(url) as response:  # the session's timeout applies
            await response.read()
            ok = response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    return time.perf_counter() - began, ok


async def load(session: aiohttp.ClientSession, url: str, concurrency: int, count: int, seconds: float) -> dict:
    """``count`` GETs of ``url`` by ``concurrency`` workers, stopping early after ``seconds``."""
    latencies: list[float] = []
    errors = 0
    remaining = count
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            elapsed, ok = await timed_get(session, url)
            latencies.append(elapsed)
            errors += 0 if ok else 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - began
    return {**summarise(latencies, errors), "throughput": len(latencies) / wall if wall else 0.0}


async def probe(session: aiohttp.ClientSession, url: str, stop: asyncio.Event, every_s: float = 0.02) -> dict:
    latencies: list[float] = []
    errors = 0
    while not stop.is_set():
        elapsed, ok = await timed_get(session, url)
        latencies.append(elapsed)
        errors += 0 if ok else 1
        await asyncio.sleep(every_s)
    return summarise(latencies, errors)


def summarise(latencies: list[float], errors: int) -> dict:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    return {"n": len(ordered), "errors": errors, "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


async def deep_page(session: aiohttp.ClientSession, api: str, n_items: int) -> str:
    """A review-queue page about 3/4 of the way in: by cursor, or by offset on a server without cursors."""
    async with session.get(f"{api}/review/items?status=all&limit=1") as response:
        body = await response.json()
    target = (n_items * 3) // 4
    if "next_cursor" not in body:
        return f"{api}/review/items?status=all&limit=50&offset={target}"
    from workbench.server.cursors import encode_cursor

    return f"{api}/review/items?status=all&limit=50&cursor={encode_cursor('review', target)}"


async def run(
    args: argparse.Namespace, base: str, token: str, process: subprocess.Popen[bytes], log: Path
) -> list[dict]:
    headers = {"Authorization": f"token {token}"}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(headers=headers, connector=connector, timeout=timeout) as session:
        await wait_ready(session, base, process, log)
        api = f"{base}/workbench/api"
        every = {
            "models": ("/models", f"{api}/models"),
            "versions": ("/models/{name}/versions?limit=50", f"{api}/models/{MODEL}/versions?limit=50"),
            "review": ("/review/items?limit=50", f"{api}/review/items?limit=50"),
            "review-deep": ("/review/items deep page", await deep_page(session, api, args.items)),
            "review-1000": ("/review/items?status=all&limit=1000", f"{api}/review/items?status=all&limit=1000"),
        }
        endpoints = dict(every[name] for name in args.endpoints)
        for url in endpoints.values():  # warm up: first use opens the store
            await timed_get(session, url)
        results = []
        for concurrency in args.levels:
            for label, url in endpoints.items():
                stop = asyncio.Event()
                probes = [
                    asyncio.ensure_future(probe(session, f"{api}/health", stop)),
                    asyncio.ensure_future(probe(session, f"{base}/api/status", stop)),
                ]
                count = max(args.requests, 5 * concurrency)
                measured = await load(session, url, concurrency, count, args.seconds)
                stop.set()
                health, status = await asyncio.gather(*probes)
                results.append({"endpoint": label, "concurrency": concurrency, **measured})
                results.append({"endpoint": f"  /health during {label}", "concurrency": concurrency, **health})
                results.append({"endpoint": f"  /api/status during {label}", "concurrency": concurrency, **status})
                for row in results[-3:]:
                    print_row(row)
        return results


def print_row(row: dict) -> None:
    throughput = f"{row['throughput']:8.1f}" if "throughput" in row else " " * 8
    print(
        f"{row['endpoint']:<48} {row['concurrency']:>4} {row['n']:>6} {row['errors']:>6} "
        f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {throughput}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per (endpoint, concurrency)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per (endpoint, concurrency)")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS), help="concurrency levels")
    parser.add_argument(
        "--endpoints", nargs="+", choices=ENDPOINTS + EXTRA_ENDPOINTS, default=list(ENDPOINTS), help="what to load"
    )
    parser.add_argument("--server-arg", action="append", default=[], help="extra `jupyter server` argument")
    parser.add_argument("--timeout", type=float, default=REQUEST_TIMEOUT_S, help="seconds before a request fails")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wb-server-load-") as tmp:
        root, home = Path(tmp) / "project", Path(tmp) / "home"
        began = time.perf_counter()
        build_project(root, args.versions, args.items)
        print(
            f"generated {args.versions:,} versions and {args.items:,} review items in "
            f"{time.perf_counter() - began:.1f} s; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        port, token = free_port(), secrets.token_hex(16)
        process = start_server(root, home, port, token, args.server_arg)
        try:
            header = f"{'endpoint':<48} {'conc':>4} {'n':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            print(f"{header} {'req/s':>8}")
            results = asyncio.run(run(args, f"http://127.0.0.1:{port}", token, process, home / "server.log"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if args.json:
        args.json.write_text(json.dumps({"versions": args.versions, "items": args.items, "results": results}, indent=1))


if __name__ == "__main__":
    main()
