"""Drug-target pairs of the KIBA sample that ``pydebiaseddta`` ships.

Three files, ``dta_sample_data/{train,val,test}.csv`` (columns ``ligand_id``, ``smiles``,
``prot_id``, ``aa_sequence``, ``affinity_score``), hold 3,000 / 1,000 / 1,000 pairs over 189
proteins and 458 ligands. We keep the files' split, which is *cold* on both sides: no
validation or test protein or ligand occurs in training. KIBA scores are higher for
stronger binding.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from tagregistry.errors import InputError
from tagregistry_protein.sources import kiba_csv
from tagregistry_protein.splits import check_cap, check_split, shuffled
from tagregistry_protein.tokenizer import ProteinTokenizer

#: our split names -> the file names
FILES: dict[str, str] = {"train": "train", "validation": "val", "test": "test"}
COLUMNS = ("ligand_id", "smiles", "prot_id", "aa_sequence", "affinity_score")


@dataclass(frozen=True)
class KibaPair:
    """One measured drug-target pair."""

    protein_id: str
    protein: str
    ligand_id: str
    smiles: str
    affinity: float


@lru_cache(maxsize=3)
def kiba_pairs(split: str) -> tuple[KibaPair, ...]:
    """Every pair of ``split`` in file order (sequences validated and upper-cased)."""
    path = kiba_csv(FILES[check_split(split)])
    tokenizer = ProteinTokenizer()
    pairs = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path} lacks column(s) {missing}; found {reader.fieldnames}")
        for number, row in enumerate(reader, start=2):
            try:
                pairs.append(KibaPair(
                    protein_id=row["prot_id"], protein=tokenizer.normalize(row["aa_sequence"]),
                    ligand_id=row["ligand_id"], smiles=row["smiles"].strip(),
                    affinity=float(row["affinity_score"]),
                ))
            except (InputError, ValueError) as exc:
                raise InputError(f"{path}:{number}: {exc}") from exc
    return tuple(pairs)


def kiba_proteins(split: str) -> dict[str, str]:
    """``{protein id: sequence}`` of the proteins in ``split``."""
    return {p.protein_id: p.protein for p in kiba_pairs(split)}


def load_binding_affinity(
    split: str = "train", limit: int | None = None, seed: int = 0,
    max_residues: int | None = None,
) -> list[dict[str, object]]:
    """Records ``{"protein", "smiles", "label", "protein_id", "ligand_id"}`` of the KIBA sample.

    Args:
        split: ``train``, ``validation`` or ``test`` (the files' own cold split).
        limit: at most this many records (after shuffling with ``seed``).
        seed: order of the records.
        max_residues: training length cap: keep only the first ``max_residues`` residues of
            each protein (``None``: whole sequences). The shipped recipe uses 1,500.
    """
    cap = check_cap(max_residues)
    return [
        {"protein": p.protein[:cap] if cap else p.protein, "smiles": p.smiles,
         "label": p.affinity, "protein_id": p.protein_id, "ligand_id": p.ligand_id}
        for p in shuffled(kiba_pairs(split), limit, seed)
    ]
