"""Data sets from MOSES (the files of the ``molsets`` wheel, fetched, never installed).

MOSES ships ``train.csv.gz`` (1.58 M molecules), ``test.csv.gz`` and ``test_scaffolds.csv.gz``
(about 176,000 each; the scaffold test set holds scaffolds absent from train). The pinned
molsets wheel is fetched once into the user's data cache and only these three files unpacked
(:mod:`tagregistry.datafiles`; ``tagregistry data fetch chem`` does it ahead of time), so
none of molsets' own dependencies are needed. ``validation`` is carved
from MOSES's train file deterministically: a molecule goes there when a sha256 of its SMILES
falls in the first 1% of buckets, and is then not in ``train``.

Loaders have the signature ``loader(split="train", limit=None, seed=0) -> list[dict]``;
``seed`` shuffles the split before ``limit`` takes the first molecules. Labels are computed
by RDKit once per selection and cached on disk (see :mod:`tagregistry_chem.label_cache`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry_chem.datasets import DataUnavailableError, logp, qed, tpsa
from tagregistry_chem.label_cache import cached_labels
from tagregistry_chem.plugin import MOLSETS

SPLITS: tuple[str, ...] = ("train", "validation", "test", "test_scaffolds")
_FILES = {"train": "train", "validation": "train", "test": "test",
          "test_scaffolds": "test_scaffolds"}
VALIDATION_PER_MILLE = 10
#: label function name -> (function, version); bump a version when its definition changes
LABELS: dict[str, tuple[Callable[[Any], float], int]] = {
    "QED": (qed, 1), "LogP": (logp, 1), "TPSA": (tpsa, 1),
}


def moses_data_dir() -> Path:
    """The ``moses/dataset/data`` folder of the molsets wheel (fetched on first use)."""
    from tagregistry.datafiles.cache import data_path

    return data_path(MOLSETS, MOLSETS.members[0]).parent


def in_validation(smiles: str) -> bool:
    """Whether a molecule of MOSES's train file belongs to our validation split."""
    bucket = int.from_bytes(hashlib.sha256(smiles.encode("utf-8")).digest()[:8], "big") % 1000
    return bucket < VALIDATION_PER_MILLE


@lru_cache(maxsize=3)
def _read(file: str) -> tuple[str, ...]:
    path = moses_data_dir() / f"{file}.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header != ["SMILES"]:
            raise DataUnavailableError(f"{path} should start with the header 'SMILES', got {header}")
        return tuple(row[0] for row in rows if row)


@lru_cache(maxsize=4)
def moses_smiles(split: str) -> tuple[str, ...]:
    """Every SMILES of ``split`` in file order."""
    if split not in SPLITS:
        raise InputError(f"unknown MOSES split {split!r}; choose one of {', '.join(SPLITS)}")
    molecules = _read(_FILES[split])
    if split == "validation":
        return tuple(s for s in molecules if in_validation(s))
    if split == "train":
        return tuple(s for s in molecules if not in_validation(s))
    return molecules


def select(split: str, limit: int | None, seed: int) -> list[str]:
    """``split`` shuffled with ``seed``, then its first ``limit`` molecules."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InputError(f"limit must be a non-negative integer or None, got {limit!r}")
    chosen = _shuffled(split, seed)
    return list(chosen if limit is None else chosen[:limit])


@lru_cache(maxsize=4)
def _shuffled(split: str, seed: int) -> tuple[str, ...]:
    """``split`` shuffled with ``seed`` (kept: shuffling 1.57 M training molecules takes seconds)."""
    chosen = list(moses_smiles(split))
    random.Random(seed).shuffle(chosen)
    return tuple(chosen)


def load_smiles_moses(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"smiles": ...}``."""
    return [{"smiles": s} for s in select(split, limit, seed)]


def labelled(function: str, split: str, limit: int | None, seed: int) -> list[dict[str, Any]]:
    """``{"smiles", "label"}`` records of ``split`` labelled with ``function`` (cached)."""
    descriptor, version = LABELS[function]
    smiles = select(split, limit, seed)
    labels = cached_labels(function, version, descriptor, smiles, what=f"MOSES {split} molecules")
    return [{"smiles": s, "label": y} for s, y in zip(smiles, labels, strict=True) if y is not None]


def load_qed_moses(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """MOSES molecules labelled with QED."""
    return labelled("QED", split, limit, seed)


def load_logp_moses(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """MOSES molecules labelled with Crippen logP."""
    return labelled("LogP", split, limit, seed)


def load_tpsa_moses(
    split: str = "train", limit: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """MOSES molecules labelled with TPSA."""
    return labelled("TPSA", split, limit, seed)
