"""The ``selfies`` domain tokenizer: validate a SELFIES string and render its symbols."""

from __future__ import annotations

from tagregistry_chem.selfies_codec import clean_selfies, selfies_to_mol, split_symbols
from tagregistry_chem.tokenizer import ChemTokenizer
from tagregistry_chem.validation import canonical_smiles


class SelfiesTokenizer(ChemTokenizer):
    """Validates a SELFIES string (it must decode to a molecule RDKit accepts) and splits it
    into its bracketed symbols. With ``canonical`` the input is rewritten as the SELFIES of
    RDKit's canonical SMILES, so that equal molecules give equal prompts."""

    name = "selfies"

    def normalize(self, value: str) -> str:
        """The validated SELFIES: canonical, or the input as written when ``canonical=False``."""
        import selfies as sf

        mol = selfies_to_mol(value)
        if not self.canonical:
            return clean_selfies(value)
        return sf.encoder(canonical_smiles(mol), strict=False)

    def split(self, text: str) -> list[str]:
        return split_symbols(text)
