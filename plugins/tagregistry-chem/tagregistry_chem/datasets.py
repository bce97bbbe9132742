"""Data sets built from the NCI SMILES file that RDKit ships (``Data/NCI/first_5K.smi``).

``smiles-nci-5k`` is unlabelled (``selfies-nci-5k``: the same molecules as SELFIES;
``selfies-smiles-nci-5k``: both, paired); ``qed-nci``, ``logp-nci`` and ``tpsa-nci`` carry labels that
RDKit computes. Every loader has the signature
``loader(split="train", limit=None, seed=0) -> list[dict]``.

Molecules RDKit cannot parse are skipped and duplicates (same canonical SMILES) kept once.
The split is 80/10/10 by a sha256 of the canonical SMILES, so it never depends on ``seed``
or on file order, and one molecule is never in two splits. ``seed`` only shuffles the order
of the records in a split (before ``limit`` takes the first ones). Nothing is written to
disk; the parsed file is kept in memory once per process.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tagregistry.errors import DataUnavailableError, InputError

SPLITS: tuple[str, ...] = ("train", "validation", "test")
#: percentage buckets of the hash: [0, 80) train, [80, 90) validation, [90, 100) test
_BOUNDS: dict[str, tuple[int, int]] = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}


def nci_path() -> Path:
    """Path of the NCI SMILES file inside the installed RDKit."""
    from rdkit import RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    if not path.is_file():
        raise DataUnavailableError(
            f"RDKit's NCI file is missing at {path}; "
            "reinstall RDKit (pip install --force-reinstall rdkit)"
        )
    return path


def split_of(canonical: str) -> str:
    """The split (train/validation/test) a canonical SMILES belongs to."""
    bucket = int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:8], "big") % 100
    for name, (low, high) in _BOUNDS.items():
        if low <= bucket < high:
            return name
    raise AssertionError(f"bucket {bucket} outside 0..99")  # unreachable


@lru_cache(maxsize=1)
def nci_molecules() -> tuple[str, ...]:
    """Canonical SMILES of every parseable molecule in the NCI file, first occurrence kept."""
    from tagregistry_chem.validation import canonical_smiles, try_parse

    seen: dict[str, None] = {}
    with nci_path().open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()  # "SMILES<tab>NCI id"
            if not fields:
                continue
            mol = try_parse(fields[0])
            if mol is None or mol.GetNumAtoms() == 0:
                continue
            seen.setdefault(canonical_smiles(mol), None)
    return tuple(seen)


def _select(split: str, limit: int | None, seed: int) -> list[str]:
    if split not in _BOUNDS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InputError(f"limit must be a non-negative integer or None, got {limit!r}")
    chosen = [s for s in nci_molecules() if split_of(s) == split]
    random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


def load_smiles(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"smiles": ...}`` (stage-1 domain-tag training)."""
    return [{"smiles": s} for s in _select(split, limit, seed)]


def load_selfies(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"selfies": ...}``: the NCI molecules of ``split`` as SELFIES.

    Same molecules and splits as ``smiles-nci-5k``; the few that SELFIES' valence rules
    cannot express are skipped (so ``limit`` may return fewer records).
    """
    return [{"selfies": r["selfies"]} for r in load_selfies_pairs(split, limit, seed)]


def load_selfies_pairs(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """``{"selfies", "smiles"}`` records: each NCI molecule of ``split`` written both ways
    (``hyper.align`` trains ``<SELFIES>`` to read like ``<SMILES>`` on them). Same molecules,
    order and skips as ``selfies-nci-5k``."""
    from tagregistry_chem.selfies_codec import smiles_to_selfies

    records = []
    for smiles in _select(split, limit, seed):
        try:
            records.append({"selfies": smiles_to_selfies(smiles), "smiles": smiles})
        except InputError:
            continue
    return records


def _labelled(
    descriptor: Callable[[Any], float], split: str, limit: int | None, seed: int
) -> list[dict[str, Any]]:
    from tagregistry_chem.validation import try_parse

    records = []
    for smiles in _select(split, limit, seed):
        mol = try_parse(smiles)
        if mol is None:  # a canonical SMILES RDKit cannot read back: skip, like any bad input
            continue
        records.append({"smiles": smiles, "label": float(descriptor(mol))})
    return records


def qed(mol: Any) -> float:
    """RDKit's quantitative estimate of drug-likeness."""
    from rdkit.Chem import QED

    from tagregistry_chem.rdkit_log import quiet_rdkit

    with quiet_rdkit():
        return float(QED.qed(mol))


def logp(mol: Any) -> float:
    """RDKit's Crippen logP."""
    from rdkit.Chem import Crippen

    return float(Crippen.MolLogP(mol))


def tpsa(mol: Any) -> float:
    """RDKit's topological polar surface area."""
    from rdkit.Chem import rdMolDescriptors

    return float(rdMolDescriptors.CalcTPSA(mol))


def load_qed(split: str = "train", limit: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """``{"smiles", "label"}`` records labelled with QED."""
    return _labelled(qed, split, limit, seed)


def load_logp(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """``{"smiles", "label"}`` records labelled with Crippen logP."""
    return _labelled(logp, split, limit, seed)


def load_tpsa(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """``{"smiles", "label"}`` records labelled with TPSA."""
    return _labelled(tpsa, split, limit, seed)
