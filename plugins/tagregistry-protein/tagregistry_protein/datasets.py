"""Protein data sets built from files that PyPI packages ship (read by path, offline).

- ``protein-peptides-kiba`` (stage 1, unlabelled): the antimicrobial-peptide file's
  peptides plus the KIBA sample's proteins.
- ``descriptor-blosum1``: the same sequences labelled with their mean BLOSUM1 index.
- ``antimicrobial-modlamp``: peptides labelled ``AMP`` / ``non-AMP``.

Peptides are split by a hash of the sequence (:mod:`tagregistry_protein.splits`); a KIBA
protein keeps the split of the KIBA file it comes from, so no protein of the binding-affinity
test split is ever trained on, not even without labels. Every loader has the signature
``loader(split="train", limit=None, seed=0, ...) -> list[dict]``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tagregistry_protein.blosum import mean_blosum1
from tagregistry_protein.kiba import kiba_proteins
from tagregistry_protein.peptides import AMP_LABELS, amp_peptides
from tagregistry_protein.splits import SPLITS, check_cap, check_split, shuffled, split_of


@lru_cache(maxsize=1)
def protein_splits() -> dict[str, tuple[str, ...]]:
    """Distinct sequences of the stage-1 set by split (KIBA proteins first, then peptides)."""
    assigned: dict[str, str] = {}
    for split in reversed(SPLITS):  # test, validation, train: a protein in two splits stays held out
        for sequence in kiba_proteins(split).values():
            assigned.setdefault(sequence, split)
    for sequence, _ in amp_peptides():
        assigned.setdefault(sequence, split_of(sequence))
    return {s: tuple(seq for seq, where in assigned.items() if where == s) for s in SPLITS}


def _sequences(split: str, limit: int | None, seed: int, max_residues: int | None) -> list[str]:
    cap = check_cap(max_residues)
    chosen = shuffled(protein_splits()[check_split(split)], limit, seed)
    return [s[:cap] for s in chosen] if cap else chosen


def load_proteins(
    split: str = "train", limit: int | None = None, seed: int = 0, max_residues: int | None = None
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"protein": ...}`` (stage 1: the ``<Protein>`` domain tag).

    ``max_residues`` keeps the first residues of longer sequences (a training length cap).
    """
    return [{"protein": s} for s in _sequences(split, limit, seed, max_residues)]


def load_descriptor(
    split: str = "train", limit: int | None = None, seed: int = 0, max_residues: int | None = None
) -> list[dict[str, Any]]:
    """Records ``{"protein", "label"}``: the label is the mean BLOSUM1 index (stage 2)."""
    return [{"protein": s, "label": mean_blosum1(s)}
            for s in _sequences(split, limit, seed, max_residues)]


def load_antimicrobial(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Records ``{"protein", "label"}`` with label ``"AMP"`` or ``"non-AMP"`` (stage 2)."""
    check_split(split)
    chosen = [(s, y) for s, y in amp_peptides() if split_of(s) == split]
    return [{"protein": s, "label": AMP_LABELS[y]} for s, y in shuffled(chosen, limit, seed)]
