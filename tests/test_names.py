"""Tag names and references: the naming rules, ``Name@v`` parsing and close matches."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tagregistry.errors import InvalidNameError, TagRegistryError
from tagregistry.names import (
    NAME_PATTERN,
    TagRef,
    close_matches,
    did_you_mean,
    parse_ref,
    validate_name,
)

NAME_CHARS = string.ascii_letters + string.digits + "_-"
valid_names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(string.ascii_letters),
    st.text(alphabet=NAME_CHARS, max_size=63),
)


def _is_valid(text: str) -> bool:
    """An independent statement of the rule: a letter, then up to 63 of [A-Za-z0-9_-]."""
    return (
        1 <= len(text) <= 64
        and text[0].isascii()
        and text[0].isalpha()
        and all(c in NAME_CHARS for c in text)
    )


@given(valid_names)
def test_valid_names_are_accepted_unchanged(name: str) -> None:
    assert validate_name(name) == name
    assert parse_ref(name) == TagRef(name)


@given(valid_names, st.integers(min_value=1, max_value=10**9))
def test_pinned_refs_round_trip(name: str, version: int) -> None:
    ref = parse_ref(f"{name}@{version}")
    assert ref == TagRef(name, version)
    assert str(ref) == f"{name}@{version}"
    assert parse_ref(str(ref)) == ref
    assert parse_ref(f"<{name}@{version}>") == ref


@given(st.text(max_size=80))
def test_arbitrary_text_is_valid_exactly_when_it_follows_the_rule(text: str) -> None:
    if _is_valid(text):
        assert validate_name(text) == text
    else:
        with pytest.raises(InvalidNameError) as info:
            validate_name(text)
        assert "invalid tag name" in str(info.value)


@given(st.text(max_size=80))
def test_parse_ref_never_fails_with_anything_but_invalid_name(text: str) -> None:
    try:
        ref = parse_ref(text)
    except InvalidNameError:
        return
    assert NAME_PATTERN.match(ref.name)
    assert ref.version is None or ref.version >= 1


@pytest.mark.parametrize(
    "bad",
    [
        "", " ", "../x", "..", ".", "a/b", "a\\b", "/etc/passwd", "x/../y", "QED/..", "1QED",
        "_QED", "-QED", "QED!", "Q ED", "QÉD", "x" * 65, "QED@", "QED@0", "QED@-1",
        "QED@1.5", "QED@v2", "QED@2@3", "@2", "<>", "QED@ 2", "QED@２",
    ],
)
def test_bad_names_and_refs_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        parse_ref(bad)
    assert isinstance(info.value, TagRegistryError)
    assert str(info.value).startswith("invalid")


@pytest.mark.parametrize("bad", [None, 3, b"QED", ["QED"]])
def test_non_strings_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidNameError):
        parse_ref(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidNameError):
        validate_name(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["QED\n", " QED", "QED ", "\nQED", "QED\t"])
def test_names_with_whitespace_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        validate_name(bad)


def test_refs_ignore_surrounding_whitespace() -> None:
    assert parse_ref(" QED@2\n") == TagRef("QED", 2)


def test_longest_name_is_accepted() -> None:
    assert validate_name("Q" * 64) == "Q" * 64


def test_bad_version_message_shows_the_fix() -> None:
    with pytest.raises(InvalidNameError, match=r"QED@1"):
        parse_ref("QED@latest")


def test_close_matches_are_case_insensitive_and_ranked() -> None:
    names = ["QED", "LogP", "TPSA", "Protein", "SMILES", "qed_v2"]
    assert close_matches("qde", names)[:1] == ["QED"]
    assert close_matches("Protien", names) == ["Protein"]
    assert close_matches("Zzzzz", names) == []
    assert did_you_mean("smiles", names) == " (did you mean SMILES?)"
    assert did_you_mean("Zzzzz", names) == ""
