"""Binding-affinity pairs for demos: held-out KIBA test pairs with their measured scores."""

from __future__ import annotations

from typing import Any

from tagregistry.errors import InputError
from tagregistry_protein.kiba import kiba_pairs
from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES


def binding_affinity_examples(
    n: int = 10, max_residues: int | None = TRAINING_MAX_RESIDUES
) -> list[dict[str, Any]]:
    """``n`` KIBA test pairs, one per protein where possible, with their measured values.

    Each item is ``{"protein", "smiles", "measured", "protein_id", "ligand_id"}``; pass
    ``protein=`` and ``smiles=`` to ``compose("Protein", "SMILES", "BindingAffinity").predict``.
    Pairs are taken in file order, first covering distinct proteins, so the choice never
    changes. ``max_residues`` truncates proteins as the shipped tag's training did
    (``None``: whole sequences).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive integer, got {n!r}")
    pairs = kiba_pairs("test")
    seen: set[str] = set()
    chosen = []
    for pair in pairs:  # first pass: a new protein each time
        if pair.protein_id not in seen:
            seen.add(pair.protein_id)
            chosen.append(pair)
    chosen += [p for p in pairs if p not in chosen]  # then the rest, in file order
    return [
        {"protein": p.protein[:max_residues] if max_residues else p.protein, "smiles": p.smiles,
         "measured": p.affinity, "protein_id": p.protein_id, "ligand_id": p.ligand_id}
        for p in chosen[:n]
    ]
