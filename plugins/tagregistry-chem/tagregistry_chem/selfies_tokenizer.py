"""The ``selfies`` domain tokenizer: validate a SELFIES string and render its symbols."""

from __future__ import annotations

from tagregistry.errors import InputError
from tagregistry_chem.selfies_codec import clean_selfies, selfies_to_mol, split_symbols
from tagregistry_chem.validation import canonical_smiles


class SelfiesTokenizer:
    """Validates a SELFIES string (it must decode to a molecule RDKit accepts) and splits it
    into its bracketed symbols.

    Args:
        canonical: rewrite the input as the SELFIES of RDKit's canonical SMILES, so that
            equal molecules give equal prompts; with False it is validated but kept as written.
        separator: what :meth:`render` puts between symbols (``""`` gives the string itself).
    """

    name = "selfies"

    def __init__(self, canonical: bool = True, separator: str = "") -> None:
        if not isinstance(separator, str):
            raise InputError(f"separator must be a string such as ' ', got {separator!r}")
        self.canonical = canonical
        self.separator = separator

    def normalize(self, value: str) -> str:
        """The validated SELFIES: canonical, or the input as written when ``canonical=False``."""
        import selfies as sf

        mol = selfies_to_mol(value)
        if not self.canonical:
            return clean_selfies(value)
        return sf.encoder(canonical_smiles(mol), strict=False)

    def units(self, value: str) -> list[str]:
        """The bracketed symbols; joined they give :meth:`normalize`."""
        return split_symbols(self.normalize(value))

    def render(self, value: str) -> str:
        """The text the base LLM's tokenizer sees: the symbols joined by ``separator``."""
        return self.separator.join(self.units(value))

    def __repr__(self) -> str:
        return f"SelfiesTokenizer(canonical={self.canonical}, separator={self.separator!r})"
