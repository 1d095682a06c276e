from __future__ import annotations

import pytest

from workbench.core.errors import InvalidReference, ValidationError
from workbench.core.refs import ModelRef, check_name, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("admissions", ModelRef("admissions")),
        ("admissions:latest", ModelRef("admissions")),
        ("admissions:3", ModelRef("admissions", version=3)),
        ("admissions@production", ModelRef("admissions", alias="production")),
        ("a.b-c_d:12", ModelRef("a.b-c_d", version=12)),
    ],
)
def test_accepted_forms(text: str, expected: ModelRef) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "3", "name:", "name:0", "name:-1", "name@", "name@@x", "name:1@x", "na me", "../x", "name:v2", "x" * 101],
)
def test_rejected_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(InvalidReference, match="name@alias|start at 1"):
        parse_ref(text)


def test_str_roundtrip() -> None:
    for text in ["m:3", "m@production", "m:latest"]:
        assert str(parse_ref(text)) == text


@pytest.mark.parametrize("bad", ["", "1abc", "a/b", "a b", "<script>", "a;rm", "x-"])
def test_check_name_rejects_illegal_characters(bad: str) -> None:
    with pytest.raises(ValidationError, match="letter first"):
        check_name(bad)
