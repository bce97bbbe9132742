"""Data sets from MOSES (the ``molsets`` package, installed with ``pip install --no-deps``).

MOSES ships ``train.csv.gz`` (1.58 M molecules), ``test.csv.gz`` and ``test_scaffolds.csv.gz``
(about 176,000 each; the scaffold test set holds scaffolds absent from train). The files are
read by path, so none of molsets' own dependencies are needed. ``validation`` is carved
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
import importlib.util
import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry_chem.datasets import DataUnavailableError, logp, qed, tpsa
from tagregistry_chem.label_cache import cached_labels

SPLITS: tuple[str, ...] = ("train", "validation", "test", "test_scaffolds")
_FILES = {"train": "train", "validation": "train", "test": "test",
          "test_scaffolds": "test_scaffolds"}
VALIDATION_PER_MILLE = 10
#: label function name -> (function, version); bump a version when its definition changes
LABELS: dict[str, tuple[Callable[[Any], float], int]] = {
    "QED": (qed, 1), "LogP": (logp, 1), "TPSA": (tpsa, 1),
}


def moses_data_dir() -> Path:
    """The ``moses/dataset/data`` folder of the installed molsets package."""
    spec = importlib.util.find_spec("moses")  # finds the folder without importing molsets
    for location in list(spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "dataset" / "data"
        if (folder / "test.csv.gz").is_file():
            return folder
    raise DataUnavailableError(
        "the MOSES data sets need the molsets package: pip install --no-deps molsets "
        "(its own dependencies are not needed; `make install` does this)"
    )


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
    chosen = list(moses_smiles(split))
    random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


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
