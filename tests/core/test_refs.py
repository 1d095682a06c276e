from __future__ import annotations

import pytest

from workbench.core.errors import InvalidReference, ValidationError
from workbench.core.refs import ModelRef, check_alias, check_name, parse_ref


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


@pytest.mark.parametrize("alias", ["production", "candidate", "a.b-c_d", "v2"])
def test_lowercase_aliases_are_accepted(alias: str) -> None:
    assert check_alias(alias) == alias
    assert parse_ref(f"m@{alias}") == ModelRef("m", alias=alias)


@pytest.mark.parametrize("alias", ["Production", "PRODUCTION", "producTion", "Staging"])
def test_aliases_with_capitals_are_refused_with_the_lowercase_name(alias: str) -> None:
    with pytest.raises(ValidationError, match=f"alias names are lowercase.*use '{alias.lower()}'"):
        check_alias(alias)
    with pytest.raises(InvalidReference, match=f"alias names are lowercase.*`m@{alias.lower()}`"):
        parse_ref(f"m@{alias}")


def test_model_names_keep_their_case() -> None:
    assert parse_ref("Admissions:2") == ModelRef("Admissions", version=2)
    assert check_name("Admissions") == "Admissions"


@pytest.mark.parametrize("alias", ["x-", "x.", "1x", "a b"])
def test_check_alias_applies_the_name_grammar(alias: str) -> None:
    with pytest.raises(ValidationError, match="letter first"):
        check_alias(alias)
