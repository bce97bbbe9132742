"""The ``Descriptor`` label: mean BLOSUM62 self-substitution score of a sequence."""

from __future__ import annotations

from tagregistry_protein.tokenizer import ProteinTokenizer

#: diagonal of the BLOSUM62 substitution matrix (score of each residue against itself)
BLOSUM62_DIAGONAL: dict[str, int] = {
    "A": 4, "R": 5, "N": 6, "D": 6, "C": 9, "Q": 5, "E": 5, "G": 6, "H": 8, "I": 4,
    "L": 4, "K": 5, "M": 5, "F": 6, "P": 7, "S": 4, "T": 5, "W": 11, "Y": 7, "V": 4,
}

_TOKENIZER = ProteinTokenizer()


def mean_blosum_index(sequence: str) -> float:
    """Mean of :data:`BLOSUM62_DIAGONAL` over the residues (standard residues only)."""
    residues = _TOKENIZER.units(sequence)
    return sum(BLOSUM62_DIAGONAL[r] for r in residues) / len(residues)
