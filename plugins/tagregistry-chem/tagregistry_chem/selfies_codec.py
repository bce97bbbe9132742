"""SELFIES strings: validation with clear errors and exact conversion to and from SMILES.

Uses the ``selfies`` package (default semantic constraints). A SELFIES string is a run of
bracketed symbols such as ``[C][=C][Branch1]...`` (``.`` separates fragments); every symbol must be known to ``selfies``
and the string must decode to a molecule that RDKit accepts.
"""

from __future__ import annotations

import re

from rdkit import Chem

from tagregistry.errors import InputError
from tagregistry_chem.units import pointer, quote
from tagregistry_chem.validation import canonical_smiles, parse_smiles, stripped_text, try_parse

_SYMBOLS = re.compile(r"\[[^\[\]\s]+\]|\.")  # symbols, and "." between fragments
_ADVICE = "write the molecule as bracketed SELFIES symbols, e.g. '[C][C][O]' for ethanol"


def clean_selfies(value: object) -> str:
    """``value`` without surrounding whitespace; every character must sit inside a symbol."""
    text = stripped_text(value, "SELFIES", _ADVICE)
    position = 0
    for match in _SYMBOLS.finditer(text):
        if match.start() != position:
            break
        position = match.end()
    if position != len(text):
        found = text[position]
        what = "whitespace" if found.isspace() else f"{found!r}"
        raise InputError(
            f"invalid SELFIES {quote(text)}: {what} at position {position + 1} is not part of a "
            f"bracketed symbol\n{pointer(text, position)}\n{_ADVICE}"
        )
    return text


def split_symbols(text: str) -> list[str]:
    """The bracketed symbols (and ``.`` fragment separators) of a cleaned SELFIES string."""
    return _SYMBOLS.findall(text)


def selfies_to_mol(value: object) -> Chem.Mol:
    """Validate ``value`` and decode it to an RDKit molecule (InputError when impossible)."""
    import selfies as sf

    text = clean_selfies(value)
    try:
        smiles = sf.decoder(text)
    except sf.DecoderError as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(f"invalid SELFIES {text!r}: {reason}; {_ADVICE}") from None
    if not smiles:
        raise InputError(
            f"invalid SELFIES {text!r}: it decodes to no atoms (only branch/ring symbols); "
            f"{_ADVICE}"
        )
    mol = try_parse(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        raise InputError(
            f"invalid SELFIES {text!r}: it decodes to the SMILES {smiles!r}, which RDKit "
            "cannot sanitise; check the charges and valences of the symbols"
        )
    return mol


def selfies_to_smiles(value: object) -> str:
    """RDKit's canonical SMILES of a SELFIES string."""
    return canonical_smiles(selfies_to_mol(value))


def smiles_to_selfies(value: object) -> str:
    """The SELFIES string of a SMILES (of its canonical form, so equal molecules agree)."""
    import selfies as sf

    canonical = canonical_smiles(parse_smiles(value))
    try:
        return sf.encoder(canonical, strict=True)
    except sf.EncoderError as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(
            f"SMILES {value!r} cannot be written as SELFIES: {reason}. SELFIES' default "
            "constraints allow no atom above its usual valence; use the SMILES domain for it"
        ) from None
