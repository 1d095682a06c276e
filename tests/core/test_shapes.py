"""Declared shapes: pydantic's errors become a path, a YAML line and plain words."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from workbench.core.shapes import Names, Number, Shape, ShapeError, check, described, one_of
from workbench.core.yaml_text import parse_yaml, plain


class Inner(Shape):
    limit: Annotated[StrictFloat, Field(ge=0)] = 1.0
    mode: Annotated[StrictStr, one_of("run", "repro")] = "run"


class Outer(Shape):
    name: StrictStr
    enabled: StrictBool = True
    count: StrictInt = 0
    roles: Names = ("approver",)
    sections: dict[str, Inner] = Field(default_factory=dict)
    items: Annotated[list[Inner], described("a list of sections")] = Field(default_factory=list)
    value: Number | None = None


DOC = """\
name: x
sections:
  a:
    limit: 2
  b:
    limt: 3
"""


def _problem(data: object, document: object = None) -> ShapeError:
    with pytest.raises(ShapeError) as raised:
        check(Outer, data, document=document)
    return raised.value


def test_an_unknown_nested_key_names_its_path_and_line_and_suggests_the_field() -> None:
    document = parse_yaml(DOC, keep_lines=True)

    problem = _problem(plain(document), document).problem

    assert problem.path == ("sections", "b", "limt")
    assert problem.dotted == "sections.b.limt" and problem.key == "limt"
    assert problem.line == 6
    assert problem.kind == "unknown_key"
    assert problem.message == "unknown key. Did you mean `limit`?"


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    problem = _problem({"name": "x", "zzz": 1}).problem

    assert problem.message == "unknown key. Allowed: name, enabled, count, roles, sections, items, value."


@pytest.mark.parametrize(
    ("data", "dotted", "message"),
    [
        ({"name": "x", "enabled": "false"}, "enabled", "must be true or false (unquoted), got 'false'."),
        ({"name": "x", "enabled": 0}, "enabled", "must be true or false (unquoted), got 0."),
        ({"name": "x", "count": 2.5}, "count", "must be a whole number, got 2.5."),
        ({"name": "x", "count": True}, "count", "must be a whole number, got True."),
        ({"name": "x", "sections": {"a": {"limit": -1}}}, "sections.a.limit", "must be at least 0, got -1."),
        ({"name": "x", "sections": {"a": {"limit": "1"}}}, "sections.a.limit", "must be a number, got '1'."),
        ({"name": "x", "sections": {"a": {"mode": "now"}}}, "sections.a.mode", "'now' is not one of run, repro."),
        ({"name": "x", "sections": []}, "sections", "must be a mapping of keys to values, got list."),
        ({"name": 3}, "name", "must be a string, got 3."),
        ({}, "name", "is required."),
        ({"name": "x", "value": "high"}, "value", "must be a number, got 'high'."),
        # A field's description phrases errors for it and for its items.
        ({"name": "x", "items": "a"}, "items", "must be a list of sections, got 'a'."),
    ],
)
def test_type_and_range_errors_in_plain_words(data: dict[str, object], dotted: str, message: str) -> None:
    problem = _problem(data).problem

    assert (problem.dotted, problem.message) == (dotted, message)


def test_a_list_item_is_named_by_its_index() -> None:
    problem = _problem({"name": "x", "items": [{}, {"limit": "no"}]}).problem

    assert problem.dotted == "items[1].limit"  # a field's description speaks for it, not for what it holds
    assert problem.message == "must be a number, got 'no'."


def test_one_name_is_a_list_of_one_and_a_null_is_the_default() -> None:
    assert check(Outer, {"name": "x", "roles": "admin"}).roles == ("admin",)
    # `roles:` with no value, as YAML writes it, keeps the default rather than clearing it.
    assert check(Outer, {"name": "x", "roles": None, "enabled": None}).roles == ("approver",)
    assert check(Outer, {"name": "x", "roles": []}).roles == ()


def test_numbers_keep_their_kind() -> None:
    assert check(Outer, {"name": "x", "value": 3}).value == 3
    assert isinstance(check(Outer, {"name": "x", "value": 3}).value, int)
    assert isinstance(check(Outer, {"name": "x", "value": 3.5}).value, float)
