"""Reading, parameter inspection and promotion checks, without a kernel."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.core.errors import NotebookError, ParameterError
from workbench.notebooks.checks import absolute_paths, check_notebook
from workbench.notebooks.parameters import ParamSpec, resolve_values
from workbench.notebooks.reading import load_notebook

NotebookFactory = Callable[..., Path]


def test_parameters_are_read_with_types_defaults_and_help(make_notebook: NotebookFactory) -> None:
    path = make_notebook(
        "nb.ipynb",
        [
            'rows = 100  # how many rows\nrate = 0.5\nname = "admissions"\nfast = True\n'
            'cols = ["a", "b"]\nopts = {"k": 1}\nlimit = None\nratio: float = 1\npair = (1, 2)',
            "print(rows)",
        ],
    )
    report = check_notebook(path)
    assert report.ok, report.problems
    specs = {spec.name: spec for spec in report.parameters}
    assert [spec.name for spec in report.parameters] == [
        "rows", "rate", "name", "fast", "cols", "opts", "limit", "ratio", "pair"
    ]  # fmt: skip
    assert {name: spec.type_name for name, spec in specs.items()} == {
        "rows": "int", "rate": "float", "name": "str", "fast": "bool", "cols": "list",
        "opts": "dict", "limit": "any", "ratio": "float", "pair": "list",
    }  # fmt: skip
    assert specs["rows"].help == "how many rows"
    assert specs["pair"].default == [1, 2]
    assert report.parameters_cell == 0


def test_not_a_notebook(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(NotebookError, match="is not a notebook: expected a Jupyter .ipynb file"):
        load_notebook(text)
    other = tmp_path / "data.ipynb"
    other.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(NotebookError, match="is not a notebook: the JSON has no `cells`"):
        load_notebook(other)


def test_corrupt_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [\n  {"cell_type": "code",\n')
    with pytest.raises(NotebookError, match=r"is corrupt: its JSON does not parse .* at line 3"):
        load_notebook(path)


def test_json_that_nbformat_rejects(tmp_path: Path) -> None:
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code"}]}))
    with pytest.raises(NotebookError, match="is not a valid notebook"):
        load_notebook(path)


def test_no_parameters_cell(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["x = 1"], parameters=None))
    assert not report.ok
    assert "no cell is tagged `parameters`" in report.problems[0]


def test_two_parameters_cells(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["x = 1", "y = 2", "z = 3"], parameters=(0, 2)))
    assert report.problems == ("cells 1, 3 are all tagged `parameters`: keep the tag on exactly one cell",)


def test_defaults_must_be_literals_and_the_cell_plain_assignments(make_notebook: NotebookFactory) -> None:
    report = check_notebook(
        make_notebook("nb.ipynb", ["import os\nx = 1\nroot = os.getcwd()\nsize = 2 * 3\na, b = 1, 2"])
    )
    problems = "\n".join(report.problems)
    assert "line 1: `import os` is not a plain assignment" in problems
    assert "the default of `root` (`os.getcwd()`) is not a literal" in problems
    assert "the default of `size` (`2 * 3`) is not a literal" in problems
    assert "line 5: `a, b = 1, 2` is not a plain assignment" in problems
    assert [spec.name for spec in report.parameters] == ["x"]


def test_absolute_paths_are_refused_everywhere(make_notebook: NotebookFactory) -> None:
    report = check_notebook(
        make_notebook(
            "nb.ipynb",
            [
                'data = "/home/ana/data.csv"\nrel = "../data/x.csv"',
                'df = open(r"C:\\Users\\ana\\x.csv")\nconf = "~/conf.yaml"',
                'ok = "/etc/hosts"  # workbench: allow-absolute-path\nurl = "https://example.org/a/b"',
            ],
        )
    )
    problems = "\n".join(report.problems)
    assert "parameter `data` defaults to the absolute path '/home/ana/data.csv'" in problems
    assert "cell 2, line 1: absolute path 'C:\\\\Users\\\\ana\\\\x.csv'" in problems
    assert "cell 2, line 2: absolute path '~/conf.yaml'" in problems
    assert "/etc/hosts" not in problems and "example.org" not in problems
    assert len(report.problems) == 3


def test_magics_are_fine_but_syntax_errors_are_not(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["x = 1", "%matplotlib inline\n!ls", "def broken(:\n    pass"]))
    assert len(report.problems) == 1
    assert report.problems[0].startswith("cell 3 does not parse")


def test_a_non_python_kernel_is_refused(make_notebook: NotebookFactory) -> None:
    report = check_notebook(make_notebook("nb.ipynb", ["x <- 1"], language="R"))
    assert "kernel language is r" in report.problems[0]


def test_absolute_path_scanner_ignores_non_paths() -> None:
    assert absolute_paths('a = "/"\nb = "a/b"\nc = r"/\\d+"\nd = "//cdn.example.org/x"') == []
    assert absolute_paths('x = f"/srv/data/{name}.csv"') == [(1, "/srv/data/")]


SPECS = [
    ParamSpec("n", "int", 10),
    ParamSpec("rate", "float", 0.5),
    ParamSpec("name", "str", "a"),
    ParamSpec("fast", "bool", False),
    ParamSpec("cols", "list", ["a"]),
    ParamSpec("anything", "any", None),
]


def test_values_from_params_yaml_and_p_overrides_are_typed() -> None:
    values = resolve_values(
        SPECS,
        {"n": 20, "rate": 1},
        {"name": "123", "fast": "true", "cols": "[x, y]", "anything": "{a: 1}", "rate": "2.5"},
    )
    assert values == {"n": 20, "rate": 2.5, "name": "123", "fast": True, "cols": ["x", "y"], "anything": {"a": 1}}
    assert isinstance(resolve_values(SPECS, {"rate": 1})["rate"], float)


def test_unknown_keys_and_wrong_types_are_all_listed() -> None:
    with pytest.raises(ParameterError) as caught:
        resolve_values(SPECS, {"n": True, "colour": "red"}, {"n": "abc", "fast": "1", "size": "3"})
    details = caught.value.details
    assert len(details) == 5
    assert "unknown parameter `colour` (from params.yaml)" in details[1]
    assert "the notebook's parameters are: anything, cols, fast, n, name, rate" in details[1]
    assert "parameter `n` expects int (the notebook's default is 10), got 'abc' (str) (from -p)" in details
    assert any("parameter `n` expects int" in item and "got True (bool)" in item for item in details)
    assert any("parameter `fast` expects bool" in item and "got 1 (int)" in item for item in details)
    assert "5 parameter problems" in caught.value.message


def test_an_untyped_parameter_takes_plain_values_only() -> None:
    with pytest.raises(ParameterError, match="takes a plain value"):
        resolve_values(SPECS, None, {"anything": "2024-01-01"})  # YAML reads a date
    assert resolve_values(SPECS, None, {"anything": "'2024-01-01'"})["anything"] == "2024-01-01"


def test_fstring_continuations_are_not_absolute_paths() -> None:
    from workbench.notebooks.checks import absolute_paths

    assert absolute_paths('out = f"{folder}/applications.parquet"') == []
    assert absolute_paths('out = f"/data/{name}.csv"') == [(1, "/data/")]
