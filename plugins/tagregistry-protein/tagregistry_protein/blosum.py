"""The ``Descriptor`` label: the mean BLOSUM1 index of a protein's residues.

The BLOSUM indices are ten factors per amino acid that Georgiev derived from the BLOSUM62
substitution matrix by a VARIMAX factor analysis:

    A. G. Georgiev, "Interpretable numerical descriptors of amino acid space",
    Journal of Computational Biology 16(5):703-723, 2009. doi:10.1089/cmb.2008.0173

A protein's BLOSUM*k* descriptor is the mean of index *k* over its residues. Tag-LLM
(arXiv 2402.05140, Table 2) regresses this kind of mean BLOSUM index as its protein
``Descriptor`` task; we use the first index, BLOSUM1, which is the first factor of the
analysis (it separates hydrophilic D, E, N, K, Q from hydrophobic F, W, I, L residues).
"""

from __future__ import annotations

from tagregistry_protein.tokenizer import ProteinTokenizer

#: BLOSUM1 index of each standard residue (Georgiev 2009)
BLOSUM1: dict[str, float] = {
    "A": 0.08, "R": 1.01, "N": 1.51, "D": 1.55, "C": -1.08, "Q": 1.09, "E": 1.48,
    "G": 0.85, "H": 0.72, "I": -1.46, "L": -1.41, "K": 1.14, "M": -0.96, "F": -1.62,
    "P": 0.88, "S": 0.84, "T": 0.19, "W": -1.58, "Y": -1.14, "V": -1.13,
}

_TOKENIZER = ProteinTokenizer()


def mean_blosum1(sequence: str) -> float:
    """Mean :data:`BLOSUM1` index over the residues (standard residues only)."""
    residues = _TOKENIZER.units(sequence)
    return sum(BLOSUM1[r] for r in residues) / len(residues)
