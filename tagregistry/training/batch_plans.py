"""Length-bucketed batch plans: deterministic, resumable and shardable over processes.

Examples are shuffled, grouped into pools of ``bucket_size`` batches, sorted by length inside
each pool and cut into batches, so that a batch holds examples of similar length and
padding stays small. The plan is a pure function of (lengths, batch size, seed, epoch).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tagregistry.errors import InputError


def epoch_batches(
    lengths: Sequence[int], batch_size: int, seed: int, epoch: int, bucket_size: int = 64
) -> list[list[int]]:
    """The global batches (lists of example indices) of one epoch; incomplete batches dropped."""
    n = len(lengths)
    if n < batch_size:
        raise InputError(
            f"only {n} training examples but batch_size is {batch_size}; lower batch_size"
        )
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(n))
    rng.shuffle(order)
    pool = batch_size * bucket_size
    batches: list[list[int]] = []
    for start in range(0, n, pool):
        chunk = sorted(order[start : start + pool], key=lambda i: (lengths[i], i))
        for b in range(0, len(chunk) - batch_size + 1, batch_size):
            batches.append(chunk[b : b + batch_size])
    rng.shuffle(batches)
    return batches


def shard(batch: Sequence[int], rank: int, world: int) -> list[int]:
    """This process's contiguous share of a global batch (sizes must divide evenly)."""
    if len(batch) % world:
        raise InputError(
            f"batch of {len(batch)} examples cannot be split over {world} processes; "
            "make batch_size a multiple of the number of processes"
        )
    per = len(batch) // world
    return list(batch[rank * per : (rank + 1) * per])


def eval_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches for evaluation: every example once, sorted by length, order kept stable."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def padding_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Share of padded positions over all batches (for reports and tests)."""
    padded = real = 0
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        padded += longest * len(batch)
        real += sum(lengths[i] for i in batch)
    return 0.0 if padded == 0 else 1.0 - real / padded
