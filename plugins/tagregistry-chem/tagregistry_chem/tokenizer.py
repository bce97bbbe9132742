"""The ``smiles`` domain tokenizer: validate with RDKit, canonicalise, split into atom units."""

from __future__ import annotations

from tagregistry.errors import InputError
from tagregistry_chem.units import split_smiles
from tagregistry_chem.validation import canonical_smiles, clean_input, parse_smiles


class SmilesTokenizer:
    """Validates a SMILES with RDKit, canonicalises it and splits it into units.

    Args:
        canonical: write RDKit's canonical SMILES (stereo and isotopes kept); with False the
            input is validated but kept as written (surrounding whitespace dropped).
        separator: what :meth:`render` puts between units; ``""`` gives the SMILES itself,
            ``" "`` one unit per word.
    """

    name = "smiles"

    def __init__(self, canonical: bool = True, separator: str = "") -> None:
        if not isinstance(separator, str):
            raise InputError(f"separator must be a string such as ' ', got {separator!r}")
        self.canonical = canonical
        self.separator = separator

    def normalize(self, value: str) -> str:
        """The validated SMILES: canonical, or the input as written when ``canonical=False``."""
        mol = parse_smiles(value)
        return canonical_smiles(mol) if self.canonical else clean_input(value)

    def units(self, value: str) -> list[str]:
        """Atoms, bonds, branches and ring closures; joined they give :meth:`normalize`."""
        return split_smiles(self.normalize(value))

    def render(self, value: str) -> str:
        """The text the base LLM's tokenizer sees: the units joined by ``separator``."""
        return self.separator.join(self.units(value))

    def __repr__(self) -> str:
        return f"SmilesTokenizer(canonical={self.canonical}, separator={self.separator!r})"
