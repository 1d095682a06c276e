"""`import workbench` must stay light: the heavy libraries load only when used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("xgboost", "shap", "evidently", "dask", "distributed", "matplotlib", "sklearn", "pandas", "jupyter_server")


def _imported_modules(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name.split(".")[0])
    return modules


def test_import_workbench_imports_no_heavy_library() -> None:
    loaded = _imported_modules("import workbench")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_cli_help_imports_no_heavy_library() -> None:
    loaded = _imported_modules("from workbench.cli.main import build_parser; build_parser()")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
