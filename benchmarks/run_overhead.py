"""What does ``workbench run`` cost on top of plain papermill?

Both run the same trivial parameterized notebook as child processes of this script
(the same process tree, the same interpreter, the same kernel), alternating, after
one warm-up each. ``workbench run`` does everything a pipeline run does: it reads
the stage's parameters from ``params.yaml``, checks their types, records the run
(git state, per-cell timings) with audit events, executes with papermill, moves the
executed notebook into place and stores it in the artifact store.

    .venv/bin/python benchmarks/run_overhead.py [--repeat 7] [--check]

Prints the median wall time of each and the ratio; the target is at most 1.15x.
``--check`` exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

TARGET = 1.15


def _notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("n = 1")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("total = sum(range(n))\nprint(total)")]
    nbformat.write(notebook, path)


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process tree (user + system, kernel included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the ratio exceeds {TARGET}")
    args = parser.parse_args()

    from workbench.pipelines.promote import promote
    from workbench.project.init import init_project
    from workbench.project.workspace import open_workspace

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as scratch:
        root = Path(scratch) / "proj"
        init_project(root, git=True, dvc=True)
        _notebook(root / "trivial.ipynb")
        promote(open_workspace(root), "trivial.ipynb", base_dir=root)
        env = {**os.environ, "DO_NOT_TRACK": "1", "WORKBENCH_USER": "bench@example.org"}
        python = sys.executable
        commands = {
            "papermill": [python, "-m", "papermill", "trivial.ipynb", "out.ipynb", "-p", "n", "1", "-k", "python3"],
            "workbench run": [
                python,
                "-m",
                "workbench.cli.main",
                "run",
                "trivial.ipynb",
                "--stage",
                "trivial",
                "--quiet",
            ],
        }
        for command in commands.values():  # warm-up: file system caches, .pyc files, the database
            _timed(command, root, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                wall, used = _timed(command, root, env)
                times[name].append(wall)
                cpu[name].append(used)

    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["workbench run"] / medians["papermill"]
    print(f"trivial notebook, {args.repeat} runs each (same interpreter, same kernel), load {os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        print(
            f"  {name:14} median {medians[name]:6.3f} s wall (min {min(values):.3f}, max {max(values):.3f}); "
            f"{statistics.median(cpu[name]):.2f} s CPU"
        )
    verdict = "met" if ratio <= TARGET else "MISSED"
    best = min(times["workbench run"]) / min(times["papermill"])
    print(f"  ratio          {ratio:6.3f}x of medians, {best:.3f}x of minimums (target <= {TARGET}x: {verdict})")
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
