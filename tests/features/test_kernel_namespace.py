"""``wb.features`` stays the kernel API's namespace (workbench.api_features) after Python binds the
``workbench.features`` package on the ``workbench`` module, which the first ``wb.features`` call,
registering with a feature set and scoring one all do: before, every call after the first found the
package and failed with an AttributeError. Run in a fresh interpreter, where nothing is imported yet."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import workbench as wb
names = [f["name"] for f in wb.features.list()]  # imports the workbench.features package
assert names == ["admissions", "tickets"], names
assert wb.features.get("admissions").name == "admissions"  # the call that used to fail
import workbench.features.pit
from workbench.features import definition
assert wb.features.__name__ == "workbench.api_features", wb.features
assert wb.features.get("tickets").name == "tickets"
package = sys.modules["workbench.features"]
assert package.__name__ == "workbench.features" and definition.__name__ == "workbench.features.definition"
print("ok")
"""


def test_wb_features_is_the_kernel_api_on_every_call(tmp_path: Path) -> None:
    shutil.copytree(REPO / "features", tmp_path / "features")
    (tmp_path / "workbench.toml").write_text("[tool.workbench]\n")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
