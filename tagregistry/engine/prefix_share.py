"""Several functions on one input: the shared prompt prefix runs once, into a KV cache.

Under causal attention the prompt before the first differing position does not depend on
what follows, so it is computed once; the remaining tokens then run as right-padded batches
on copies of that cache. Used for several functions on one input (``predict_many``) and for
many records that share a first slot value (one protein with many ligands, ``predict_batch``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

import torch
from torch import nn

from tagregistry.engine.forward import ForwardOutput, join_outputs, run_base
from tagregistry.engine.prompt import EncodedPrompt
from tagregistry.engine.readout import Readout
from tagregistry.engine.splice import TagTable, splice_embeddings


class TaggedBase(Protocol):
    """What the shared-prefix passes need of a composed model."""

    table: TagTable

    @property
    def model(self) -> nn.Module: ...

    @property
    def pad_id(self) -> int: ...

    @property
    def device(self) -> torch.device: ...


def shared_length(prompts: Sequence[EncodedPrompt]) -> int:
    """Positions (tokens and tag vectors) that all prompts share from the start."""
    keys = [p.keys() for p in prompts]
    shared = 0
    limit = min(len(p) for p in prompts) - 1
    limit = min(limit, *function_starts(prompts))  # heads may read every function-tag position
    while shared < limit and all(k[shared] == keys[0][shared] for k in keys):
        shared += 1
    return shared


def function_starts(prompts: Sequence[EncodedPrompt]) -> list[int]:
    """Where each prompt's function tag starts (its readout position when it has none)."""
    return [p.function_start if p.function_start is not None else p.readout for p in prompts]


def shared_prefix_features(model: TaggedBase, readouts: Sequence[Readout],
                           prompts: Sequence[EncodedPrompt],
                           batch_size: int | None = None) -> list[torch.Tensor]:
    """What ``readouts[k]`` reads on ``prompts[k]`` (a ``(1, F)`` row each), running the
    common prefix once.

    The remaining tokens run in right-padded batches of ``batch_size`` (default: all at once),
    each on a copy of the prefix's cache. When a readout also reads the slot values' tokens
    (``Readout.values``), the prefix's hidden states are kept and joined to each suffix's.
    """
    layout = model.table.layout()
    shared = shared_length(prompts)
    device = model.device
    rows = [torch.tensor(tag_rows(p, layout), dtype=torch.long) for p in prompts]
    ids = [torch.tensor(p.input_ids, dtype=torch.long) for p in prompts]
    size = batch_size or len(prompts)
    features: list[torch.Tensor] = []
    keep = any(r.values for r in readouts)  # they read value tokens that lie in the prefix
    all_layers = any(r.intermediate for r in readouts)

    def run_prefix() -> ForwardOutput:
        prefix = splice_embeddings(model.model, ids[0][None, :shared].to(device),
                                   rows[0][None, :shared].to(device), model.table)
        ones = torch.ones(1, shared, dtype=torch.long, device=device)
        positions = torch.arange(shared, device=device)[None]
        return run_base(model.model, prefix, ones, positions, use_cache=True, hidden=keep,
                        all_layers=keep and all_layers)

    with torch.inference_mode():
        prefix_out = run_prefix() if shared else None
        for start in range(0, len(prompts), size):
            chunk = range(start, min(start + size, len(prompts)))
            cache = _cache_copy(prefix_out.cache, len(chunk)) if prefix_out is not None else None
            if cache is None and shared:  # a cache type that cannot be copied: run it again
                cache = run_prefix().cache
                cache.batch_repeat_interleave(len(chunk))
            features.extend(_suffix_features(model, [readouts[k] for k in chunk],
                                             [prompts[k] for k in chunk], [ids[k] for k in chunk],
                                             [rows[k] for k in chunk], shared, cache,
                                             prefix_out if keep else None))
    return features


def is_plain_cache(cache: Any) -> bool:
    """Whether ``cache`` is a plain per-layer KV cache (no sliding windows, no offloading),
    whose rows can be copied, cut and stacked into new caches."""
    from transformers import DynamicCache

    layers = getattr(cache, "layers", None)
    if type(cache) is not DynamicCache or not layers:
        return False
    return all(type(layer).__name__ == "DynamicLayer" and not getattr(layer, "is_sliding", False)
               for layer in layers)


