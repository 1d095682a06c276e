"""The notebooks and the kernelspec `make setup` installs carry the same display name.

JupyterLab writes the installed kernelspec's display name into a notebook it opens; a
notebook that is a DVC stage's dependency then shows the stage as changed although
nothing in it changed. So the repository's notebooks, the Makefile's ``ipykernel
install`` and the kernelspec installed in this environment must agree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").rglob("*.ipynb"))


def _installed_name() -> str:
    match = re.search(
        r'ipykernel install --sys-prefix --name python3 --display-name "([^"]+)"', (REPO / "Makefile").read_text()
    )
    assert match, "the Makefile no longer installs the python3 kernelspec with a display name"
    return match.group(1)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(REPO)) for p in NOTEBOOKS])
def test_each_notebook_names_the_installed_kernelspec(notebook: Path) -> None:
    kernelspec = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    assert kernelspec["name"] == "python3"
    assert kernelspec["display_name"] == _installed_name()


def test_the_installed_kernelspec_has_that_name() -> None:
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    if not spec.is_file():
        pytest.skip(f"no python3 kernelspec in {sys.prefix}: `make setup` installs it")
    assert json.loads(spec.read_text(encoding="utf-8"))["display_name"] == _installed_name(), (
        "the installed kernelspec is out of date: run `make setup`"
    )
