"""Drug-target pairs of the KIBA sample that ``pydebiaseddta`` ships.

Three files, ``dta_sample_data/{train,val,test}.csv`` (columns ``ligand_id``, ``smiles``,
``prot_id``, ``aa_sequence``, ``affinity_score``), hold 3,000 / 1,000 / 1,000 pairs over 189
proteins and 458 ligands. We keep the files' split, which is *cold* on both sides: no
validation or test protein or ligand occurs in training. KIBA scores are higher for
stronger binding.

The *warm* split (:func:`warm_pairs`) pools the 5,000 pairs and re-splits them at random,
70 / 10 / 20 with a seed: test pairs are new combinations of proteins and ligands that
training has seen, the setting in which per-protein and per-ligand effects can be learned.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from functools import lru_cache

from tagregistry.errors import InputError
from tagregistry_protein.sources import kiba_csv
from tagregistry_protein.splits import check_cap, check_split, shuffled
from tagregistry_protein.tokenizer import ProteinTokenizer

#: our split names -> the file names
FILES: dict[str, str] = {"train": "train", "validation": "val", "test": "test"}
COLUMNS = ("ligand_id", "smiles", "prot_id", "aa_sequence", "affinity_score")
#: the warm split's shares of the pooled pairs (train, validation; test takes the rest)
WARM_SHARES = (0.7, 0.1)


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


@lru_cache(maxsize=9)
def warm_pairs(split: str, split_seed: int = 0) -> tuple[KibaPair, ...]:
    """``split`` of the warm split: all 5,000 pairs (files' train, val, test, in file order)
    shuffled by ``split_seed`` and cut 70 / 10 / 20 into train / validation / test."""
    check_split(split)
    if isinstance(split_seed, bool) or not isinstance(split_seed, int):
        raise InputError(f"split_seed must be an integer, got {split_seed!r}")
    pooled = [pair for name in FILES for pair in kiba_pairs(name)]
    random.Random(split_seed).shuffle(pooled)
    train_end = round(len(pooled) * WARM_SHARES[0])
    validation_end = train_end + round(len(pooled) * WARM_SHARES[1])
    bounds = {"train": (0, train_end), "validation": (train_end, validation_end),
              "test": (validation_end, len(pooled))}
    low, high = bounds[split]
    return tuple(pooled[low:high])


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
    return _records(kiba_pairs(check_split(split)), limit, seed, max_residues)


def load_binding_affinity_warm(
    split: str = "train", limit: int | None = None, seed: int = 0,
    max_residues: int | None = None, split_seed: int = 0,
) -> list[dict[str, object]]:
    """The records of :func:`load_binding_affinity` on the warm split (:func:`warm_pairs`):
    3,500 / 500 / 1,000 pairs whose proteins and ligands recur across splits.

    Args:
        split_seed: the seed of the random re-split (0: the shipped recipe's split); the other
            arguments as for :func:`load_binding_affinity`.
    """
    return _records(warm_pairs(check_split(split), split_seed), limit, seed, max_residues)


def _records(pairs: tuple[KibaPair, ...], limit: int | None, seed: int,
             max_residues: int | None) -> list[dict[str, object]]:
    cap = check_cap(max_residues)
    return [
        {"protein": p.protein[:cap] if cap else p.protein, "smiles": p.smiles,
         "label": p.affinity, "protein_id": p.protein_id, "ligand_id": p.ligand_id}
        for p in shuffled(pairs, limit, seed)
    ]
