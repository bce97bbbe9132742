"""The ``smiles`` domain tokenizer: validate with RDKit, canonicalise, split into atom units."""

from __future__ import annotations

from tagregistry.errors import InputError
from tagregistry_chem.units import split_smiles
from tagregistry_chem.validation import canonical_smiles, clean_input, parse_smiles


class ChemTokenizer:
    """What the chemistry tokenizers share: the ``canonical``/``separator`` options, units
    from :meth:`normalize` by :meth:`split`, and the rendering.

    Args:
        canonical: write the canonical form of the molecule; with False the input is
            validated but kept as written (surrounding whitespace dropped).
        separator: what :meth:`render` puts between units; ``""`` gives the string itself,
            ``" "`` one unit per word.
    """

    name = ""

    def __init__(self, canonical: bool = True, separator: str = "") -> None:
        if not isinstance(separator, str):
            raise InputError(f"separator must be a string such as ' ', got {separator!r}")
        self.canonical = canonical
        self.separator = separator

    def normalize(self, value: str) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def split(self, text: str) -> list[str]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def units(self, value: str) -> list[str]:
        """The units of :meth:`normalize`; joined they give it back."""
        return self.split(self.normalize(value))

    def render(self, value: str) -> str:
        """The text the base LLM's tokenizer sees: the units joined by ``separator``."""
        return self.separator.join(self.units(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(canonical={self.canonical}, separator={self.separator!r})"


class SmilesTokenizer(ChemTokenizer):
    """Validates a SMILES with RDKit, canonicalises it (stereo and isotopes kept) and splits it
    into atoms, bonds, branches and ring closures."""

    name = "smiles"

    def normalize(self, value: str) -> str:
        """The validated SMILES: canonical, or the input as written when ``canonical=False``."""
        mol = parse_smiles(value)
        return canonical_smiles(mol) if self.canonical else clean_input(value)

    def split(self, text: str) -> list[str]:
        return split_smiles(text)
