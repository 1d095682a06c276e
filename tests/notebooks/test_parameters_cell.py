"""The parameters cell holds literal assignments only: no shell escapes, no magics, no computed values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.notebooks.checks import check_notebook

NotebookFactory = Callable[..., Path]

WHERE = "parameters cell (cell 1)"
MOVE_IT = "the parameters cell may only assign literal defaults (`name = value`), so move it to a later cell"

IPYTHON = {
    "shell escape": ("!ls /etc", 1, "`!ls /etc` is an IPython shell command"),
    "shell escape after a default": ("data = 'x.csv'\n!ls /etc", 2, "`!ls /etc` is an IPython shell command"),
    "captured shell output": ("files = !ls /etc", 1, "`files = !ls /etc` is an IPython shell command"),
    "line magic": ("x = 1\n%run ../other.ipynb", 2, "`%run ../other.ipynb` is an IPython magic"),
    "cell magic": ("%%bash\nls /etc", 1, "`%%bash` is an IPython cell magic"),
    "help": ("x = 1\nx?", 2, "`x?` is an IPython help request"),
}


@pytest.mark.parametrize("case", list(IPYTHON), ids=list(IPYTHON))
def test_ipython_syntax_is_refused_naming_the_line_and_the_fix(make_notebook: NotebookFactory, case: str) -> None:
    source, line, what = IPYTHON[case]
    report = check_notebook(make_notebook("nb.ipynb", [source, "print('next cell')"]))
    assert report.problems == (f"{WHERE}, line {line}: {what}: {MOVE_IT}",)
    assert report.parameters == ()


COMPUTED = {
    "call building a path": ("p = chr(47)+'etc'", "`chr(47)+'etc'`", "it is an expression"),
    "string concatenation": ("p = '/' + 'etc'", "`'/' + 'etc'`", "it is an expression"),
    "call": ("p = ''.join(['/', 'etc'])", "`''.join(['/', 'etc'])`", "it is a function call"),
    "name": ("p = root", "`root`", "it is a variable"),
    "attribute": ("p = os.sep", "`os.sep`", "it is an attribute"),
    "f-string": ("p = f'/etc'", "`f'/etc'`", "it is an f-string"),
    "call inside a list": ("p = ['a', chr(47)]", "`['a', chr(47)]`", "`chr(47)` in it is a function call"),
    "name inside a dict": ("p = {'root': home}", "`{'root': home}`", "`home` in it is a variable"),
    "conditional": ("p = 'a' if fast else 'b'", "`'a' if fast else 'b'`", "it is an expression"),
    "annotated call": ("p: str = chr(47)", "`chr(47)`", "it is a function call"),
}


@pytest.mark.parametrize("case", list(COMPUTED), ids=list(COMPUTED))
def test_computed_defaults_are_refused(make_notebook: NotebookFactory, case: str) -> None:
    source, shown, why = COMPUTED[case]
    report = check_notebook(make_notebook("nb.ipynb", [source]))
    assert report.problems == (
        f"{WHERE}, line 1: the default of `p` ({shown}) is not a literal ({why}); write the value itself "
        "(a number, string, True/False, None, a list or a dict) and compute derived values in a later cell",
    )


def test_a_literal_spelling_of_an_absolute_path_is_still_caught(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["p = '\\x2fetc'"]))
    assert report.problems == (
        "parameter `p` defaults to the absolute path '/etc'; use a path relative to the notebook's folder so the "
        "pipeline runs on any machine",
    )


def test_literal_cells_still_pass(make_notebook: NotebookFactory) -> None:
    cell = "\n".join(
        [
            "# Defaults for the pipeline; papermill injects new values after this cell.",
            "rows = 1_000  # how many rows",
            "rate = 0.25",
            "offset = -3",
            "low = -0.5",
            "scale = 1e-3",
            'name = "admissions"',
            "label = 'it''s'",
            "path = '../data/raw.csv'",
            "fast = True",
            "slow = False",
            "limit = None",
            "",
            "cols = ['gpa', 'test_score']",
            "nested = {'a': [1, -2, {'b': None}], 'c': (1, 2)}",
            "multi = [",
            "    1,  # first",
            "    2,",
            "]",
            "ratio: float = 1",
            "n: int = 5",
            "tags: list = []",
            "opts: dict = {}",
        ]
    )
    report = check_notebook(make_notebook("nb.ipynb", [cell, "print(rows)"]))
    assert report.ok, report.problems
    values = {spec.name: spec.default for spec in report.parameters}
    assert values == {
        "rows": 1000, "rate": 0.25, "offset": -3, "low": -0.5, "scale": 1e-3, "name": "admissions",
        "label": "its", "path": "../data/raw.csv", "fast": True, "slow": False, "limit": None,
        "cols": ["gpa", "test_score"], "nested": {"a": [1, -2, {"b": None}], "c": [1, 2]}, "multi": [1, 2],
        "ratio": 1, "n": 5, "tags": [], "opts": {},
    }  # fmt: skip
    types = {spec.name: spec.type_name for spec in report.parameters}
    assert (types["offset"], types["low"], types["ratio"], types["limit"]) == ("int", "float", "float", "any")


def test_an_empty_parameters_cell_is_fine(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["# no parameters yet", "print(1)"]))
    assert report.ok and report.parameters == ()
