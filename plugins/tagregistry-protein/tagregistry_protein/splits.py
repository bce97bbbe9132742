"""Deterministic splits shared by the protein data sets.

A sequence goes to train/validation/test (80/10/10) by a sha256 of the sequence, so the split
never depends on file order or on ``seed``, and one sequence is never in two splits. ``seed``
only shuffles the order of the records in a split, before ``limit`` takes the first ones.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

from tagregistry.errors import InputError

T = TypeVar("T")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
#: percentage buckets of the hash: [0, 80) train, [80, 90) validation, [90, 100) test
_BOUNDS: dict[str, tuple[int, int]] = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}


def split_of(sequence: str) -> str:
    """The split (train/validation/test) a sequence belongs to."""
    bucket = int.from_bytes(hashlib.sha256(sequence.encode("utf-8")).digest()[:8], "big") % 100
    return next(name for name, (low, high) in _BOUNDS.items() if low <= bucket < high)


def check_split(split: str) -> str:
    """``split`` if it is one of :data:`SPLITS`, else a clear error."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return split


def check_limit(limit: int | None) -> int | None:
    """``limit`` if it is a non-negative integer or ``None``, else a clear error."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InputError(f"limit must be a non-negative integer or None, got {limit!r}")
    return limit


def check_cap(max_residues: int | None) -> int | None:
    """A training length cap: a positive integer or ``None`` (no cap)."""
    if max_residues is not None and (
        isinstance(max_residues, bool) or not isinstance(max_residues, int) or max_residues < 1
    ):
        raise InputError(f"max_residues must be a positive integer or None, got {max_residues!r}")
    return max_residues


def shuffled(items: Sequence[T], limit: int | None, seed: int) -> list[T]:
    """``items`` shuffled by ``seed``, then the first ``limit`` of them."""
    check_limit(limit)
    chosen = list(items)
    random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]
