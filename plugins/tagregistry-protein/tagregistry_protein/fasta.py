"""Data sets over a FASTA file you supply (``options: {path: ...}`` in a recipe).

Sequences are split 80/10/10 by a hash of the sequence (:func:`~tagregistry_protein.splits.split_of`),
so the split never depends on file order or ``seed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry_protein.blosum import mean_blosum1
from tagregistry_protein.splits import check_split, shuffled, split_of
from tagregistry_protein.tokenizer import ProteinTokenizer


def read_fasta(path: str | Path) -> list[str]:
    """Sequences of a FASTA file, validated and upper-cased; duplicates kept once, in file order."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"FASTA file {file} does not exist")
    tokenizer = ProteinTokenizer()
    sequences: dict[str, None] = {}
    chunks: list[str] = []
    header = ""
    for line in [*file.read_text(encoding="utf-8").splitlines(), ">"]:
        if line.startswith(">"):
            if chunks:
                try:
                    sequences.setdefault(tokenizer.normalize("".join(chunks)), None)
                except InputError as exc:
                    raise InputError(f"{file}, record {header!r}: {exc}") from exc
            chunks, header = [], line[1:].strip()
        elif line.strip():
            chunks.append(line.strip())
    if not sequences:
        raise InputError(f"{file} holds no FASTA sequences (lines after '>header' lines)")
    return list(sequences)


def _select(path: str | Path | None, split: str, limit: int | None, seed: int) -> list[str]:
    if path is None:
        raise InputError(
            "this data set reads your own FASTA file: set options: {path: FILE.fasta} "
            "in the recipe's data section"
        )
    check_split(split)
    return shuffled([s for s in read_fasta(path) if split_of(s) == split], limit, seed)


def load_fasta(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"protein": ...}`` from your FASTA file (stage 1)."""
    return [{"protein": s} for s in _select(path, split, limit, seed)]


def load_fasta_descriptor(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None
) -> list[dict[str, Any]]:
    """Records ``{"protein", "label"}`` from your FASTA file, labelled with the mean BLOSUM1 index."""
    return [{"protein": s, "label": mean_blosum1(s)} for s in _select(path, split, limit, seed)]
