"""Several functions on one input: the shared prompt prefix runs once, into a KV cache.

Under causal attention the prompt before the first differing position does not depend on
what follows, so it is computed once; every function's remaining tokens then run as one
right-padded batch on copies of that cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from tagregistry.compose.forward import run_base
from tagregistry.compose.mixed import binding_values, head_features, reads_all_layers
from tagregistry.compose.prompt import EncodedPrompt
from tagregistry.compose.splice import splice_embeddings

if TYPE_CHECKING:
    from tagregistry.compose.model import FunctionBinding, TaggedModel


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


def shared_prefix_heads(model: TaggedModel, bindings: Sequence[FunctionBinding],
                        prompts: Sequence[EncodedPrompt], output: str) -> list[Any]:
    """``bindings[k]``'s head value on ``prompts[k]``, running the common prefix once."""
    layout = model.table.layout()
    shared = shared_length(prompts)
    device = model.base.device
    rows = [torch.tensor(tag_rows(p, layout), dtype=torch.long) for p in prompts]
    ids = [torch.tensor(p.input_ids, dtype=torch.long) for p in prompts]
    count = len(prompts)
    with torch.inference_mode():
        cache = None
        if shared:
            prefix = splice_embeddings(model.model, ids[0][None, :shared].to(device),
                                       rows[0][None, :shared].to(device), model.table)
            ones = torch.ones(1, shared, dtype=torch.long, device=device)
            positions = torch.arange(shared, device=device)[None]
            cache = run_base(model.model, prefix, ones, positions, use_cache=True).cache
            cache.batch_repeat_interleave(count)
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
                       use_cache=cache is not None, all_layers=reads_all_layers(bindings))
        return [binding_values(b, head_features(b, out, first, last)[k:k + 1], output)[0]
                for k, b in enumerate(bindings)]


def tag_rows(prompt: EncodedPrompt, layout: Mapping[str, tuple[int, int]]) -> list[int]:
    """Row of ``TagTable.matrix()`` per position of ``prompt`` (``-1`` on ordinary tokens)."""
    rows = [-1] * len(prompt)
    for tag in prompt.tags:
        first, _ = layout[tag.name]
        rows[tag.start:tag.end] = range(first, first + tag.length)
    return rows
