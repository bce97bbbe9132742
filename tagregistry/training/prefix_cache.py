"""Shared leading segments run once per training run, not once per step.

In a two-slot prompt such as ``<Protein> {protein} ... <SMILES> {smiles} <BindingAffinity>``
many examples share the first slot's value (one protein, many ligands). When nothing before
the function tag is trainable, the KV cache of everything before the second slot's value is
the same in every step, so it is computed once per distinct segment and kept in a
byte-bounded LRU store. Each training batch then starts from those cached segments and runs
only the rest of its prompts (without gradient up to the function tag, as on the fast path).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from tagregistry.engine.prefix_share import shared_segment_groups

#: per layer: keys and values ``(kv_heads, length, head_dim)`` of one cached segment
SegmentKV = list[tuple[torch.Tensor, torch.Tensor]]


def mark_shared_segments(examples: Sequence[Any], min_share: int = 2) -> int:
    """Set ``prefix_length``/``prefix_key`` on examples whose leading segment at least
    ``min_share`` examples have in common; returns how many examples were marked."""
    groups = shared_segment_groups([e.prompt for e in examples], min_share)
    for key, members in groups.items():
        for index in members:
            examples[index].prefix_length, examples[index].prefix_key = len(key[0]), key
    return sum(len(g) for g in groups.values())


def cache_from_segments(segments: Sequence[SegmentKV | None], lengths: Sequence[int],
                        n_layers: int, like: torch.Tensor) -> tuple[Any, torch.Tensor]:
    """Left-pad the rows' segments into one ``DynamicCache`` and its ``(B, width)`` mask.

    A row without a segment (``None``, length 0) gets padding only.
    """
    from transformers import DynamicCache

    width = max(lengths)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, width - length:] = 1
    heads, _, head_dim = next(s for s in segments if s is not None)[0][0].shape
    blank = like.new_zeros(heads, width, head_dim)

    def padded(segment: SegmentKV | None, layer: int, which: int) -> torch.Tensor:
        if segment is None:
            return blank
        part = segment[layer][which]
        return F.pad(part, (0, 0, width - part.shape[1], 0))

    data = [tuple(torch.stack([padded(s, layer, which) for s in segments]) for which in (0, 1))
            for layer in range(n_layers)]
    return DynamicCache(ddp_cache_data=data), mask.to(like.device)


class SegmentCache:
    """Byte-bounded LRU store of segment KV caches, keyed by :func:`segment_key`."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = self.evictions = 0
        self._entries: OrderedDict[Hashable, tuple[SegmentKV, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, compute: Callable[[], SegmentKV | None]) -> SegmentKV | None:
        """The stored segment for ``key``, computed (and stored if it fits) when missing;
        ``None`` when ``compute`` gives none (nothing is stored then)."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]
        self.misses += 1
        segment = compute()
        if segment is None:
            return None
        size = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in segment)
        if size <= self.max_bytes:
            while self.bytes + size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped
                self.evictions += 1
            self._entries[key] = (segment, size)
            self.bytes += size
        return segment
