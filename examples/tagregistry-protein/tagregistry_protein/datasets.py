"""Data set loaders over a FASTA file you supply (``options: {path: ...}`` in a recipe).

Every loader has the signature ``loader(split="train", limit=None, seed=0, path=None)``
and returns a list of dicts whose keys are the function's slot names (``protein``) and,
for labelled sets, ``label``. Records go to train/validation/test (80/10/10) by a hash of
the sequence, so the split never depends on file order or ``seed``; ``seed`` only
shuffles the order within a split before ``limit`` takes the first records.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry_protein.descriptor import mean_blosum_index
from tagregistry_protein.tokenizer import ProteinTokenizer

SPLITS = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}


def read_fasta(path: str | Path) -> list[str]:
    """Sequences of a FASTA file, normalised; duplicates kept once, in file order."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"FASTA file {file} does not exist")
    tokenizer = ProteinTokenizer()
    sequences: dict[str, None] = {}
    chunks: list[str] = []
    for line in [*file.read_text(encoding="utf-8").splitlines(), ">"]:
        if line.startswith(">"):
            if chunks:
                sequences.setdefault(tokenizer.normalize("".join(chunks)), None)
            chunks = []
        elif line.strip():
            chunks.append(line.strip())
    if not sequences:
        raise InputError(f"{file} holds no FASTA sequences (lines after '>header' lines)")
    return list(sequences)


def split_of(sequence: str) -> str:
    """The split a sequence belongs to."""
    bucket = int.from_bytes(hashlib.sha256(sequence.encode()).digest()[:8], "big") % 100
    return next(name for name, (low, high) in SPLITS.items() if low <= bucket < high)


def _select(path: str | Path | None, split: str, limit: int | None, seed: int) -> list[str]:
    if path is None:
        raise InputError(
            "the protein data sets read your own FASTA file: set options: {path: FILE.fasta} "
            "in the recipe's data section"
        )
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    chosen = [s for s in read_fasta(path) if split_of(s) == split]
    random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


def load_sequences(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"protein": ...}`` (stage 1: the ``<Protein>`` domain tag)."""
    return [{"protein": s} for s in _select(path, split, limit, seed)]


def load_descriptor(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None
) -> list[dict[str, Any]]:
    """Records ``{"protein": ..., "label": mean BLOSUM62 self-score}`` (stage 2)."""
    return [{"protein": s, "label": mean_blosum_index(s)} for s in _select(path, split, limit, seed)]
