"""The SMILES unit regex (pure Python, no RDKit)."""

from __future__ import annotations

import pytest

from tagregistry.errors import InputError
from tagregistry_chem.units import atom_offsets, is_atom, split_smiles, unclosed_rings


@pytest.mark.parametrize(
    ("smiles", "units"),
    [
        ("ClCBr", ["Cl", "C", "Br"]),
        ("CCl", ["C", "Cl"]),
        ("Brc1ccccc1", ["Br", "c", "1", "c", "c", "c", "c", "c", "1"]),
        ("F[C@@H](Cl)Br", ["F", "[C@@H]", "(", "Cl", ")", "Br"]),
        ("[NH4+].[Cl-]", ["[NH4+]", ".", "[Cl-]"]),
        ("C%12CC%12", ["C", "%12", "C", "C", "%12"]),
        ("C%(123)CC%(123)", ["C", "%(123)", "C", "C", "%(123)"]),
        ("C=1CCCCC1", ["C", "=", "1", "C", "C", "C", "C", "C", "1"]),
        ("F/C=C\\F", ["F", "/", "C", "=", "C", "\\", "F"]),
        ("C#N", ["C", "#", "N"]),
        ("C$C", ["C", "$", "C"]),
        ("[NH3]->[Fe]", ["[NH3]", "->", "[Fe]"]),
        ("[Fe]<-N", ["[Fe]", "<-", "N"]),
        ("*C~C", ["*", "C", "~", "C"]),
        ("c1cc[nH]c1", ["c", "1", "c", "c", "[nH]", "c", "1"]),
        ("[13CH3]O", ["[13CH3]", "O"]),
        ("Sc1ccsc1", ["S", "c", "1", "c", "c", "s", "c", "1"]),
    ],
)
def test_split_examples(smiles: str, units: list[str]) -> None:
    assert split_smiles(smiles) == units
    assert "".join(units) == smiles


def test_unknown_character_names_its_position() -> None:
    with pytest.raises(InputError) as info:
        split_smiles("CCXC")
    message = str(info.value)
    assert "'CCXC'" in message and "'X'" in message and "position 3" in message
    assert "    ^" in message  # caret under the X (two-space indent + two characters)


def test_is_atom() -> None:
    assert all(is_atom(u) for u in ["C", "Cl", "Br", "c", "n", "[nH]", "[C@@H]", "*", "[2H]"])
    assert not any(is_atom(u) for u in ["(", ")", "=", "1", "%12", "%(123)", ".", "->", "/"])


def test_atom_offsets_follow_input_order() -> None:
    assert atom_offsets("ClC(=O)[NH2]") == [0, 2, 5, 7]


def test_unclosed_rings() -> None:
    assert unclosed_rings("C1CC") == [1]
    assert unclosed_rings("C1CC1") == []
    assert unclosed_rings("C1CC2CC1") == [4]
    assert unclosed_rings("C%10CC%(10)") == []
