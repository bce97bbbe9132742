"""ProteinTokenizer: residues join back, render one per word, errors name the first bad residue."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagregistry.engine.domain_tokenizers import DomainTokenizer
from tagregistry.errors import InputError
from tagregistry_protein import MAX_RESIDUES
from tagregistry_protein.blosum import BLOSUM1, mean_blosum1
from tagregistry_protein.tokenizer import STANDARD, ProteinTokenizer

RESIDUES = "".join(sorted(STANDARD))
sequences = st.text(alphabet=RESIDUES + RESIDUES.lower(), min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(sequences)
def test_units_join_back_to_the_upper_cased_input(sequence: str) -> None:
    tokenizer = ProteinTokenizer()
    assert "".join(tokenizer.units(sequence)) == sequence.upper()
    assert tokenizer.render(sequence).split(" ") == tokenizer.units(sequence)
    assert tokenizer.render(tokenizer.normalize(sequence)) == tokenizer.render(sequence)


@settings(max_examples=200, deadline=None)
@given(sequences, st.sampled_from("0123456789*-.#J!?"), st.data())
def test_the_first_invalid_residue_and_its_position_are_named(
    sequence: str, junk: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(sequence)))
    bad = sequence[:at] + junk + sequence[at:] + "1"
    with pytest.raises(InputError) as info:
        ProteinTokenizer().units(bad)
    message = str(info.value)
    assert f"invalid residue {junk!r} at position {at + 1}" in message
    assert "one-letter amino-acid codes" in message


def test_error_shows_a_caret_under_the_residue() -> None:
    with pytest.raises(InputError) as info:
        ProteinTokenizer().render("MKTBY")
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid residue 'B' at position 4:"
    assert lines[1:3] == ["  MKTBY", "     ^"]


def test_extended_alphabet_protocol_and_empty_input() -> None:
    assert ProteinTokenizer(extended=True).units("mxbz") == ["M", "X", "B", "Z"]
    assert isinstance(ProteinTokenizer(), DomainTokenizer)
    assert ProteinTokenizer(separator="").render(" mkt\n") == "MKT"
    for empty in ("", "   ", None, 7):
        with pytest.raises(InputError, match="non-empty protein sequence"):
            ProteinTokenizer().units(empty)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="separator"):
        ProteinTokenizer(separator=1)  # type: ignore[arg-type]


def test_length_cap() -> None:
    assert len(ProteinTokenizer().units("A" * MAX_RESIDUES)) == MAX_RESIDUES
    with pytest.raises(InputError, match=f"{MAX_RESIDUES + 1} residues; the limit is {MAX_RESIDUES}"):
        ProteinTokenizer().units("A" * (MAX_RESIDUES + 1))
    with pytest.raises(InputError, match="the limit is 3"):
        ProteinTokenizer(max_residues=3).units("MKTA")


def test_mean_blosum1() -> None:
    assert len(BLOSUM1) == 20 and set(BLOSUM1) == STANDARD
    assert mean_blosum1("KLKLLLLLKLK") == pytest.approx(-0.4827, abs=5e-5)
    assert mean_blosum1("w") == BLOSUM1["W"]
    assert mean_blosum1(RESIDUES) == pytest.approx(sum(BLOSUM1.values()) / 20)
    with pytest.raises(InputError):
        mean_blosum1("MKX")  # X has no published index