def _cache_copy(cache: Any, count: int) -> Any:
    """``count`` rows of a one-row plain KV cache, as a new cache (``None``: not possible)."""
    from transformers import DynamicCache

    if not is_plain_cache(cache):
        return None
    return DynamicCache(ddp_cache_data=[(layer.keys.expand(count, -1, -1, -1).contiguous(),
                                         layer.values.expand(count, -1, -1, -1).contiguous())
                                        for layer in cache.layers])


def _suffix_features(model: TaggedBase, readouts: Sequence[Readout],
                     prompts: Sequence[EncodedPrompt], ids: Sequence[torch.Tensor],
                     rows: Sequence[torch.Tensor], shared: int, cache: Any,
                     prefix: ForwardOutput | None = None) -> list[torch.Tensor]:
    """The readouts of the prompts' tokens after ``shared``, right-padded on ``cache``; with
    ``prefix`` (the prefix pass's states), they read the whole prompt's states."""
    device = model.device
    count = len(prompts)
    width = max(len(p) for p in prompts) - shared
    suffix_ids = torch.full((count, width), model.pad_id, dtype=torch.long)
    suffix_rows = torch.full((count, width), -1, dtype=torch.long)
    mask = torch.zeros(count, shared + width, dtype=torch.long)
    mask[:, :shared] = 1
    last = torch.empty(count, dtype=torch.long)
    first = torch.tensor([start - shared for start in function_starts(prompts)], dtype=torch.long)
    for k, prompt in enumerate(prompts):  # right-padded: pads follow the real tokens
        n = len(prompt) - shared
        suffix_ids[k, :n] = ids[k][shared:]
        suffix_rows[k, :n] = rows[k][shared:]
        mask[k, shared:shared + n] = 1
        last[k] = n - 1
    embeds = splice_embeddings(model.model, suffix_ids.to(device), suffix_rows.to(device),
                               model.table)
    positions = (shared + torch.arange(width, device=device))[None].expand(count, -1)
    out = run_base(model.model, embeds, mask.to(device), positions, cache=cache,
                   use_cache=cache is not None,
                   all_layers=any(r.intermediate for r in readouts))
    value_mask = None
    if prefix is not None:
        out, first, last = join_outputs(prefix, out), first + shared, last + shared
        value_mask = torch.zeros(count, shared + width, dtype=torch.bool)
        for k, prompt in enumerate(prompts):
            value_mask[k, :len(prompt)] = torch.tensor(prompt.value_flags())
    return [readout.read(out, first, last, value_mask)[k:k + 1]
            for k, readout in enumerate(readouts)]


def shared_segment_length(prompt: EncodedPrompt) -> int:
    """Positions before the second slot value (0 when the prompt has fewer than two values):
    what prompts pairing one first value (a protein) with many others have in common."""
    starts = sorted(v.start for v in prompt.values)
    return starts[1] if len(starts) > 1 else 0


def segment_key(prompt: EncodedPrompt, length: int) -> Hashable:
    """What the first ``length`` positions of ``prompt`` consist of (tokens and tag places)."""
    tags = tuple((t.name, t.start, t.length) for t in prompt.tags if t.start < length)
    return tuple(prompt.input_ids[:length]), tags


def shared_segment_groups(prompts: Sequence[EncodedPrompt],
                          min_share: int = 2) -> dict[Hashable, list[int]]:
    """Indices of prompts by their leading segment's :func:`segment_key` (whose token tuple
    is as long as the segment); groups smaller than ``min_share`` are left out."""
    groups: dict[Hashable, list[int]] = {}
    for index, prompt in enumerate(prompts):
        length = shared_segment_length(prompt)
        if length > 0:
            groups.setdefault(segment_key(prompt, length), []).append(index)
    return {key: members for key, members in groups.items() if len(members) >= min_share}


def tag_rows(prompt: EncodedPrompt, layout: Mapping[str, tuple[int, int]]) -> list[int]:
    """Row of ``TagTable.matrix()`` per position of ``prompt`` (``-1`` on ordinary tokens)."""
    rows = [-1] * len(prompt)
    for tag in prompt.tags:
        first, _ = layout[tag.name]
        rows[tag.start:tag.end] = range(first, first + tag.length)
    return rows
